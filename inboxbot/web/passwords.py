"""Local passwords of the web pages: one line per manager's address, `address<TAB>hash`,
each hash argon2id (argon2-cffi's defaults). Written atomically, readable by its owner
only; the passwords themselves are never stored nor logged."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inboxbot.errors import ConfigError

_HASHER = PasswordHasher()
# Checked against when the address has no password: a wrong address then costs as long
# as a wrong password, so the time of an answer does not tell which addresses have one.
_DUMMY = _HASHER.hash("inboxbot: no such password")
MIN_LENGTH = 8


class PasswordFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise ConfigError(f"файл паролей {self.path} не читается: {exc.strerror}") from None
        hashes: dict[str, str] = {}
        for line in text.splitlines():
            address, sep, digest = line.strip().partition("\t")
            if sep and address and digest:
                hashes[address.lower()] = digest
        return hashes

    def has(self, address: str) -> bool:
        return address.lower() in self._read()

    def verify(self, address: str, password: str) -> bool:
        """Whether `password` is `address`'s local password (False when it has none)."""
        digest = self._read().get(address.lower())
        try:
            return _HASHER.verify(digest or _DUMMY, password) and digest is not None
        except (VerificationError, InvalidHashError):
            return False

    def set(self, address: str, password: str) -> None:
        """Set (or replace) `address`'s password. Raises ConfigError for a too short one."""
        if len(password) < MIN_LENGTH:
            raise ConfigError(f"пароль короче {MIN_LENGTH} символов: придумайте подлиннее")
        hashes = self._read()
        hashes[address.lower()] = _HASHER.hash(password)
        text = "".join(f"{a}\t{h}\n" for a, h in sorted(hashes.items()))
        folder = self.path.parent if str(self.path.parent) else Path(".")
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:  # mkstemp: mode 0600 already
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
