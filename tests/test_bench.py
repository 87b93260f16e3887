"""The benchmarks are not run by the suite (they measure, they do not pass or fail), but they must
still import: a helper renamed under them once broke bench_worker.py for a whole session unnoticed."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from samples import REPO

BENCHES = sorted((REPO / "bench").glob("bench_*.py"))


@pytest.mark.parametrize("path", BENCHES, ids=lambda p: p.name)
def test_benchmark_imports(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(path)])
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)  # top level only: each bench runs under `if __name__ == "__main__"`
    assert callable(getattr(module, "main", None))


def test_there_are_benchmarks() -> None:
    assert len(BENCHES) >= 4


def test_the_worker_benchmarks_floor_takes_every_argument_the_worker_decides_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bench_worker's I/O floor stands in for the Pipeline: when the worker began passing
    `ledger`, `recent` and `absences` to `decide`, the floor raised TypeError on every mail
    and the floor half of the benchmark measured nothing."""
    import inspect

    from inboxbot.mail.message import parse
    from inboxbot.model.facts import Facts
    from inboxbot.run.pipeline import Pipeline, Prepared

    path = REPO / "bench" / "bench_worker.py"
    spec = importlib.util.spec_from_file_location("bench_worker_floor", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    passed = {name: None for name, p in inspect.signature(Pipeline.decide).parameters.items()
              if p.kind is inspect.Parameter.KEYWORD_ONLY}  # fmt: skip
    assert {"received_at", "ledger"} <= set(passed)
    prepared = Prepared(parse(b"From: a@b.test\r\nSubject: x\r\n\r\ntext\r\n"), Facts())
    outcome = module.FloorPipeline.decide(object(), prepared, None, **passed)
    assert outcome.decision.owner == "ivanova"
