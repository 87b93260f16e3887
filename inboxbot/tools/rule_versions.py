"""The rules file's versions, kept as files next to it: `rules-history/` beside rules.toml
holds every version applied from the web pages, named by when (UTC) and by whom, each
the exact text that was in force — restoring one is copying it back, and an
administrator reads them with any tool. Files rather than the store: the rules are
files, the versions live and are backed up with them, whichever journal the bot uses.

Applying writes the version first, then replaces rules.toml atomically (a temporary file
beside it, fsync, rename): the worker, which reloads rules.toml when it changes, never
reads half a file. The first apply also keeps the text it replaces, so its diff has a
base. Applies are serialised by a lock file, and refused when rules.toml changed since
the edit was checked.
"""

from __future__ import annotations

import difflib
import fcntl
import hashlib
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inboxbot.errors import InboxbotError

HISTORY_DIR = "rules-history"
EARLIER = "earlier"  # the author of the text found in place at the first apply
_NAME_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z)(?:-(\d+))?--([A-Za-z0-9_.-]+)\.toml$")
_STAMP = "%Y-%m-%dT%H-%M-%SZ"


class StaleEdit(InboxbotError):
    """rules.toml changed between the check of an edit and its apply."""


@dataclass(frozen=True, slots=True)
class Version:
    path: Path
    at: datetime  # UTC
    who: str  # a manager id, or EARLIER

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8-sig")


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def history_dir(rules_path: Path) -> Path:
    return rules_path.parent / HISTORY_DIR


def versions(rules_path: Path) -> list[Version]:
    """Every kept version, oldest first."""
    folder = history_dir(rules_path)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME_RE.match(path.name)
        if match:
            at = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            found.append((at, int(match.group(2) or 0), Version(path, at, match.group(3))))
    return [v for *_, v in sorted(found, key=lambda f: (f[0], f[1]))]


def diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """A unified diff, "" when the texts are the same."""
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 before_name, after_name)  # fmt: skip
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def apply(rules_path: Path, data: bytes, who: str, now: datetime, *, expected: str) -> Version:
    """Make `data` the rules in force: kept as a version by `who` at `now`, then written
    over rules.toml atomically. `expected`: the fingerprint of rules.toml the edit was
    checked against; raises StaleEdit when it is no longer that."""
    folder = history_dir(rules_path)
    folder.mkdir(exist_ok=True)
    with _locked(folder):
        current = rules_path.read_bytes()
        if fingerprint(current) != expected:
            raise StaleEdit("файл правил изменился после проверки (его правили ещё раз здесь или на сервере); "
                            "загрузите правку заново")  # fmt: skip
        if not versions(rules_path):
            earlier = datetime.fromtimestamp(rules_path.stat().st_mtime, UTC)
            _write(_free_name(folder, min(earlier, now), EARLIER), current)
        version_path = _free_name(folder, now, who)
        _write(version_path, data)
        _write(rules_path, data)
    return Version(version_path, now.astimezone(UTC).replace(microsecond=0), _safe(who))


def _safe(who: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", who)[:60] or "web"


def _free_name(folder: Path, at: datetime, who: str) -> Path:
    """A name no version has at that second, numbered after the ones that have: the
    order of the names is the order of the applies."""
    stamp = at.astimezone(UTC).strftime(_STAMP)
    for n in range(1000):
        prefix = f"{stamp}{f'-{n}' if n else ''}--"
        if not any(folder.glob(f"{prefix}*.toml")):
            return folder / f"{prefix}{_safe(who)}.toml"
    raise InboxbotError(f"в {folder} слишком много версий правил с одним временем {stamp}")


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a reader sees the old file or the new one, never a part."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
