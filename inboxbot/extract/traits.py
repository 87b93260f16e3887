"""Traits of the mail as a whole: the purchase law it names (44-ФЗ, 223-ФЗ) and the
language the client writes in."""

from __future__ import annotations

import re

from inboxbot.extract.analysis import Analysis
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.personnames import CYRILLIC, LATIN

_LAW = re.compile(r"\b(44|223)\s*[-–—]?\s*ФЗ\b|\bФЗ\s*[-–—№]?\s*(44|223)\b|(?:закон\w*|закупк\w+)\s+(?:№\s*)?(44|223)\b", re.IGNORECASE)


def extract_purchase_law(a: Analysis) -> Extracted[str | None]:
    """«44-ФЗ» or «223-ФЗ» when the client's new text, signature or subject names it."""
    parts = a.view.parts
    for text in (parts.new_text, parts.signature_text, a.msg.subject):
        m = _LAW.search(text)
        if m:
            return Extracted(f"{m.group(1) or m.group(2) or m.group(3)}-ФЗ")
    return Extracted(None)


def extract_language(a: Analysis) -> Extracted[str]:
    """en when Latin letters outnumber Cyrillic by more than ten to three, else ru."""
    text = a.view.parts.new_text or a.view.parts.text[:2000]
    cyr, lat = len(CYRILLIC.findall(text)), len(LATIN.findall(text))
    if cyr == 0 and lat == 0:
        return Extracted("ru")
    return Extracted("ru" if cyr >= lat * 0.3 else "en")
