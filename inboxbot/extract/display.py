"""The client's display name as a (weak) company name: «ГБУ РО ОЦСОН <x@yandex.ru>",
"ZooMarket Online purchasing" — a display name that is not a person's name. A person is
told by the dictionary of Russian names, and — for names it does not know, Latin ones
first of all — by the shape of a name with an initial («Tom W», «Anna K.», «J. Smith») or
by the mail being signed with the display name's first word («Thanks,\nTom»)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inboxbot.extract.forms import ABBREVIATIONS, is_public_form
from inboxbot.extract.orgs import OrgMention
from inboxbot.extract.personnames import is_person_name
from inboxbot.mail.message import Address
from inboxbot.model.domains import domain_in
from inboxbot.model.facts import Company, Evidence

_DEPARTMENT_WORDS = re.compile(
    r"\b(?:закупки|закупок|отдел|снабжение|снабжения|purchasing|procurement|sales|info|office|"
    r"бухгалтерия|приемная|приёмная|канцелярия|секретарь|менеджер|manager|department|dept)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class DisplayName:
    """A display name that may name the client's company, and the organisations the
    pipeline reads in it once department words are dropped."""

    name: str
    orgs: tuple[OrgMention, ...]


# A word of a person's name as a display name writes it: a capitalised word or an initial.
_NAME_WORD = re.compile(r"^(?:[A-ZА-ЯЁ][a-zа-яё'’-]+|[A-ZА-ЯЁ]\.?)$")
_INITIAL = re.compile(r"^[A-ZА-ЯЁ]\.?$")
# A line that is only a name after a closing formula: «Tom», «Thanks, Tom», «Best, Anna».
_SIGNED_LINE = re.compile(
    r"^\s*(?:(?:thanks|thank you|cheers|best|regards|best regards|kind regards|спасибо|с уважением)[,!.]?\s+)?"
    r"(?P<name>[A-ZА-ЯЁ][a-zа-яё'’-]+)\s*[.!]?\s*$",
    re.IGNORECASE,
)


def company_display_name(client: Address | None, internal: Sequence[str], own_text: str = "") -> str | None:
    """The client's display name when it may name a company: not ours, no address in
    it, not a person's name; `own_text` is what the client wrote (the mail's signing
    line tells a person's display name)."""
    if client is None or not client.name or domain_in(client.domain, internal):
        return None
    name = client.name.strip().strip("\"'")
    if "@" in name or is_person_name(name) or looks_like_a_person(name, own_text):
        return None
    return name


def looks_like_a_person(name: str, own_text: str) -> bool:
    """A display name of two or three name-shaped words (no legal form, no department
    word) with an initial among them, or whose first word signs the mail."""
    words = name.split()
    if not 2 <= len(words) <= 3 or not all(_NAME_WORD.match(w) for w in words):
        return False
    if words[0].upper() in ABBREVIATIONS or _DEPARTMENT_WORDS.search(name):
        return False
    if any(_INITIAL.match(w) for w in words):
        return True
    first = words[0].casefold()
    return any((m := _SIGNED_LINE.match(line)) is not None and m.group("name").casefold() == first for line in own_text.split("\n")[-12:])


def org_text(name: str) -> str:
    """The display name without department words, as the pipeline reads it."""
    return re.sub(r"\s+", " ", _DEPARTMENT_WORDS.sub(" ", name)).strip()


def company_from_display_name(display: DisplayName | None) -> Company | None:
    """The company a display name names (weakly), or None."""
    if display is None:
        return None
    name = display.name
    if display.orgs:
        org = display.orgs[0]
        return Company(org.text, org.core, org.legal_form, evidence=(Evidence("header", name, 0, len(name)),), confidence=0.4, public_sector=is_public_form(org.legal_form))
    core = _DEPARTMENT_WORDS.sub(" ", name)
    core = re.sub(r"\s+", " ", core).strip(" ,.-—")
    if not core or is_person_name(core) or len(core) < 3:
        return None
    form_match = re.match(r"^([А-ЯЁA-Z]{2,6})\b\s*(.*)$", core)
    form: str | None = None
    rest = core
    if form_match and form_match.group(1) in ABBREVIATIONS:
        form, rest = form_match.group(1), form_match.group(2) or core
    return Company(core, rest, form, evidence=(Evidence("header", name, 0, len(name)),), confidence=0.3, public_sector=is_public_form(form))
