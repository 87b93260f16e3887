"""[[absence]] entries: who is away when and who stands in, without overlaps or circles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from inboxbot.rules.model import Absence
from inboxbot.rules.problems import shown
from inboxbot.rules.reader import Reader, section_array
from inboxbot.rules.settings import Section, read_section, setting
from inboxbot.rules.values import as_date

_DATE = "дата вида 2025-07-07 (или «07.07.2025»)"


def _date(read: Section, key: str, value: Any) -> date | None:
    day = as_date(value)
    if day is None:
        read.error(
            read.line(key) if read.given(key) else read.line(),
            f"«{key}»: нужна {_DATE}"
            + (f", а указано «{value}»" if isinstance(value, str) else f"; {shown(value)}" if value is not None
               else ", а она не указана"),
            key,
        )  # fmt: skip
    return day


def _start(read: Section, value: Any) -> date | None:
    return _date(read, "from", value)


def _end(read: Section, value: Any) -> date | None:
    start, end = read.values["start"], _date(read, "to", value)
    if start and end and start > end:
        read.error(read.line("to"), f"дата окончания {end:%d.%m.%Y} раньше даты начала {start:%d.%m.%Y}", "to")
    return end


def _not_self(read: Section, value: str | None) -> str | None:
    if value is not None and "backup" not in read.bad and value == read.values["manager"]:
        read.error(read.line("backup"), "менеджер не может замещать сам себя", "backup")
    return value


@dataclass(frozen=True, slots=True)
class AbsenceSection:
    """One [[absence]] as rules.toml writes it."""

    manager: str = setting(None, "manager", label="manager", required=True)
    start: date | None = setting(None, "any", key="from", what=_DATE, check=_start)
    end: date | None = setting(None, "any", key="to", what=_DATE, check=_end)
    backup: str = setting(None, "manager", label="backup", required="не указан заместитель (backup = \"…\")", check=_not_self)
    reason: str = setting("отсутствует", "text", example="в отпуске")


def read_absences(ctx: Reader, head: str | None) -> list[Absence]:
    result: list[Absence] = []
    for index, entry in enumerate(section_array(ctx, "absence")):
        path: tuple[object, ...] = ("absence", index)
        manager = entry.get("manager")
        where = f"отсутствие «{manager}»" if isinstance(manager, str) else f"отсутствие №{index + 1}"
        s, read = read_section(ctx, AbsenceSection, entry, path, where)
        if s is not None and not read.bad and s.start and s.end:
            result.append(Absence(s.manager, s.start, s.end, s.backup, s.reason or "отсутствует", ctx.pos.line(*path)))
    _overlaps(ctx, result)
    _cycles(ctx, result, head)
    return result


def _overlaps(ctx: Reader, absences: list[Absence]) -> None:
    """Two absences of one manager that share a day."""
    for i, a in enumerate(absences):
        for b in absences[i + 1 :]:
            if a.manager == b.manager and a.start <= b.end and b.start <= a.end:
                ctx.p.error(
                    b.line, f"отсутствие «{b.manager}»",
                    f"пересекается с отсутствием в строке {a.line} ({a.start:%d.%m}–{a.end:%d.%m})",
                )  # fmt: skip


def _cycles(ctx: Reader, absences: list[Absence], head: str | None) -> None:
    """Backups that lead round in a circle on the first day of an absence, each circle once."""
    reported: set[frozenset[str]] = set()
    for absence in absences:
        day = absence.start
        away = {a.manager: a for a in absences if a.covers(day)}
        current, seen = absence.manager, [absence.manager]
        while current in away:
            current = away[current].backup
            if current in seen:
                cycle = [*seen[seen.index(current) :], current]
                cycle_key = frozenset(cycle)
                if cycle_key not in reported:
                    reported.add(cycle_key)
                    ctx.p.error(
                        absence.line, f"отсутствие «{absence.manager}»",
                        f"заместители по кругу на {day:%d.%m.%Y}: {' → '.join(cycle)}; "
                        f"укажите заместителем того, кто в эти дни работает"
                        + (f" (или руководителя «{head}»)" if head else ""),
                    )  # fmt: skip
                break
            seen.append(current)
