"""A request's text as near-duplicate detection compares it: the subject without its
Re:/Fwd: prefixes, the new text (no quote, no signature: extraction cut them off), the
attachments' names; lower case, letters and digits only, one space between words. A
resend with a new Message-ID, or the same request sent to two of our addresses, differs
in exactly what this drops (a quote added by the client's mail program, a changed
signature, line breaks), and so compares as the same. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz

from inboxbot.model.subjects import subject_key

# Kept per request in the store; a longer text is compared by its beginning, which is
# where two requests differ if they differ at all.
MAX_TEXT = 2000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Word triples: a reordered or partly rewritten text shares few of them, a resend nearly all.
_SHINGLE = 3


def request_text(subject: str, new_text: str, attachment_names: Iterable[str] = ()) -> str:
    """The normalised text of a request ("" when it has none to compare)."""
    parts = [subject_key(subject), new_text, *attachment_names]
    words = _WORD.findall(" ".join(p for p in parts if p).casefold().replace("ё", "е"))
    return " ".join(words)[:MAX_TEXT].rstrip()


def shingles(text: str) -> frozenset[str]:
    words = text.split()
    if len(words) < _SHINGLE:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1))


def similarity(a: str, b: str) -> int:
    """0–100: how nearly two normalised request texts are the same text. The lower of the
    edit-distance ratio and the word-triple overlap (of the shorter text), so that neither
    a long common signature-like tail nor a few swapped words alone make two different
    requests «the same»."""
    if not a or not b:
        return 0
    ratio = fuzz.ratio(a, b)
    left, right = shingles(a), shingles(b)
    overlap = 100 * len(left & right) / min(len(left), len(right))
    return round(min(ratio, overlap))
