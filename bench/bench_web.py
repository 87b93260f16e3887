"""The web pages with a big journal: p50 and p95 of the request list and the story page
over 100,000 synthetic requests in SQLite.

    .venv/bin/python bench/bench_web.py                  # 100,000 requests, 200 pages each
    .venv/bin/python bench/bench_web.py --rows 20000 --pages 50

The journal is the real SQLite file with its real indexes; the rows are the worker's own
(store/rows.decided_row of a real decision), inserted in bulk, then forwarded, some
answered, some skipped, over a year. Each page is fetched through Starlette's TestClient
(the whole app: session, guard, store query, template), logged in as the head and as a
manager. Not a test: it measures and prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from web_site import HEAD, PETROV, T0, csrf_of, decision, make_site  # noqa: E402

from inboxbot.mail.message import parse  # noqa: E402
from inboxbot.model.records import MessageKey  # noqa: E402
from inboxbot.store.interfaces import RequestFilter  # noqa: E402
from inboxbot.store.rows import decided_row, iso  # noqa: E402

OWNERS = ("petrov", "ivanova", "sidorov", "kuznetsova", "orlov", "smirnova")
WORDS = ("Коробки", "Гофрокартон", "Упаковка", "Лоток", "Ящик", "Поддон", "Плёнка", "Скотч", "Стрейч", "Короб")


def fill(path: Path, rows: int, seed: int = 7) -> None:
    """`rows` requests in the journal at `path`, as the worker writes them."""
    import sqlite3

    rng = random.Random(seed)
    template = parse(b"From: x@y.test\r\nSubject: x\r\n\r\nx\r\n")
    db = sqlite3.connect(path)
    batch = []
    for n in range(rows):
        uid = 1000 + n
        owner = None if n % 10 == 0 else rng.choice(OWNERS)
        action = "skip" if owner is None and n % 20 == 0 else ("triage" if owner is None else "forward")
        made = decision(owner, action=action, rule="territory" if owner else ("not_a_request" if action == "skip" else "triage"))
        subject = f"{rng.choice(WORDS)} {rng.randint(1, 999)} шт, заказ {n}"
        sender = f"buyer{n % 5000}@client{n % 3000}.test"
        seen = T0 - timedelta(minutes=5 * (rows - n))
        details = {"company": {"name": f"ООО «Клиент {n % 3000}»", "inn": f"{7700000000 + n % 3000}"}}
        row = decided_row(MessageKey("INBOX", 1, uid), template, made, details, iso(seen))
        # the parsed mail's own columns, as parse() would give them for this one
        row |= {"state": "marked", "sender": sender, "subject": subject, "message_id": f"b{n}@client",
                "content_hash": f"{n:064x}"}
        if action == "forward":
            row |= {"forward_id": f"fwd{n}@bot", "forwarded_at": iso(seen + timedelta(minutes=1))}
            if n % 3:
                row |= {"answered_at": iso(seen + timedelta(hours=2)), "answered_by": owner, "answer_how": "reply"}
        batch.append(row)
    columns = sorted({c for r in batch for c in r})
    db.executemany(
        f"INSERT INTO messages ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        [[r.get(c) for c in columns] for r in batch],
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def timed(fetch: Callable[[], int], runs: int) -> tuple[float, float]:
    """(p50, p95) in milliseconds of `runs` fetches, after one warm-up."""
    fetch()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status = fetch()
        times.append((time.perf_counter() - start) * 1000)
        if status != 200:
            raise RuntimeError(f"page answered {status}")
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=200, help="fetches per measured page kind")
    args = parser.parse_args()
    from starlette.testclient import TestClient

    with tempfile.TemporaryDirectory(prefix="inboxbot-bench-web-") as tmp:
        site = make_site(Path(tmp))
        started = time.perf_counter()
        fill(Path(tmp) / "journal.sqlite", args.rows)
        print(f"{args.rows} requests written in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        site.store.browse.search(RequestFilter(text="первый поиск"))
        print(f"the first search indexed them in {time.perf_counter() - started:.1f} s (once; later ones add new rows only)")
        rng = random.Random(1)
        top = site.rows["skipped2"] + args.rows
        results = []
        for who in (HEAD, PETROV):
            web = TestClient(site.app, follow_redirects=False)
            token = csrf_of(web.get("/login").text)
            assert web.post("/login", data={"csrf": token, "address": who[0], "password": who[1]}).status_code == 303
            kinds: dict[str, Callable[[], int]] = {
                "list, first page": lambda web=web: web.get("/requests").status_code,
                "list, page 50 deep": lambda web=web: web.get("/requests", params={"before": top - 2500}).status_code,
                "list, manager + state": lambda web=web: web.get(
                    "/requests", params={"manager": "petrov", "state": "waiting"}).status_code,
                "list, period (one week)": lambda web=web: web.get(
                    "/requests", params={"since": "2025-12-01", "until": "2025-12-07"}).status_code,
                "search, common word": lambda web=web: web.get("/requests", params={"q": "гофрокартон"}).status_code,
                "search, one client's INN": lambda web=web: web.get(
                    "/requests", params={"q": str(7700000000 + rng.randrange(3000))}).status_code,
                "story": lambda web=web: _story(web, rng, top),
            }
            for name, fetch in kinds.items():
                p50, p95 = timed(fetch, args.pages)
                results.append((who[0].split("@")[0], name, p50, p95))
        site.store.close()
    print(f"{'who':<12} {'page':<28} {'p50 ms':>8} {'p95 ms':>8}")
    for who_name, name, p50, p95 in results:
        print(f"{who_name:<12} {name:<28} {p50:8.1f} {p95:8.1f}")


def _story(web: object, rng: random.Random, top: int) -> int:
    """A random request's story; a manager's 404 for another's request is a page too."""
    answer = web.get(f"/requests/{rng.randrange(1, top)}")  # type: ignore[attr-defined]
    return 200 if answer.status_code in (200, 404) else int(answer.status_code)


if __name__ == "__main__":
    main()
