"""Reply and forward prefixes (inboxbot.model.subjects). The sets differ by stage on purpose
(see the module's docstring): these cases pin each difference, so that merging two of them
is a decision someone makes, not an accident of a refactoring."""

from __future__ import annotations

import pytest

from inboxbot.model.subjects import (
    FORWARD_SUBJECT,
    PLAIN_REPLY_SUBJECT,
    QUOTE_FORWARD_SUBJECT,
    REPLY_SUBJECT,
    REPLY_WORDS,
    SUBJECT_PREFIX,
    subject_key,
)


@pytest.mark.parametrize(
    ("subject", "route", "classify"),
    [
        ("Re: КП", True, True),
        ("ОТВ: КП", True, True),
        ("AW: Angebot", True, True),
        ("SV: tilbud", True, False),
        ("RE[2]: КП", True, False),
        ("Request for quote", False, False),  # the colon is required
        ("Fwd: КП", False, False),
    ],
)
def test_reply_subjects(subject: str, route: bool, classify: bool) -> None:
    assert bool(REPLY_SUBJECT.match(subject)) is route
    assert bool(PLAIN_REPLY_SUBJECT.match(subject)) is classify


@pytest.mark.parametrize(
    ("subject", "classify", "textparts"),
    [
        ("Fwd: КП", True, True),
        ("FW: КП", True, True),
        ("Re: Пересл: КП", True, True),
        ("Переслано: КП", True, True),
        ("Отв: Fwd: КП", False, True),
        ("AW: WG: Angebot", True, False),
        ("TR: devis", True, False),
        ("Пересланное: КП", True, False),
        ("Re: КП", False, False),
    ],
)
def test_forward_subjects(subject: str, classify: bool, textparts: bool) -> None:
    assert bool(FORWARD_SUBJECT.match(subject)) is classify
    assert bool(QUOTE_FORWARD_SUBJECT.match(subject)) is textparts


def test_subject_prefix_drops_the_bot_tag_and_knows_the_reply_words() -> None:
    text, words = "[Заявка] RE[2]: Fwd: SV: КП", []
    while (match := SUBJECT_PREFIX.match(text)) is not None:
        words.append((match.group(1) or "").lower())
        text = text[match.end() :]
    assert text == "КП"
    assert words == ["", "re", "fwd", "sv"]
    assert {w for w in words if w in REPLY_WORDS} == {"re", "sv"}


@pytest.mark.parametrize(
    ("subject", "key"),
    [
        ("Re: Fwd:  Заявка   на КП ", "заявка на кп"),
        ("RE[3]: WG: Angebot", "angebot"),
        ("SV: tilbud", "sv: tilbud"),  # not a prefix for the thread key
        ("Request: x", "request: x"),
    ],
)
def test_subject_key(subject: str, key: str) -> None:
    assert subject_key(subject) == key
