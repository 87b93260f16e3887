"""Where the tests' sample data lives, and small mailbox helpers for the worker tests.

Every path a test or benchmark reads is named here, and each is inside the repository: a
fresh clone must run its tests with nothing beside it (tests/test_repository.py checks).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inboxbot.config import ServerSettings

REPO = Path(__file__).resolve().parents[1]
# The demo company, shipped in the package: its rules.toml (the documented example of every
# setting, and the rules of the corpus scenario), client files and 30 sample requests.
DEMO_DATA = REPO / "inboxbot" / "demo_data"
RULES = DEMO_DATA / "rules.toml"
DEMO_MAIL = DEMO_DATA / "mail"
# 30 labelled requests of the demo company's scenario, with its client base (PROVENANCE.md).
CORPUS = REPO / "tests" / "corpus"
# 120 more labelled requests under the same scenario and client base.
CORPUS_2 = REPO / "tests" / "corpus-2"
# 272 real malformed or unusual mails from other projects' test suites (SOURCES.md).
MIME_CORPUS = REPO / "tests" / "mime-corpus"


def mime_corpus_files() -> list[Path]:
    """The mails of the MIME corpus, as MANIFEST.tsv lists them (the folder also holds the
    manifest, SOURCES.md and licence texts, which are not mail)."""
    lines = (MIME_CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [MIME_CORPUS / line.split("\t")[0] for line in lines if line.strip()]


def demo_department(folder: Path, rules_text: str | None = None) -> Path:
    """The demo company's rules and client files (not its mail) copied into `folder` to be
    edited; `rules_text`, if given, is written as its rules.toml. Returns the rules file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("clients.csv", "groups.csv", "vip.csv"):  # the files rules.toml names
        shutil.copyfile(DEMO_DATA / name, folder / name)
    rules = folder / "rules.toml"
    rules.write_text(RULES.read_text(encoding="utf-8") if rules_text is None else rules_text, encoding="utf-8")
    return rules


def sample(prefix: str) -> bytes:
    """The corpus mail whose file name starts with `prefix` ("001")."""
    found = sorted(CORPUS.glob(f"{prefix}-*.eml"))
    assert found, f"sample {prefix} missing in {CORPUS}"
    return found[0].read_bytes()


# The mailbox helpers import inboxbot when called: the benchmarks read the paths above
# before they time inboxbot's imports.


def deliver(imap: ServerSettings, *raws: bytes) -> None:
    from inboxbot.io.imap import Mailbox

    with Mailbox(imap) as box:
        for raw in raws:
            box.append(raw)


def pending(imap: ServerSettings) -> list[int]:
    from inboxbot.io.imap import Mailbox

    with Mailbox(imap) as box:
        return box.pending_uids()


def modules_loaded_by(args: list[str], names: tuple[str, ...], *, cwd: Path,
                      env: dict[str, str] | None = None) -> list[str] | None:
    """Which of `names` are in sys.modules after `inboxbot ARGS` runs in a fresh
    interpreter (in-process, so the answer is about imports, not about subprocesses);
    None when the run did not get that far."""
    code = (
        "import sys\n"
        "from inboxbot.cli import cli\n"
        f"try:\n    cli.main(args={args!r}, standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        f"print('LOADED:' + ','.join(m for m in {names!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False, env=env)
    marked = [line for line in out.stdout.splitlines() if line.startswith("LOADED:")]
    return [m for m in marked[-1].removeprefix("LOADED:").split(",") if m] if marked else None
