"""Reply and forward prefixes of a subject ("Re:", "RE[2]:", "Fwd:", "Отв:", "Пересл:"…):
the one module that knows them, and the one subject key for threading by subject. Pure.

The stages ask different questions, so the prefix sets below are not one set. They are kept
exactly as each stage had them, because merging them changes decisions (replay pins, the
tests of each user); the differences are listed so that a future merge is a deliberate one:

- REPLY_SUBJECT (route: does a subject alone make this a reply?) knows «sv» and counters
  («RE[2]:»); PLAIN_REPLY_SUBJECT (mail.classify: a reply in a bulk thread, «пересылаю» in
  a reply) knows neither.
- FORWARD_SUBJECT (mail.classify: a colleague forwards an outside mail) allows «re/ответ/aw»
  before the forward prefix and knows «tr», «wg», «пересл…»; QUOTE_FORWARD_SUBJECT
  (mail.textparts: a quote header under this subject is a forward) allows «re/ответ/отв» and
  knows neither «tr» nor «wg».
- SUBJECT_PREFIX (compose: the forward's subject) also drops the bot's own «[Заявка]» tag;
  REPLY_WORDS are the prefixes of it that make the forward a «Re:».
- subject_key (store and route: the subject + sender thread fallback) strips «fw», «wg»
  but not «sv», «tr».
"""

from __future__ import annotations

import re

REPLY_SUBJECT = re.compile(r"^\s*(re|ответ|отв|aw|sv)\s*(\[\d+\])?\s*:", re.IGNORECASE)
PLAIN_REPLY_SUBJECT = re.compile(r"^\s*(?:re|ответ|aw|отв)\s*:", re.IGNORECASE)
FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:re|ответ|aw)\s*:\s*)*(?:fwd?|пересл\w*|переслано|tr|wg)\s*:", re.IGNORECASE)
QUOTE_FORWARD_SUBJECT = re.compile(r"^\s*(?:(?:re|ответ|отв)\s*:\s*)*(?:fwd?|пересл|переслано|fw)\s*:", re.IGNORECASE)
# "Re:", "RE[2]:", "Fwd:", "Отв:", "Пересл:"… — the colon is required, or "Request…"
# would lose its first letters; our own tag is dropped so a resend does not double it.
SUBJECT_PREFIX = re.compile(
    r"\s*(?:(re|fwd?|aw|wg|sv|vs|tr|отв|ответ|пересл|переслано)(?:\[\d+\]|\d+)?\s*:|(\[заявка\]))\s*",
    re.IGNORECASE,
)
REPLY_WORDS = frozenset({"re", "aw", "sv", "отв", "ответ"})

_KEY_PREFIX = re.compile(r"^(re|fw|fwd|ответ|отв|пересл|aw|wg)\s*(\[\d+\])?\s*:\s*", re.IGNORECASE)


def subject_key(subject: str) -> str:
    """Subject without reply/forward prefixes, for the subject + sender thread fallback."""
    key = subject.strip().lower()
    while True:
        stripped = _KEY_PREFIX.sub("", key)
        if stripped == key:
            return re.sub(r"\s+", " ", key)
        key = stripped
