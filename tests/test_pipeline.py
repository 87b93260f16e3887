"""Parallel preparation of a backlog gives exactly what serial preparation gives."""

import os

from samples import CORPUS, RULES

from inboxbot.rules.load import load_rules
from inboxbot.run.pipeline import CHILD_NICENESS, Pipeline


def test_child_processes_prepare_the_same_facts_in_order() -> None:
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    assert len(raws) == 30, f"corpus missing at {CORPUS}"
    raws = raws + raws[:Pipeline.PARALLEL_MIN - len(raws) + 5]  # a batch big enough for the pool
    rules = load_rules(RULES)
    serial = Pipeline(rules, processes=0)
    parallel = Pipeline(rules, serial.extractor, processes=2)
    try:
        expected = serial.prepare_many(raws)
        got = parallel.prepare_many(raws)
        assert parallel._pool is not None
        # The children yield the CPU to the worker's own, order-bound work.
        niceness = min(19, os.getpriority(os.PRIO_PROCESS, 0) + CHILD_NICENESS)
        children = list(parallel._pool._processes)
        assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in children] == [niceness] * len(children)
    finally:
        parallel.close()
    assert [p.msg.message_id for p in got] == [p.msg.message_id for p in expected]
    assert [p.facts for p in got] == [p.facts for p in expected]
    assert all(p.error is None for p in got)
    # The children open the client base themselves: the clients the mails name are found there too.
    assert sum(bool(p.facts.named_clients) for p in got) >= 5


def test_prepare_ahead_gives_each_batch_its_own_mails_in_order() -> None:
    """Batches big enough for the children and small ones prepared in the worker, mixed:
    each comes back with its own mails' facts, in order, whatever ran ahead."""
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    batches = [raws + raws[:15], raws[:3], raws[5:] + raws, raws[:1]]
    rules = load_rules(RULES)
    serial = Pipeline(rules, processes=0)
    parallel = Pipeline(rules, serial.extractor, processes=2)
    try:
        got = list(parallel.prepare_ahead(batches, lambda raw: raw, ahead=2))
        assert parallel._pool is not None
    finally:
        parallel.close()
    assert [batch for batch, _ in got] == batches
    for batch, prepared in got:
        expected = serial.prepare_many(batch)
        assert [p.msg.message_id for p in prepared] == [p.msg.message_id for p in expected]
        assert [p.facts for p in prepared] == [p.facts for p in expected]

