"""Parallel preparation of a backlog gives exactly what serial preparation gives."""

import os
import subprocess
import sys
from pathlib import Path

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



def test_in_children_even_one_mail_is_prepared_in_a_forked_child_and_no_models_load_here() -> None:
    """The worker's mode: every mail goes to an extraction process forked from the
    forkserver that holds the models; this process loads none."""
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))][:3]
    rules = load_rules(RULES)
    serial = Pipeline(rules, processes=0)
    worker = Pipeline(rules, processes=1, in_children=True)
    try:
        worker.warm_up()  # starts the forkserver, not a loading here
        got = worker.prepare_many(raws[:1]) + worker.prepare_many(raws[1:])
        assert worker._pool is not None
        children = list(worker._pool._processes)
        parents = {int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) for pid in children}
        assert worker.loaded_extractor is None
    finally:
        worker.close()
    assert len(children) == 1 and parents != {os.getpid()}  # the forkserver's children
    assert [p.facts for p in got] == [p.facts for p in serial.prepare_many(raws)]


def test_the_worker_imports_no_nlp_library() -> None:
    """spaCy alone is ~80 MB; the worker prepares nothing itself, so it must not import it."""
    code = "import sys, inboxbot.cli, inboxbot.run.jobs, inboxbot.run.worker; print(sorted({'spacy', 'natasha', 'pymorphy3'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_worker_leaves_itself_a_core_and_extracts_with_the_rest() -> None:
    from inboxbot.run.pipeline import extraction_processes

    assert [extraction_processes(cores) for cores in (1, 2, 3, 4, 16)] == [1, 1, 2, 2, 2]
