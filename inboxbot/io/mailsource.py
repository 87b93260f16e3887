"""Mail from disk for `explain` and `replay`: .eml files, folders of them, mbox, Maildir."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from inboxbot.errors import InboxbotError


@dataclass(frozen=True, slots=True)
class StoredMail:
    label: str  # file name, or "mbox-file#3"
    raw: bytes = field(repr=False)


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def read_mail(paths: Sequence[Path]) -> Iterator[StoredMail]:
    """Yield every mail under `paths`, in order: folders sorted by file name (the
    order they arrived in, for the sample corpus), mbox and Maildir in their order."""
    for path in paths:
        if not path.exists():
            raise InboxbotError(f"{path}: нет такого файла или папки")
        if path.is_dir() and _is_maildir(path):
            box = mailbox.Maildir(path, factory=None, create=False)
            # MaildirMessage.get_date: the delivery time (the Maildir itself has no get_date).
            for key in sorted(box.keys(), key=lambda k: (box.get_message(k).get_date(), k)):
                yield StoredMail(f"{path.name}/{key}", box.get_bytes(key))
        elif path.is_dir():
            for file in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".eml", ".msg", ".txt")):
                yield StoredMail(file.name, file.read_bytes())
        elif _looks_like_mbox(path):
            box_m = mailbox.mbox(path, create=False)
            for index, key in enumerate(box_m.keys(), start=1):
                yield StoredMail(f"{path.name}#{index}", box_m.get_bytes(key))
        else:
            yield StoredMail(path.name, path.read_bytes())
