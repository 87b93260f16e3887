"""The mails being prepared, kept in the journal: a killed run's are suspects next time."""

from __future__ import annotations

import json
from collections.abc import Sequence

from inboxbot.store.interfaces import Store


class JournalInflight:
    """pipeline.Inflight in the journal's meta table: the content hashes of the mails the
    worker prepares in its own process, with those a killed run left unfinished."""

    KEY = "preparing"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._suspects: set[str] | None = None
        self._current: set[str] = set()

    def suspects(self) -> set[str]:
        if self._suspects is None:
            stored = self.store.meta.get(self.KEY)
            self._suspects = set(json.loads(stored)) if stored else set()
        return self._suspects

    def begin(self, hashes: Sequence[str]) -> None:
        self._current = set(hashes)
        self.store.meta.set(self.KEY, json.dumps(sorted(self.suspects() | self._current)))

    def end(self) -> None:
        self._suspects = self.suspects() - self._current
        self._current = set()
        self.store.meta.set(self.KEY, json.dumps(sorted(self._suspects)))
