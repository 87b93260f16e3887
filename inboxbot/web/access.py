"""Who may see and do what, in one place. The head sees and does everything; a manager
sees their own requests (owned now, or first) and clients, and — when in the pool — the
requests nobody owns yet. Pure: the rules and the row in, the answer out."""

from __future__ import annotations

from dataclasses import dataclass

from inboxbot.model.ledger import Assignment
from inboxbot.model.records import RequestRow
from inboxbot.rules.model import Manager, Rules
from inboxbot.store.interfaces import RequestFilter


@dataclass(frozen=True, slots=True)
class Viewer:
    manager: Manager
    is_head: bool
    in_pool: bool

    @property
    def id(self) -> str:
        return self.manager.id


def viewer_of(rules: Rules, manager_id: str | None) -> Viewer | None:
    """The logged-in manager, as the rules in force know them (None: no longer a manager)."""
    manager = rules.managers.get(manager_id or "")
    if manager is None:
        return None
    in_pool = manager.in_pool or any(manager.id in p.members for p in (*rules.pools.values(), *filter(None, (rules.pool,))))
    return Viewer(manager, manager.id == rules.department.head, in_pool)


def scoped(viewer: Viewer, where: RequestFilter) -> RequestFilter:
    """`where` narrowed to what `viewer` may see."""
    if viewer.is_head:
        return where
    return RequestFilter(where.text, where.owner, where.state, where.since, where.until,
                         visible_to=viewer.id, unassigned=viewer.in_pool)  # fmt: skip


def may_see(viewer: Viewer, row: RequestRow) -> bool:
    if viewer.is_head or viewer.id in (row.owner, row.base_owner):
        return True
    return viewer.in_pool and row.owner is None and row.action != "skip"


def may_see_client(viewer: Viewer, entry: Assignment) -> bool:
    return viewer.is_head or entry.owner == viewer.id


def may_release(viewer: Viewer) -> bool:
    """Only the head releases skipped mail (as only the head's reply to the digest does)."""
    return viewer.is_head
