"""`inboxbot replay --json` over the sample corpora and the malformed-mail corpus, pinned byte for byte.

The files in tests/replay/ were recorded before the package restructuring (commit 75415f8) and
passed unchanged through it (commit 47552e9). Since then they change only with a deliberate change
of behaviour, re-recorded in a commit that says which decisions moved and why (`git log -p
tests/replay`). Any other difference here is a regression to look at, not to re-record.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from samples import CORPUS, CORPUS_2, REPO, RULES, mime_corpus_files

PINNED = REPO / "tests" / "replay"


def _replay(paths: list[Path]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "inboxbot", "replay", "--rules", str(RULES), "--json", *map(str, paths)],
        capture_output=True, text=True, encoding="utf-8", cwd=REPO, check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(("name", "paths"), [
    ("corpus", [CORPUS]),
    ("corpus-2", [CORPUS_2]),
    ("mime-corpus", mime_corpus_files()),
], ids=["corpus", "corpus-2", "mime-corpus"])
def test_replay_output_is_unchanged(name: str, paths: list[Path]) -> None:
    expected = (PINNED / f"{name}.jsonl").read_text(encoding="utf-8")
    actual = _replay(paths)
    assert actual.splitlines() == expected.splitlines()
    assert actual == expected
