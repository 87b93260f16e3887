"""Quoted names: where a quotation opening at a given character ends, with Russian « »
nesting, „ “ pairs and nested straight quotes."""

from __future__ import annotations

import re

_OPENERS = "«„“\"'"
OPENER_RE = re.compile("[«„“\"']")
_MAX_QUOTED = 120


def match_quote(text: str, i: int) -> tuple[int, str] | None:
    """The quoted span opening at text[i]: (offset after the closing quote, innermost
    quoted text). Handles « » nesting, „ “ and “ ” pairs, and nested straight quotes
    ("ТД "Северный Картон""): a straight quote after a space opens, any other closes.
    Nested quotes that are not all closed («ФГУП «НПО «Восход»») end at the first run of
    closing quotes: the outer name keeps its legal form."""
    return _balanced(text, i) or _first_closing_run(text, i)


_CLOSERS = "»“”\""
_NESTED_OPENERS = "«„“\""


def _first_closing_run(text: str, i: int) -> tuple[int, str] | None:
    """An unbalanced nested quotation: from the opener at text[i] to the end of the first
    run of closing quotes, with at least one more quote opened inside; the innermost
    text is what the last opener before the run encloses."""
    if text[i] not in "«„\"":
        return None
    limit = min(len(text), i + _MAX_QUOTED)
    line_end = text.find("\n", i)
    if line_end != -1:
        limit = min(limit, line_end)
    last_open = -1
    for j in range(i + 1, limit):
        ch = text[j]
        closing = ch in _CLOSERS and text[j - 1] not in " \t" and (ch != "\"" or j + 1 >= len(text) or not text[j + 1].isalnum())
        if closing:
            if last_open == -1:
                return None
            end = j
            while end < limit and text[end] in _CLOSERS:
                end += 1
            inner = text[last_open + 1 : j].strip()
            # What stands between the outer opener and the nested one is a short name
            # («НПО », «Научно-производственное объединение »), not a sentence that lost
            # its closing quote («Ромашка-Опт, нужны коробки «Премиум»).
            head = text[i + 1 : last_open]
            if not inner or re.search(r"[,.;:!?]", head) or len(head.split()) > 5:
                return None
            return end, inner
        if ch in _NESTED_OPENERS and (ch != "\"" or text[j - 1] in " \t(«„"):
            last_open = j
    return None


def _balanced(text: str, i: int) -> tuple[int, str] | None:
    """The quoted span opening at text[i] when its quotes pair up, else None."""
    opener = text[i]
    limit = min(len(text), i + _MAX_QUOTED)
    if opener == "«":
        depth = 0
        inner_start, inner = i + 1, ""
        for j in range(i, limit):
            ch = text[j]
            if ch == "\n":
                return None
            if ch in "«„":
                depth += ch == "«"
                inner_start = j + 1
            elif ch in "»“" and j > i:
                if ch == "“" and "„" not in text[i:j]:
                    continue
                inner = inner or text[inner_start:j]
                if ch == "»":
                    depth -= 1
                    if depth == 0:
                        return j + 1, inner.strip()
        return None
    if opener == "„":
        for j in range(i + 1, limit):
            if text[j] == "\n":
                return None
            if text[j] in "“”":
                return j + 1, text[i + 1 : j].strip()
        return None
    if opener == "“":
        # English pairs nest: “НПО “Восход””.
        depth = 0
        inner_start, inner = i + 1, ""
        for j in range(i, limit):
            ch = text[j]
            if ch == "\n":
                return None
            if ch == "“":
                depth += 1
                inner_start = j + 1
            elif ch == "”":
                inner = inner or text[inner_start:j]
                depth -= 1
                if depth == 0:
                    return j + 1, inner.strip()
        return None
    if opener in "\"'":
        if i + 1 >= len(text) or not (text[i + 1].isalnum() or text[i + 1] in "«„\"'"):
            return None
        if opener == "'" and i > 0 and text[i - 1].isalpha():  # an apostrophe: O'Neil
            return None
        depth = 0
        inner_start, inner = i + 1, ""
        for j in range(i, limit):
            ch = text[j]
            if ch == "\n":
                return None
            if ch != opener:
                continue
            opening = j == i or (text[j - 1] in " \t(«„“" and j + 1 < len(text) and text[j + 1].isalnum())
            if opening:
                depth += 1
                inner_start = j + 1
            else:
                inner = inner or text[inner_start:j]
                depth -= 1
                if depth == 0:
                    return j + 1, inner.strip()
        return None
    return None


def quoted_cores(text: str) -> tuple[str, ...]:
    """Innermost quoted names of a text without running the pipeline (for our own quoted
    letters, where only our company's name is wanted)."""
    cores: list[str] = []
    i = 0
    while i < len(text):
        if text[i] in _OPENERS:
            q = match_quote(text, i)
            if q and q[1]:
                cores.append(q[1])
                i = q[0]
                continue
        i += 1
    return tuple(cores)
