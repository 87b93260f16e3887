"""Every problem of a rules file, collected in one pass and written for a sales head: the
file, the line, the section, what is wrong, what would be valid, and a close match."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


class Problems:
    """Errors and warnings, each with its line, so they print in the order of the file."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []

    def _fmt(self, line: int, where: str, text: str) -> str:
        head = f"{self.name}, строка {line}" if line else self.name
        out = f"{head}, {where}: {text}" if where else f"{head}: {text}"
        # One problem, one line: a value quoted back may hold line breaks or control characters.
        return _CONTROL_RE.sub(" ", out)

    def error(self, line: int, where: str, text: str) -> None:
        self.errors.append((line, self._fmt(line, where, text)))

    def warn(self, line: int, where: str, text: str) -> None:
        self.warnings.append((line, self._fmt(line, where, text)))


def valid_list(values: Iterable[str]) -> str:
    return ", ".join(values)


def suggest(word: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (возможно, «{close[0]}»)" if close else ""


def _toml(value: Any) -> str:
    """A value written back the way TOML spells it, cut to a readable length."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace("\n", " ") + '"'
    elif isinstance(value, list):
        text = "[" + ", ".join(_toml(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def cell_text(value: str) -> str:
    """A table cell as an error quotes it: without control bytes, cut to a readable
    length (a secretary's table may hold a pasted page or a binary file's bytes)."""
    text = "".join(c for c in value if c.isprintable()).strip()
    return text if len(text) <= 40 else text[:39] + "…"


def shown(value: Any) -> str:
    """What was written instead, named for a person: «указан список [1, 2]»."""
    if isinstance(value, bool):
        return f"указано {_toml(value)}"
    if isinstance(value, (int, float)):
        return f"указано число {_toml(value)}"
    if isinstance(value, str):
        return f"указан текст {_toml(value)}"
    if isinstance(value, list):
        return f"указан список {_toml(value)}"
    if isinstance(value, dict):
        return f"указана таблица {_toml(value)}"
    if isinstance(value, datetime):
        return f"указаны дата и время {_toml(value)}"
    if isinstance(value, date):
        return f"указана дата {_toml(value)}"
    if isinstance(value, time):
        return f"указано время {_toml(value)}"
    return f"указано {_toml(value)}"

