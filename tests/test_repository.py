"""The repository carries everything its tests, demo and benchmarks read.

A user's clone has nothing beside it: a tracked file that reaches outside the checkout (the
developers' `../shared` folder, `REPO.parent`, `parents[2] / "shared"`) passes here and fails
there. The sample corpora were copied in (tests/corpus, tests/corpus-2, tests/mime-corpus);
their PROVENANCE.md files say where from, so they alone may name the old place.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

from samples import CORPUS, CORPUS_2, MIME_CORPUS, REPO, mime_corpus_files

# Ways a path leaves the checkout: the shared folder by name, or the checkout's parent.
OUTSIDE = re.compile(
    r"\.\./shared\b"  # ../shared/corpus
    r"|/work/shared\b"  # an absolute path on a developer's machine
    r"|\bparents\[\d+\]\s*/\s*[\"']shared"  # Path(__file__).parents[2] / "shared"
    r"|\b(?:REPO|ROOT)\.parent\b"  # REPO.parent / "shared"
    r"|\bparents\[\d+\]\.parent\b"  # parents[1].parent
)

def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    return [name for name in out.decode("utf-8").split("\0") if name]


def outside_references(name: str, data: bytes) -> list[tuple[str, str]]:
    """(file, line) for every line of a text file that names a path outside the checkout."""
    if b"\0" in data[:8192]:  # images and other binary files hold no paths
        return []
    text = data.decode("utf-8", errors="replace")
    return [(name, line.strip()) for line in text.splitlines() if OUTSIDE.search(line)]


def test_no_tracked_file_reads_outside_the_repository() -> None:
    found: list[tuple[str, str]] = []
    for name in tracked_files():
        # A provenance note says where a copy came from; that is history, not a path read.
        if Path(name).name == "PROVENANCE.md" or name == "tests/test_repository.py":
            continue
        path = REPO / name
        if path.is_file():  # a tracked file deleted in the work tree is not read by anyone
            found += outside_references(name, path.read_bytes())
    assert found == []


def test_the_check_sees_each_way_out() -> None:
    """The pattern is only as good as what it catches: the forms the tests used to use."""
    lines = [
        'CORPUS = REPO.parent / "shared" / "corpus"',
        'SHARED = Path(__file__).resolve().parents[1].parent / "shared"',
        'CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"',
        'CORPUS = ROOT.parent / "shared" / "corpus"',
        "В папке — labels.json в формате ../shared/corpus",
        "cp -r /work/shared/corpus .",
    ]
    for line in lines:
        assert outside_references("x.py", line.encode()) == [("x.py", line)]
    fine = ['CORPUS = REPO / "tests" / "corpus"', 'path.parent / "demo"', "shared_addresses = []"]
    assert [hit for line in fine for hit in outside_references("x.py", line.encode())] == []


def test_the_labelled_corpora_are_complete() -> None:
    for folder, count in ((CORPUS, 30), (CORPUS_2, 120)):
        labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        mails = sorted(p.name for p in folder.glob("*.eml"))
        assert len(mails) == count and sorted(labels) == mails, folder
        assert (folder / "PROVENANCE.md").is_file()
    for name in ("clients.csv", "groups.csv", "vip.csv", "scenario.md", "scenario.json"):
        assert (CORPUS / name).is_file(), name


def test_the_mime_corpus_is_byte_for_byte_what_its_manifest_lists() -> None:
    """Line endings and stray bytes are the point of these mails; a checkout that converts
    them (core.autocrlf) would test something else. .gitattributes marks them -text."""
    rows = (MIME_CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    expected = {MIME_CORPUS / row.split("\t")[0]: row.split("\t")[2] for row in rows if row.strip()}
    files = mime_corpus_files()
    assert len(files) == 272
    changed = [str(p) for p in files if hashlib.sha256(p.read_bytes()).hexdigest() != expected[p]]
    assert changed == []
    for name in ("SOURCES.md", "PROVENANCE.md"):
        assert (MIME_CORPUS / name).is_file(), name
    licences = {p.name for p in (MIME_CORPUS / "LICENSES").iterdir()}
    sources = {p.name for p in MIME_CORPUS.iterdir() if p.is_dir() and p.name != "LICENSES"}
    # Every source folder has its licence text, named after it.
    assert {s for s in sources if not any(name.startswith(s + "-") for name in licences)} == set()
