"""A request's text as near-duplicate detection compares it: the subject without its
Re:/Fwd: prefixes, the new text (no quote, no signature: extraction cut them off), the
attachments' names; lower case, letters and digits only, one space between words. A
resend with a new Message-ID, or the same request sent to two of our addresses, differs
in exactly what this drops (a quote added by the client's mail program, a changed
signature, line breaks), and so compares as the same. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

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


# A mail is compared with each of its sender's recent requests, and each of those with
# every later mail of the sender: the triples of a text are counted once.
@lru_cache(maxsize=256)
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
    return _score(a, b, fuzz.ratio(a, b))


def most_similar(text: str, others: Sequence[str]) -> tuple[int, tuple[int, ...]]:
    """The highest `similarity` of `text` to any of `others` (0 when there are none), and
    the positions of the texts that reach it. The same answer as scoring each, but the
    word triples, the slow half, are only counted for a text whose edit-distance ratio
    (the score's upper bound) can still reach the best score found."""
    if not text:
        return 0, tuple(range(len(others)))
    bounds = sorted(((fuzz.ratio(text, other), index) for index, other in enumerate(others)), key=lambda p: -p[0])
    best, found = 0, []
    for ratio, index in bounds:
        if round(ratio) < best:
            break
        score = _score(text, others[index], ratio) if others[index] else 0
        if score > best:
            best, found = score, [index]
        elif score == best:
            found.append(index)
    return best, tuple(sorted(found))


def _score(a: str, b: str, ratio: float) -> int:
    if a == b:
        return 100
    left, right = shingles(a), shingles(b)
    overlap = 100 * len(left & right) / min(len(left), len(right))
    return round(min(ratio, overlap))
