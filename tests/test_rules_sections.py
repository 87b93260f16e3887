"""The sections of rules.toml as declarations: every key says in Russian what it takes, is
documented in the example files, and one validator reads them all (kinds, required keys,
unknown keys with a close match, every problem at once with its line)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from samples import RULES as EXAMPLE

from inboxbot.rules.load import SECTIONS, check
from inboxbot.rules.positions import Positions
from inboxbot.rules.problems import Problems
from inboxbot.rules.reader import Reader
from inboxbot.rules.settings import read_section, setting, settings_of
from inboxbot.tools.starter import starter_data

# Keys no example file shows yet. in_pool: [pool] members is the documented way to say
# who takes turns; a manager's own in_pool = true is read when [pool] has no members.
UNDOCUMENTED = [("manager", "in_pool")]
_HEADER = re.compile(r"^#?\s*\[\[?\s*([A-Za-z_.]+)\s*\]\]?\s*$")


def _documented(text: str, section: str, key: str) -> bool:
    """`key = …` (commented out or not) under a `[section]` or `[[section]]` header, or
    a `[section.key]` table of its own."""
    inside = False
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            if header.group(1) == f"{section}.{key}":
                return True
            inside = header.group(1) == section
        elif inside and re.match(rf"#?\s*{re.escape(key)}\s*=", line):
            return True
    return False


def test_every_section_key_is_documented_in_an_example() -> None:
    texts = [EXAMPLE.read_text(encoding="utf-8"), (starter_data() / "rules.toml").read_text(encoding="utf-8")]
    undocumented = [
        (name, key)
        for name, section in SECTIONS.items()
        for _, key, _ in settings_of(section)
        if not any(_documented(text, name, key) for text in texts)
    ]
    assert undocumented == UNDOCUMENTED


@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_every_section_key_says_in_russian_what_it_takes(name: str) -> None:
    for _, key, declared in settings_of(SECTIONS[name]):
        assert re.search("[а-яё]", declared.expected(key)), f"[{name}] {key}: {declared.expected(key)!r}"


def test_the_sections_are_every_table_but_rule(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[departmnet]\n", encoding="utf-8")
    errors, _ = check(rules)
    listed = next(e for e in errors if "неизвестный раздел" in e)
    assert "(возможно, «department»)" in listed
    assert set(listed.split("Допустимые: ")[1].split(", ")) == {*SECTIONS, "rule"}


@dataclass(frozen=True, slots=True)
class _Shop:
    owner: str = setting(None, "manager", label="owner", required="не указан владелец (owner = \"…\")")
    name: str = setting(None, "text", what="название, например name = \"Ромашка\"", required=True)
    open: bool = setting(True, "bool")
    size: int = setting(1, "int", what="целое число больше нуля", parse=lambda v: v if v > 0 else None)
    days: tuple[str, ...] = setting((), "str_list")
    kind: str = setting("shop", "choice", choices=("shop", "store"), unknown="неизвестный вид")


def _read(text: str) -> tuple[_Shop | None, set[str], list[str]]:
    data = tomllib.loads(text)
    ctx = Reader(Path("rules.toml"), data, Positions(text), Problems("rules.toml"), manager_ids=["ivanova"])
    shop, read = read_section(ctx, _Shop, data["shop"], ("shop",), "[shop]")
    return shop, read.bad, [message for _, message in sorted(ctx.p.errors, key=lambda e: e[0])]


def test_one_validator_reports_every_problem_of_a_section_with_its_line() -> None:
    shop, bad, errors = _read('[shop]\nopen = "yes"\nsize = 0\ndays = [1]\nkind = "stor"\nsise = 2\n')
    assert bad == {"owner", "name", "open", "size", "days", "kind"}
    assert errors == [
        "rules.toml, строка 1, [shop]: не указан владелец (owner = \"…\"). Допустимые: ivanova",
        "rules.toml, строка 1, [shop]: name — название, например name = \"Ромашка\"",
        "rules.toml, строка 2, [shop]: open — true или false; указан текст \"yes\"",
        "rules.toml, строка 3, [shop]: size — целое число больше нуля; указано число 0",
        "rules.toml, строка 4, [shop]: «days» — нужен список строк в кавычках, например days = [\"a\", \"b\"]; указан список [1]",
        "rules.toml, строка 5, [shop]: неизвестный вид «stor» (возможно, «store»). Допустимые: shop, store",
        "rules.toml, строка 6, [shop]: неизвестный параметр «sise» (возможно, «size»). Допустимые: "
        "owner, name, open, size, days, kind",
    ]
    assert shop == _Shop(owner=None, name=None, open=True, size=1, days=(), kind="shop")  # the defaults stand in


def test_one_validator_builds_the_typed_section() -> None:
    shop, bad, errors = _read('[shop]\nowner = "ivanova"\nname = "Ромашка"\nopen = false\nsize = 3\ndays = "пн"\n')
    assert (shop, bad, errors) == (_Shop("ivanova", "Ромашка", False, 3, ("пн",), "shop"), set(), [])


def test_every_section_is_a_known_top_level_key_listed_with_rule_after_pool(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text("".join(f"[{name}]\n" for name in SECTIONS) + "[[rule]]\n[departmnet]\n", encoding="utf-8")
    errors, _ = check(path)
    unknown = [e for e in errors if "неизвестный раздел" in e]
    assert len(unknown) == 1 and "[departmnet]" in unknown[0], unknown
    listed = unknown[0].rpartition("Допустимые: ")[2].split(", ")
    assert listed == [*list(SECTIONS)[: list(SECTIONS).index("pool") + 1], "rule",
                      *list(SECTIONS)[list(SECTIONS).index("pool") + 1 :]]  # fmt: skip
