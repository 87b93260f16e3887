"""The client's display name as a (weak) company name: «ГБУ РО ОЦСОН <x@yandex.ru>",
"ZooMarket Online purchasing" — a display name that is not a person's name."""

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


def company_display_name(client: Address | None, internal: Sequence[str]) -> str | None:
    """The client's display name when it may name a company: not ours, no address in
    it, not a person's name."""
    if client is None or not client.name or domain_in(client.domain, internal):
        return None
    name = client.name.strip().strip("\"'")
    if "@" in name or is_person_name(name):
        return None
    return name


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
