"""[[absence]] entries: who is away when and who stands in, without overlaps or circles."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from inboxbot.rules.model import Absence
from inboxbot.rules.problems import shown, valid_list
from inboxbot.rules.reader import Reader, section_array

_ABSENCE_KEYS = ("manager", "from", "to", "backup", "reason")

def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None


def read_absences(ctx: Reader, head: str | None) -> list[Absence]:
    result: list[Absence] = []
    for index, entry in enumerate(section_array(ctx, "absence")):
        path: tuple[object, ...] = ("absence", index)
        manager = entry.get("manager")
        where = f"отсутствие «{manager}»" if isinstance(manager, str) else f"отсутствие №{index + 1}"
        ctx.unknown_keys(entry, _ABSENCE_KEYS, path, where)
        ok = ctx.manager_ref(manager, (*path, "manager"), where, "manager")
        dates: dict[str, date | None] = {}
        for key in ("from", "to"):
            value = entry.get(key)
            dates[key] = _date(value)
            if dates[key] is None:
                ctx.p.error(
                    ctx.pos.line(*path, key) if key in entry else ctx.pos.line(*path), where,
                    f"«{key}»: нужна дата вида 2025-07-07 (или «07.07.2025»)"
                    + (f", а указано «{value}»" if isinstance(value, str) else f"; {shown(value)}" if value is not None
                       else ", а она не указана"),
                )  # fmt: skip
                ok = False
        start, end = dates["from"], dates["to"]
        if start and end and start > end:
            ctx.p.error(
                ctx.pos.line(*path, "to"), where,
                f"дата окончания {end:%d.%m.%Y} раньше даты начала {start:%d.%m.%Y}",
            )  # fmt: skip
            ok = False
        backup = entry.get("backup")
        if backup is None:
            ctx.p.error(ctx.pos.line(*path), where, f"не указан заместитель (backup = \"…\"). Допустимые: {valid_list(ctx.manager_ids)}")
            ok = False
        elif not ctx.manager_ref(backup, (*path, "backup"), where, "backup"):
            ok = False
        elif backup == manager:
            ctx.p.error(ctx.pos.line(*path, "backup"), where, "менеджер не может замещать сам себя")
            ok = False
        reason = ctx.text(entry, "reason", path, where, "в отпуске", "отсутствует")
        if "reason" in entry and not isinstance(entry["reason"], str):
            ok = False
        if ok and start and end:
            result.append(Absence(str(manager), start, end, str(backup), reason or "отсутствует", ctx.pos.line(*path)))
    # Overlapping absences of one manager, and backups that lead round in a circle.
    for i, a in enumerate(result):
        for b in result[i + 1 :]:
            if a.manager == b.manager and a.start <= b.end and b.start <= a.end:
                ctx.p.error(
                    b.line, f"отсутствие «{b.manager}»",
                    f"пересекается с отсутствием в строке {a.line} ({a.start:%d.%m}–{a.end:%d.%m})",
                )  # fmt: skip
    reported: set[frozenset[str]] = set()
    for absence in result:
        day = absence.start
        away = {a.manager: a for a in result if a.covers(day)}
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
    return result


