"""Fuzz of rules.toml: the demo file mutated the ways a person editing it by hand breaks
it (a value of another type, a deleted key, a duplicated table, a stray line, a file cut
short, an example uncommented) must load or be refused with RulesError — never another
exception — and `inboxbot check` must answer 0 or 2, never a traceback.

A fixed-seed generator, so a failure is reproducible by its case number:

    .venv/bin/python tests/test_rules_fuzz.py 600      # run 600 cases, print the failures
"""

from __future__ import annotations

import random
import re
import sys
import tomllib
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from click.testing import CliRunner
from samples import RULES, demo_department

from inboxbot.cli import cli
from inboxbot.errors import RulesError
from inboxbot.rules import tomlerrors
from inboxbot.rules.load import load_rules

EXAMPLE = RULES
SEED = 20250616
CASES = 400

# Values of every TOML type, and a few shapes a person might type by mistake.
VALUES = (
    "0", "-1", "3", "1.5", "-0.0", "inf", "nan", "true", "false", '""', '"pool"', '"строка"', '" "',
    "'C:\\\\папка'", '"ivanova"', '"volkov"', "[]", "[1, 2]", '["a", 1]', '["ivanova", "nobody"]', "[[1], [2]]",
    "[{ a = 1 }]", "{}", "{ a = 1 }", '{ "77" = 1 }', '{ "ЦФО" = ["ivanova"] }', "2025-06-16", "2025-06-16T10:00:00",
    "10:00:00", "2025-06-16T10:00:00+03:00", '"""многострочная\nстрока"""', '"' + "x" * 300 + '"', "0x1F", "1_000",
    "99999999999999999999", "1e308", '"Europe"', '"99999999999d"', '"25:00"', '"\\u0000"', '"demo"', '"../"',
    '"\\t"', '"rot13"', '"2025-02-30"', '"07.07.2025"', '"-1h"', '"0m"', '["пн", "пн"]', '["вс"]',
)  # fmt: skip
GARBAGE = (
    "[", "]]", "[[", "[[rule]]", "[department]", "[pool]", "[[manager]]", "[[absence]]", "=", "key =", "= 1",
    "ключ = 1", "\"ключ\" = 1", "a.b.c = 1", "when = [\"pool\"]", "id = 1", "{", "}", "\"", "'''", "\\",
    "x = 2025-13-40", "x = 2025-02-30", "x = 25:61:00", "x = \"C:\\new\"", "1 = 2", "[a.b]", "[[a.b]]",
    "[rule]", "[[department]]", "[clients.columns.x]", "x = [1,", "x = {a = 1", "\t", "\x0c", "#", "x = 1 2",
)  # fmt: skip
_KEY_LINE = re.compile(r"^(\s*[A-Za-z0-9_\"'.\- ]+?\s*=\s*)(.+)$")
_COMMENTED = re.compile(r"^#\s?(\s*(?:[A-Za-z_]+\s*=|\[).*)$")


@dataclass(frozen=True, slots=True)
class Case:
    number: int
    what: str
    text: str
    # For a case that only put a value of another type in place of a key's value: the
    # line, so that a file which still loads is caught accepting the wrong type silently.
    retyped_line: int | None = None


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(start, stop) of every table: a header line up to the next header."""
    starts = [i for i, line in enumerate(lines) if line.startswith("[")]
    return [(s, starts[k + 1] if k + 1 < len(starts) else len(lines)) for k, s in enumerate(starts)]


def family(value: object) -> str:
    """The TOML type of a value as the loader should care about it."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        kinds = sorted({family(v) for v in value})
        return f"list[{','.join(kinds)}]"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, (datetime, date, time)):
        return "date" if isinstance(value, (date, datetime)) else "time"
    return "str"


def _compatible(before: str, after: str) -> bool:
    """Whether a value of family `after` may stand where the demo has `before`: the same
    type; a single string or an empty list for a list of strings; a string for a date
    ("07.07.2025" is allowed)."""
    return (
        before == after
        or (before == "list[str]" and after in ("str", "list[]"))
        or (before == "date" and after == "str")
    )


def _value_of(line: str) -> object | None:
    match = _KEY_LINE.match(line)
    if match is None:
        return None
    try:
        return tomllib.loads("x = " + match.group(2)).get("x")
    except tomllib.TOMLDecodeError:
        return None


