"""The rules in force, reloaded when their files change; a broken edit keeps the last good ones."""

from __future__ import annotations

import logging
from pathlib import Path

from inboxbot.errors import RulesError
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Rules

log = logging.getLogger(__name__)


class RulesHolder:
    """The rules in force. A changed rules file is loaded on the next poll; a broken one
    is rejected with its errors logged, and the last good rules keep running."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rules: Rules = load_rules(path)
        self._signature = self._current_signature()
        self.last_error: str | None = None
        # A rejected edit the sales head has not been told about yet.
        self.unreported_error: str | None = None

    def _watched(self) -> list[Path]:
        files = [self.path]
        files.extend(self.rules.source_files)
        return files

    def _current_signature(self) -> tuple[tuple[str, int, int], ...]:
        sig = []
        for path in self._watched():
            try:
                st = path.stat()
                sig.append((str(path), st.st_mtime_ns, st.st_size))
            except OSError:
                sig.append((str(path), -1, -1))
        return tuple(sig)

    def refresh(self) -> bool:
        """Reload when a watched file changed; True when new rules were taken."""
        signature = self._current_signature()
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            rules = load_rules(self.path)
        except RulesError as exc:
            self._reject(str(exc))
            return False
        except Exception:  # a bug in the loader must not stop the worker nor keep the head uninformed
            log.exception("правила %s не загружены из-за внутренней ошибки", self.path)
            self._reject(
                f"{self.path.name}: правила не загружены из-за внутренней ошибки программы; "
                "проверьте файл командой inboxbot check и сообщите администратору"
            )
            return False
        self.rules = rules
        self.last_error = self.unreported_error = None
        log.info("правила перечитаны: %s", self.path)
        return True

    def _reject(self, errors: str) -> None:
        """Keep the rules in force; the head hears of each new error once."""
        if errors != self.last_error:
            log.error("правила не загружены, продолжаю по прежним: %s", errors)
            self.unreported_error = errors
        self.last_error = errors
