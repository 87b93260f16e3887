"""Parallel preparation of a backlog gives exactly what serial preparation gives."""

from pathlib import Path

from inboxbot.pipeline import Pipeline
from inboxbot.rules import load_rules

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def test_child_processes_prepare_the_same_facts_in_order() -> None:
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    assert len(raws) == 30, f"corpus missing at {CORPUS}"
    raws = raws + raws[:Pipeline.PARALLEL_MIN - len(raws) + 5]  # a batch big enough for the pool
    rules = load_rules(REPO / "rules.toml")
    serial = Pipeline(rules, processes=0)
    parallel = Pipeline(rules, serial.extractor, processes=2)
    try:
        expected = serial.prepare_many(raws)
        got = parallel.prepare_many(raws)
        assert parallel._pool is not None  # noqa: SLF001 - the pool path really ran
    finally:
        parallel.close()
    assert [p.msg.message_id for p in got] == [p.msg.message_id for p in expected]
    assert [p.facts for p in got] == [p.facts for p in expected]
    assert all(p.error is None for p in got)
