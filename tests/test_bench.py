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
