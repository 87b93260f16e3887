"""Segments: the pieces of a mail's texts that facts come from, and how far each is
trusted for the sender's identity."""

from __future__ import annotations

from dataclasses import dataclass

from inboxbot.model.facts import Evidence

# Own text that is regex-scanned at most (a 200 kB pasted price list is not requisites).
SCAN_CHARS = 60_000
# Quoted history read at most, per earlier letter of the sender's own party (its INN and
# signature are the sender's) and for all other letters together (they give mentioned
# companies only); a thread of twenty letters is not worth reading whole for each reply.
QUOTE_CHARS = 6_000

# Trust of each kind of text for the sender's identity.
_WEIGHT = {"signature": 1.0, "body": 0.9, "forwarded": 0.85, "attachment": 0.8, "subject": 0.5, "header": 0.3, "quote": 0.4}


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text the facts come from: [start, end) of `text`; `own` when the
    client wrote it; `sig` when it is a signature (also inside a forwarded original)."""

    source: str
    text: str
    start: int
    end: int
    own: bool
    ner: bool = False
    sig: bool = False
    detail: str = ""

    @property
    def body(self) -> str:
        return self.text[self.start : self.end]

    def evidence(self, start: int, end: int) -> Evidence:
        return Evidence(self.source, self.text[start:end], start, end, self.detail)

    @property
    def weight(self) -> float:
        return _WEIGHT["signature"] if self.sig else _WEIGHT.get(self.source, 0.3)
