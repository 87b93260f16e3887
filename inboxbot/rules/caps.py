"""[caps]: which mail counts against a manager's daily_cap and monthly_cap. By default
only the pool's; `apply_to` may add the mail a territory, segment or region rule gives
them — a manager whose territory floods them stops taking it once over the cap, and that
mail goes on down the rules (to the pool, usually)."""

from __future__ import annotations

from dataclasses import dataclass

from inboxbot.rules.reader import Reader, section_table
from inboxbot.rules.settings import Section, read_section, setting

CAPPED = ("pool", "territory", "segment", "region")


def _apply_to(read: Section, value: tuple[str, ...]) -> tuple[str, ...]:
    for kind in value:
        if kind not in CAPPED:
            line = read.ctx.pos.value_line((*read.path, "apply_to"), kind)
            read.error(line, f"apply_to: неизвестный вид писем «{kind}». Допустимые: {', '.join(CAPPED)}", "apply_to")
    if read.given("apply_to") and not value:
        read.error(read.line("apply_to"), "apply_to — хотя бы один вид писем, например apply_to = [\"pool\", \"territory\"]", "apply_to")
    return tuple(dict.fromkeys(k for k in value if k in CAPPED)) or ("pool",)


@dataclass(frozen=True, slots=True)
class CapsSection:
    """[caps] as rules.toml writes it."""

    apply_to: tuple[str, ...] = setting(("pool",), "str_list", check=_apply_to)


def read_caps(ctx: Reader) -> tuple[str, ...]:
    """The kinds of mail the caps count (condition names); ("pool",) without [caps]."""
    table = section_table(ctx, "caps", "[caps]")
    if table is None:
        return ("pool",)
    section, _ = read_section(ctx, CapsSection, table, ("caps",), "[caps]")
    assert section is not None  # no key of [caps] stops the reading
    return section.apply_to
