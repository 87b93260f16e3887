"""`inboxbot score` for a person: the Russian tables of a scoring `Report` (extraction per
field, routing per field and per expected rule), then one block per mail with a miss:
what was expected and found, and the decision's reasons and short trail."""

from __future__ import annotations

from inboxbot.model.decision import PUBLIC_ACTION_WORDS
from inboxbot.tools.score_routing import ROUTE_FIELDS
from inboxbot.tools.scoring import FIELD_TITLES, FIELDS, Report

ROUTE_TITLES = {"action": "Действие", "owner": "Ответственный", "rule": "Правило"}
_VERDICT_WORDS = {"wrong": "неверно", "extra": "лишнее", "missed": "не найдено"}


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_report(report: Report) -> str:
    """Precision and recall per extracted field, accuracy per routing field and per
    expected rule, then every mail with a miss."""
    lines = [
        f"Папка: {report.folder}",
        f"Писем: {report.mails}, из них пропускаемых (не оцениваются): {report.skipped}",
        "",
        f"{'Поле':<10}{'найдено':>9}{'верно':>7}{'неверно':>9}{'точность':>10}{'полнота':>18}",
    ]
    for name in FIELDS:
        s = report.fields[name]
        recall = f"{s.recall_hit}/{s.recall_total} {_pct(s.recall)}"
        lines.append(f"{FIELD_TITLES[name]:<10}{s.found:>9}{s.right:>7}{s.wrong:>9}{_pct(s.precision):>10}{recall:>18}")
    lines += [
        "",
        "Точность — доля верных среди найденных; полнота — доля найденных верно среди писем, где",
        "значение видно из самого письма (ИНН из базы клиентов и регион клиента из базы не в счёт).",
    ]
    lines += _routing_lines(report)
    lines += _miss_lines(report)
    return "\n".join(lines)


def _routing_lines(report: Report) -> list[str]:
    if not any(t.n for t in report.route.values()):
        return []
    lines = ["", "Маршрутизация (все письма, пропускаемые тоже):", f"{'Поле':<16}{'писем':>7}{'верно':>7}{'доля':>9}"]
    for name in ROUTE_FIELDS:
        t = report.route[name]
        lines.append(f"{ROUTE_TITLES[name]:<16}{t.n:>7}{t.right:>7}{_pct(t.accuracy):>9}")
    if report.rules:
        lines += ["", f"{'Ожидаемое правило':<20}{'писем':>7}{'верно':>7}{'доля':>9}{'то же правило':>15}"]
        for rule, t in sorted(report.rules.items(), key=lambda item: (-item[1].n, item[0])):
            lines.append(f"{rule:<20}{t.n:>7}{t.right:>7}{_pct(t.accuracy):>9}{t.rule_right:>15}")
        lines.append("«Верно» — и действие, и ответственный как в разметке; «то же правило» — решило ожидаемое правило.")
    return lines


def _miss_lines(report: Report) -> list[str]:
    count = len(report.misses) + len(report.route_misses)
    lines = ["", f"Промахи: {count}" if count else "Промахов нет."]
    extraction = report.misses
    routing = report.route_misses
    for file in report.miss_files:
        lines.append("")
        for o in (m for m in extraction if m.file == file):
            lines.append(f"  {o.file}  {FIELD_TITLES[o.field]}: {_VERDICT_WORDS[o.verdict]}; ожидалось {_dash(o.expected)}, найдено {_dash(o.found)}")
        for r in (m for m in routing if m.file == file):
            lines.append(f"  {r.file}  {ROUTE_TITLES[r.field]}: неверно; ожидалось {_dash(r.expected)}, найдено {_dash(r.found)}")
        case = report.cases.get(file)
        if case is None:
            continue
        lines.append(f"    решение: {PUBLIC_ACTION_WORDS[case.action]} → {_dash(case.owner)} [{case.rule}]; тема: {case.subject}")
        lines.extend(f"    • {reason}" for reason in case.reasons)
        lines.extend(f"    {step}" for step in case.trail)
    return lines


def _dash(value: str | None) -> str:
    return value if value is not None else "—"
