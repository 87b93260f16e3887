"""Line numbers in the raw rules.toml text: tomllib's dicts carry no positions, so the
text is indexed (the line of every table header and every key) to name the line of a problem."""

from __future__ import annotations

import re

_KEY_PART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_KEY_RE = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_HEADER_RE = re.compile(rf"\s*(\[\[?)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\]?")
_INLINE_KEY_RE = re.compile(rf"[{{,]\s*({_KEY_PART})\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(_KEY_PART, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class Positions:
    """Line numbers of table headers and keys: ("rule", 2, "owner") → 31 for the `owner`
    key of the third [[rule]]. Strings, comments and multi-line arrays are skipped, so a
    `=` inside them is not taken for a key; keys of one-line inline tables are indexed too."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.at: dict[tuple[object, ...], int] = {}
        counters: dict[tuple[str, ...], int] = {}
        current: tuple[object, ...] = ()
        depth = 0
        ml: str | None = None  # open multi-line string delimiter
        for number, line in enumerate(self.lines, start=1):
            if ml is None and depth == 0:
                header = _HEADER_RE.match(line)
                key = _KEY_RE.match(line)
                if header and not key:
                    name = _split_key(header.group(2))
                    if header.group(1) == "[[":
                        index = counters.get(name, 0)
                        counters[name] = index + 1
                        current = (*name, index)
                    else:
                        current = name
                    self.at.setdefault(current, number)
                elif key:
                    path = (*current, *_split_key(key.group(1)))
                    self.at.setdefault(path, number)
                    rest = line[key.end() :]
                    if rest.lstrip().startswith("{"):
                        for inner in _INLINE_KEY_RE.finditer(rest):
                            self.at.setdefault((*path, *_split_key(inner.group(1))), number)
            depth, ml = _scan(line, depth, ml)

    def line(self, *path: object) -> int:
        """Line of the key or table; the nearest enclosing one when the key is absent."""
        while path:
            if path in self.at:
                return self.at[path]
            path = path[:-1]
        return 0

    def item_line(self, path: tuple[object, ...], index: int) -> int:
        """Line of the `index`-th inline table ({ … }) of an array under `path`, written one
        or several to a line; the array's line when it cannot be told."""
        start = self.line(*path)
        if start <= 0:
            return start
        later = sorted(n for n in self.at.values() if n > start)
        stop = later[0] if later else len(self.lines) + 1
        seen = -1
        for number in range(start, stop):
            text = self.lines[number - 1].split("#", 1)[0]
            seen += text.count("{")
            if seen >= index:
                return number
        return start

    def value_line(self, path: tuple[object, ...], value: str) -> int:
        """Line where a string value of a (possibly multi-line) array under `path` stands."""
        start = self.line(*path)
        if start <= 0:
            return start
        later = sorted(n for n in self.at.values() if n > start)
        stop = later[0] if later else len(self.lines) + 1
        for number in range(start, stop):
            text = self.lines[number - 1]
            if f'"{value}"' in text or f"'{value}'" in text:
                return number
        return start


def _scan(line: str, depth: int, ml: str | None) -> tuple[int, str | None]:
    """Bracket depth and open multi-line string after `line`."""
    i = 0
    n = len(line)
    while i < n:
        if ml is not None:
            end = line.find(ml, i)
            if end < 0:
                return depth, ml
            i = end + 3
            ml = None
            continue
        ch = line[i]
        if ch == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            ml = line[i : i + 3]
            i += 3
            continue
        if ch == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if ch == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch in "[{":
            # a table header at depth 0 opens and closes on the same line
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, ml

