"""What the rules would change: the period's mails decided again, in arrival order.

The journal records each decision as it was made, under the rules of that day. To show
the sales head which requests today's rules (or a new rules file) would send elsewhere,
the raw mails of the period are replayed through the real pipeline with an in-memory
history seeded from the journal's past, so a thread started last week and the round
robin's position carry over, and each new (manager, action) is compared with the
recorded one. Where the raw mails come from is said in the result: .eml files matched
by Message-ID (`mails_by_message_id`) or the shared mailbox by UID (`mails_from_imap`).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from inboxbot.compose.labels import short_name
from inboxbot.compose.report_data import ChangedDecision, Changes
from inboxbot.config import Settings, load_settings
from inboxbot.errors import ConfigError, FetchError
from inboxbot.io.mailsource import StoredMail, read_mail
from inboxbot.mail.message import parse
from inboxbot.model.decision import DUPLICATE_RULE, Decision
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.route.decide import NO_RULE
from inboxbot.rules.model import Rules
from inboxbot.run.pipeline import Pipeline
from inboxbot.store.factory import memory_store
from inboxbot.store.interfaces import RoutingHistory, Store
from inboxbot.tools.whatif import owner_of


class SeededHistory:
    """The routing history of a replay: decisions replayed so far first, then what the
    journal knew before the period. Without the past, the round robin would start from
    its first member and every pool mail after it would count as changed, and a reply in
    a thread started last week would not find its manager."""

    def __init__(self, known: RoutingHistory, prior: Sequence[RequestRow]) -> None:
        self.replay = memory_store()
        self.known = known
        self.prior = prior
        self._count = 0

    def thread_owner(self, message_ids: Sequence[str]) -> tuple[str, str] | None:
        return self.replay.history.thread_owner(message_ids) or self.known.thread_owner(message_ids)

    def subject_owner(self, sender: str, subject: str) -> str | None:
        return self.replay.history.subject_owner(sender, subject) or self.known.subject_owner(sender, subject)

    def last_pool_owner(self, pool: str) -> str | None:
        replayed = self.replay.history.last_pool_owner(pool)
        if replayed is not None:
            return replayed
        return next((r.owner for r in reversed(self.prior) if r.pool == pool and r.owner), None)

    def owner_counts(
        self, since: datetime, *, pool: str | None = None, rules: Sequence[str] | None = None
    ) -> dict[str, int]:
        counts = Counter(self.replay.history.owner_counts(since, pool=pool, rules=rules))
        counts.update(
            r.owner for r in self.prior
            if r.owner and r.repeat_of is None and r.seen_at >= since and (pool is None or r.pool == pool)
            and (rules is None or r.rule in rules or r.base_rule in rules)
        )  # fmt: skip
        return dict(counts)

    def record(self, row: RequestRow, raw: bytes, decision: Decision) -> None:
        self._count += 1
        key = MessageKey("replay", 0, self._count)
        self.replay.messages.record_decision(key, parse(raw), decision, seen_at=row.seen_at)
        if row.forward_id and decision.owner and decision.action != "skip":
            # A manager's reply quotes our forward's Message-ID: it belongs to the new owner.
            self.replay.messages.mark_forwarded(key, row.forward_id, decision.owner, decision.rule, at=row.seen_at)


def recheck(
    store: Store,
    rows: Sequence[RequestRow],
    mails: Mapping[MessageKey, bytes],
    pipeline: Pipeline,
    *,
    rules_label: str,
    source: str,
) -> Changes:
    """Re-decide the period's mails under `pipeline.rules`, in journal order, and list
    those whose (manager, action) differs from what the journal recorded. Rows without a
    raw mail in `mails` are counted as missing; repeated deliveries are not re-decided
    (the worker never decides them either)."""
    rules = pipeline.rules
    todo = [r for r in rows if r.key in mails and r.rule != DUPLICATE_RULE]
    missing = sum(1 for r in rows if r.key not in mails and r.rule != DUPLICATE_RULE)
    if not todo:
        return unavailable(f"{source}: ни одного письма периода не найдено", rules_label, missing=missing)
    windows = [p.window_days for p in (*rules.pools.values(), *filter(None, (rules.pool,)))] + [31]
    start = min(r.seen_at for r in todo) - timedelta(days=max(windows) + 1)
    history = SeededHistory(store.history, store.queries.requests(start, todo[0].seen_at))
    prepared = pipeline.prepare_many([mails[r.key] for r in todo])
    items: list[ChangedDecision] = []
    for row, ready in zip(todo, prepared, strict=True):
        decision = pipeline.decide(
            ready, history, received_at=row.seen_at, ledger=store.ledger, recent=store.repeats
        ).decision
        history.record(row, mails[row.key], decision)
        recorded = _recorded(store, row)
        was, now = (owner_of(recorded), recorded.public_action), (owner_of(decision), decision.public_action)
        if was != now:
            items.append(ChangedDecision(
                seen_at=row.seen_at, sender=row.client_address, subject=row.subject,
                was_owner=_who(rules, recorded), was_action=recorded.public_action, was_rule=recorded.rule,
                now_owner=_who(rules, decision), now_action=decision.public_action, now_rule=decision.rule,
                reason=decision.summary,
            ))  # fmt: skip
    note = f"{source}: проверено писем — {len(todo)}" + (f", не найдено — {missing}" if missing else "")
    return Changes(True, note, rules_label, len(todo), missing, tuple(items))


def unavailable(note: str, rules_label: str, *, missing: int = 0) -> Changes:
    """The changes section when the period's mails cannot be had: it says why."""
    return Changes(False, note, rules_label, 0, missing, ())


