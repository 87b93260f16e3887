"""The read-only analysis of one mail, built once: whose mail it is, its segments, what
the pipeline found in each (attachments included), and the display name's organisations.
Every fact extractor reads it; none changes it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from spacy.language import Language

from inboxbot.extract.display import DisplayName, company_display_name, org_text
from inboxbot.extract.findings import Found, find_all, find_one
from inboxbot.extract.nlp import analyse
from inboxbot.extract.orgs import OrgMention, org_mentions
from inboxbot.extract.segments import SCAN_CHARS, Segment
from inboxbot.extract.view import View, client_view
from inboxbot.mail.attachments import attachment_texts
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.domains import FREE_MAIL_DOMAINS

_REQ_CARD = re.compile(r"реквизит|карточк|card|details|анкет|rekv|requisit|kartochk", re.IGNORECASE)
_REQ_IN_ATTACHMENT = re.compile(
    r"(?:реквизит\w*|карточк\w*)[^.\n]{0,40}(?:во?\s+вложени|прилага|приложени|прикрепл|в\s+файле)"
    r"|(?:во?\s+вложени\w*|прилага\w*|в\s+файле)[^.\n]{0,20}(?:реквизит|карточк)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Who we are: our mail domains, the free-mail domains, our company's names."""

    internal: tuple[str, ...] = ()
    free: tuple[str, ...] = FREE_MAIL_DOMAINS
    own_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Analysis:
    """One mail, read: `founds` holds the segments' findings in segment order, then the
    attachments'; `notes` what reading it noticed, in that order."""

    msg: ParsedMessage
    settings: Settings
    view: View
    founds: tuple[Found, ...]
    display: DisplayName | None
    notes: tuple[str, ...]

    @property
    def own(self) -> tuple[Found, ...]:
        """Findings in text the client wrote."""
        return tuple(f for f in self.founds if f.segment.own)


def analyse_mail(nlp: Language, msg: ParsedMessage, settings: Settings) -> Analysis:
    """Read one mail with the pipeline: the only step of extraction that runs spaCy."""
    view = client_view(msg, settings.internal, settings.free)
    founds = find_all(nlp, view.segments)
    attached, attachment_notes = _attachments(nlp, msg, view, founds)
    founds.extend(attached)
    name = company_display_name(view.client, settings.internal, f"{view.parts.new_text}\n{view.parts.signature_text}")
    display = None if name is None else DisplayName(name, _display_orgs(nlp, org_text(name)))
    notes = (*view.notes, *attachment_notes, *(n for f in founds for n in f.notes))
    return Analysis(msg, settings, view, tuple(founds), display, notes)


def _attachments(nlp: Language, msg: ParsedMessage, view: View, founds: Sequence[Found]) -> tuple[list[Found], tuple[str, ...]]:
    """Findings in the client's attachments; a requisites card counts as own text."""
    if view.forwarded_by is not None and msg.forwarded and view.client is not None:
        # The original's attachments travel inside it; ours (the forward) add nothing.
        atts = next((fw.attachments for fw in msg.forwarded if fw.sender == view.client), msg.attachments)
    else:
        atts = msg.attachments
    result = attachment_texts(atts)
    own_text = "\n".join(f.segment.body for f in founds if f.segment.own)
    out: list[Found] = []
    for item in result.texts:
        card = _attachment_is_card(item.filename, item.text, own_text)
        seg = Segment("attachment", item.text, 0, min(len(item.text), SCAN_CHARS), own=card, detail=item.filename)
        out.append(find_one(nlp, seg))
    return out, tuple(result.notes)


def _attachment_is_card(name: str, text: str, own_text: str) -> bool:
    """An attachment whose identifiers are the sender's: a requisites card by name or
    heading, or one the mail says carries the requisites."""
    return bool(_REQ_CARD.search(name) or _REQ_CARD.search(text[:300]) or _REQ_IN_ATTACHMENT.search(own_text))


def _display_orgs(nlp: Language, text: str) -> tuple[OrgMention, ...]:
    """Organisations in a From display name: a quoted name there is the sender's company."""
    return org_mentions(analyse(text, ner=False, trusted_ranges=((0, len(text)),), nlp=nlp))
