"""A simulated month of pool mail: each member's share against the target, before and
after the catch-up that follows an absence.

    .venv/bin/python bench/bench_fair_month.py                 # June 2025, 600 requests
    .venv/bin/python bench/bench_fair_month.py --requests 300 --month 2025-07

600 anonymous requests (nothing known: pool mail) arrive evenly over the month's working
hours and go through the real `route.decide` with the clock moving mail by mail, each
decision recorded in a store as the worker records it. Every named queue ([[pool]]) is
simulated, each with its own month of that many requests; the demo has one, «main», and
`--pharma` adds a second queue («pharma»: Смирнова and Орлов) to show two. Petrov is away 09.06–20.06 (back
on Monday 23.06), Orlov is on duty Monday to Thursday only. The first table is the pool
with period = "month" (the demo rules.toml documents the rule); the second, for contrast,
the rolling least_loaded of today (30 days), which makes the returning manager take
everything until he has as many as the others, days away included. Not a test: it
prints, it asserts nothing (tests/test_fair_share.py asserts the convergence).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from samples import RULES  # noqa: E402

from inboxbot.rules.load import load_rules  # noqa: E402
from inboxbot.rules.model import Absence, Pool, Rules  # noqa: E402
from inboxbot.tools.fair_month import Month, simulate_queues, table, with_month_share  # noqa: E402


def scenario(rules: Rules, year: int, month: int) -> Rules:
    away = Absence("petrov", date(year, month, 9), date(year, month, 20), "ivanova", "в отпуске")
    managers = dict(rules.managers)
    managers["orlov"] = replace(managers["orlov"], duty=(0, 1, 2, 3))
    return replace(rules, absences=(away,), managers=managers)


def write_chart(rules: Rules, month: Month, path: Path) -> None:
    """The report's own fairness chart (compose/charts.py) over the simulated month."""
    from inboxbot.compose.charts import fairness_chart
    from inboxbot.compose.report import build_report

    since = min(r.seen_at for r in month.requests) - timedelta(hours=1)
    until = max(r.seen_at for r in month.requests) + timedelta(hours=1)
    chart = fairness_chart(build_report(month.requests, (), rules, since, until, now=until))
    assert chart is not None
    path.write_bytes(chart.png)
    print(f"график: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--month", default="2025-06", help="ГГГГ-ММ")
    parser.add_argument("--chart", type=Path, default=None, help="PNG: the report's fairness chart of the month")
    parser.add_argument("--pharma", action="store_true", help="a second queue «pharma» (Смирнова, Орлов)")
    args = parser.parse_args()
    year, month = (int(x) for x in args.month.split("-"))
    base = scenario(load_rules(RULES), year, month)
    back = date(year, month, 23)
    assert base.pool is not None
    print(f"period = \"month\", method = \"least_loaded\"; Петров в отпуске 09–20, Орлов дежурит пн–чт; {args.requests} заявок в каждой очереди")
    if args.pharma:
        pharma = Pool("pharma", ("smirnova", "orlov"))
        base = replace(base, pools=MappingProxyType({**base.pools, pharma.name: pharma}))
    results = simulate_queues(with_month_share(base), year, month, args.requests, back)
    for result in results:
        print(table(result))
        print()
    if args.chart is not None:
        write_chart(with_month_share(base), results[0], args.chart)
    print("Для сравнения: period = \"rolling\", method = \"least_loaded\" (30 дней) — цель та же")
    rolling = replace(base, pool=replace(base.pool, method="least_loaded"),
                      pools=MappingProxyType({n: replace(p, method="least_loaded") for n, p in base.pools.items()}))
    for result in simulate_queues(rolling, year, month, args.requests, back):
        print(table(result))
        print()


if __name__ == "__main__":
    main()