def mutate(text: str, rng: random.Random) -> tuple[str, str]:
    """One mutation of `text`: (what was done, the new text)."""
    lines = text.splitlines()
    keyed = [i for i, line in enumerate(lines) if _KEY_LINE.match(line) and not line.lstrip().startswith("#")]
    kind = rng.choice(("value", "value", "value", "delete", "duplicate", "garbage", "truncate", "uncomment", "swap"))
    if (
        (kind in ("value", "delete", "swap") and len(keyed) < 2)
        or (kind == "duplicate" and not _blocks(lines))
        or (kind == "truncate" and not text)
    ):
        kind = "garbage"  # a file already cut short has little left to work on
    if kind == "value":
        i = rng.choice(keyed)
        match = _KEY_LINE.match(lines[i])
        assert match is not None
        value = rng.choice(VALUES)
        lines[i] = match.group(1) + value
        return f"line {i + 1}: value → {value[:30]}", "\n".join(lines)
    if kind == "delete":
        i = rng.choice(keyed)
        return f"line {i + 1} deleted", "\n".join(lines[:i] + lines[i + 1 :])
    if kind == "duplicate":
        start, stop = rng.choice(_blocks(lines))
        where = rng.choice([stop, len(lines)])
        return f"table at line {start + 1} copied to {where + 1}", "\n".join(lines[:where] + lines[start:stop] + lines[where:])
    if kind == "garbage":
        i = rng.randrange(len(lines) + 1)
        junk = rng.choice(GARBAGE)
        return f"line {junk!r} inserted at {i + 1}", "\n".join([*lines[:i], junk, *lines[i:]])
    if kind == "truncate":
        cut = rng.randrange(len(text))
        return f"cut at character {cut}", text[:cut]
    if kind == "uncomment":
        commented = [i for i, line in enumerate(lines) if _COMMENTED.match(line)]
        if not commented:
            return "nothing to uncomment", text
        chosen = rng.sample(commented, k=min(len(commented), rng.randint(1, 6)))
        for i in chosen:
            match = _COMMENTED.match(lines[i])
            assert match is not None
            lines[i] = match.group(1)
        return f"lines {sorted(c + 1 for c in chosen)} uncommented", "\n".join(lines)
    # swap the values of two keys: right types in the wrong places
    i, j = rng.sample(keyed, 2)
    a, b = _KEY_LINE.match(lines[i]), _KEY_LINE.match(lines[j])
    assert a is not None and b is not None
    lines[i], lines[j] = a.group(1) + b.group(2), b.group(1) + a.group(2)
    return f"values of lines {i + 1} and {j + 1} swapped", "\n".join(lines)


def cases(count: int, seed: int = SEED) -> Iterator[Case]:
    """`count` mutated files; some get two or three mutations on top of each other."""
    rng = random.Random(seed)
    base = EXAMPLE.read_text(encoding="utf-8")
    for number in range(count):
        text, what = base, []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            done, text = mutate(text, rng)
            what.append(done)
            if not text.strip():
                break
        retyped = None
        if len(what) == 1 and (found := re.match(r"line (\d+): value", what[0])):
            line = int(found.group(1))
            before, after = _value_of(base.splitlines()[line - 1]), _value_of(text.splitlines()[line - 1])
            if before is not None and after is not None and not _compatible(family(before), family(after)):
                retyped = line
        yield Case(number, "; ".join(what), text, retyped)


def run_case(case: Case, folder: Path) -> str | None:
    """None when the case is handled properly, else what went wrong."""
    path = folder / "rules.toml"
    path.write_text(case.text, encoding="utf-8")
    try:
        load_rules(path)
        if case.retyped_line is not None:
            return f"line {case.retyped_line}: a value of the wrong type accepted silently"
    except RulesError as exc:
        lines = str(exc).splitlines()
        if not lines or not all(line.startswith("rules.toml") for line in lines):
            return f"RulesError without the file name: {str(exc)[:200]!r}"
        if tomlerrors.UNKNOWN in str(exc):
            return f"a syntax error without its own Russian text: {str(exc)[:200]!r}"
    except Exception:  # the point of the fuzz: any other exception is a bug
        return traceback.format_exc(limit=-3)
    result = CliRunner().invoke(cli, ["check", "--rules", str(path)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return "".join(traceback.format_exception(result.exception, limit=-3))
    if result.exit_code not in (0, 2):
        return f"check exit code {result.exit_code}: {result.output[-300:]}"
    if "Traceback" in result.output:
        return "check printed a traceback"
    return None


def prepare(folder: Path) -> None:
    demo_department(folder)


def test_mutated_rules_load_or_fail_with_a_rules_error(tmp_path: Path) -> None:
    prepare(tmp_path)
    failures = [(case, problem) for case in cases(CASES) if (problem := run_case(case, tmp_path)) is not None]
    assert not failures, "\n\n".join(f"case {c.number} ({c.what}):\n{p}" for c, p in failures[:5]) + (
        f"\n\n{len(failures)} of {CASES} cases failed"
    )


if __name__ == "__main__":
    import tempfile

    count = int(sys.argv[1]) if len(sys.argv) > 1 else CASES
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    with tempfile.TemporaryDirectory() as tmp:
        prepare(Path(tmp))
        bad = 0
        for case in cases(count, seed):
            problem = run_case(case, Path(tmp))
            if problem is not None:
                bad += 1
                print(f"--- case {case.number} ({case.what}):\n{problem.strip().splitlines()[-1]}")
        print(f"{count} cases, {bad} failed")