def _recorded(store: Store, row: RequestRow) -> Decision:
    # The journal row's owner moves when a request is reassigned; the decision as made
    # is kept in the entry.
    entry = store.messages.entry(row.key)
    stored = entry.decision.get("decision") if entry and entry.decision else None
    if isinstance(stored, Mapping):
        return Decision.from_dict(stored)
    action = row.action or "triage"
    return Decision(action, row.owner, row.rule or NO_RULE, row.reasons, pool=row.pool)


def _who(rules: Rules, decision: Decision) -> str:
    owner = owner_of(decision)
    return short_name(rules, owner) if owner else ""


def gather_changes(
    store: Store,
    rows: Sequence[RequestRow],
    rules: Rules,
    rules_label: str,
    *,
    mail_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Changes:
    """`recheck` with the period's raw mails from `mail_dir` (.eml files, an mbox or a
    Maildir, matched by Message-ID) or else from the shared mailbox (connection settings
    from `env`, default os.environ). When neither can be had, the Changes say why
    instead of failing: the rest of the report is worth having anyway."""
    if not rows:
        return unavailable("за период писем нет", rules_label)
    if mail_dir is not None:
        mails = mails_by_message_id(rows, read_mail([mail_dir]))
        source = f"письма из {mail_dir}"
    else:
        try:
            settings = load_settings(env)
        except ConfigError as exc:
            return unavailable(f"писем периода нет под рукой — ящик не настроен ({exc}); укажите --mail ПАПКА", rules_label)
        try:
            mails = mails_from_imap(rows, settings)
        except FetchError as exc:
            return unavailable(f"ящик {settings.imap.host} недоступен: {exc}", rules_label)
        source = f"письма из ящика {settings.imap.host}, папка {settings.folder}"
    pipeline = Pipeline(rules, processes=min(2, os.cpu_count() or 1))
    try:
        return recheck(store, rows, mails, pipeline, rules_label=rules_label, source=source)
    finally:
        pipeline.close()


def mails_by_message_id(rows: Sequence[RequestRow], stored: Iterable[StoredMail]) -> dict[MessageKey, bytes]:
    """The raw mail of each row, matched by Message-ID (for mail without one, by the id
    the parser makes from its content, as the journal did)."""
    wanted: dict[str, list[MessageKey]] = defaultdict(list)
    for row in rows:
        wanted[row.message_id].append(row.key)
    found: dict[MessageKey, bytes] = {}
    for mail in stored:
        for key in wanted.get(parse(mail.raw).message_id, ()):
            found.setdefault(key, mail.raw)
    return found


def mails_from_imap(rows: Sequence[RequestRow], settings: Settings) -> dict[MessageKey, bytes]:
    """The raw mails of `rows` still in the polled folder under the same UIDVALIDITY,
    fetched by UID (BODY.PEEK: nobody's \\Seen changes). Raises FetchError."""
    from inboxbot.io.imap import Mailbox

    with Mailbox(settings.imap, settings.folder, batch_size=settings.batch_size, mailbox=settings.mailbox) as box:
        keys = {r.key.uid: r.key for r in rows if r.key.folder == box.key_folder and r.key.uidvalidity == box.uidvalidity}
        return {keys[raw.uid]: raw.raw for raw in box.fetch(sorted(keys))}


__all__ = ["SeededHistory", "gather_changes", "mails_by_message_id", "mails_from_imap", "recheck", "unavailable"]
