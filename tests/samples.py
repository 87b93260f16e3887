"""Sample mails from the shared corpus and small mailbox helpers for the worker tests."""

from __future__ import annotations

from pathlib import Path

from inboxbot.config import ServerSettings
from inboxbot.fetch import Mailbox

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules.toml"
CORPUS = REPO.parent / "shared" / "corpus"


def sample(prefix: str) -> bytes:
    """The corpus mail whose file name starts with `prefix` ("001")."""
    found = sorted(CORPUS.glob(f"{prefix}-*.eml"))
    assert found, f"sample {prefix} missing in {CORPUS}"
    return found[0].read_bytes()


def deliver(imap: ServerSettings, *raws: bytes) -> None:
    with Mailbox(imap) as box:
        for raw in raws:
            box.append(raw)


def pending(imap: ServerSettings) -> list[int]:
    with Mailbox(imap) as box:
        return box.pending_uids()
