"""Marking set-up: before anything is forwarded a mark must work on the server, and the
head hears once of a mark that does not, and of each fallback (io/marking.py)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from inboxbot.compose.alerts import compose_mailbox_notice
from inboxbot.compose.context import Recipient
from inboxbot.errors import ActionError, MarkingError
from inboxbot.io.imap import Mailbox
from inboxbot.io.marking import Marking
from inboxbot.run.context import RunContext
from inboxbot.run.outbox import Sender

log = logging.getLogger(__name__)

# Journal meta keys: the marking failure and the marking fallbacks the head was told of
# (each is told once, not on every poll or restart).
MARKING_ERROR_TOLD, MARKING_NOTES_TOLD = "marking_error_told", "marking_notes_told"
# While no mark works nothing is forwarded; the mailbox is tried again at this pace (a
# fix on the server is picked up by itself, without a restart).
MARKING_RETRY_SECONDS = 15 * 60


class MarkingWatch:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.clock = ctx.clock
        # How handled mail is marked, learnt from the server once and kept across polls.
        self.marking: Marking | None = None
        self.broken = False  # the last check found no working mark

    def mailbox(self) -> Mailbox:
        m = self.ctx.settings.marking
        return Mailbox(
            self.ctx.settings.imap, self.ctx.settings.folder, marking=m.mode, handled_folder=m.done_folder,
            triage_folder=m.triage_folder, owner_keywords=m.owner_keywords, known=self.marking,
            on_change=self._learnt, mailbox=self.ctx.settings.mailbox,
        )  # fmt: skip

    def _learnt(self, marking: Marking) -> None:
        # Kept even when the poll fails afterwards: a fallback is learnt once.
        self.marking = marking

    def check(self, box: Mailbox, smtp: Sender, pending: Sequence[int]) -> None:
        """Before anything is forwarded: a mark must work on this server. If none does,
        the head is told once (MarkingError's text names the server's answer), and the
        poll fails without sending anything; the worker tries again every
        MARKING_RETRY_SECONDS and goes on by itself once a mark works."""
        try:
            box.check_marking(pending[-1] if pending else None)
        except MarkingError as exc:
            self.broken = True
            log.error("пересылка остановлена: %s", exc)
            if (
                self.ctx.settings.smtp and self.store.meta.get(MARKING_ERROR_TOLD) != str(exc)
                and self._tell_head(smtp, [str(exc)], stopped=True)
            ):
                self.store.meta.set(MARKING_ERROR_TOLD, str(exc))
            raise
        if self.broken:
            log.info("отметка писем снова работает (%s): пересылка продолжается", box.marking)
        self.broken = False
        if self.store.meta.get(MARKING_ERROR_TOLD):
            self.store.meta.set(MARKING_ERROR_TOLD, "")  # a later failure is told again

    def tell_notes(self, smtp: Sender) -> None:
        """The head hears once of each marking fallback (a keyword the server refused)."""
        notes = list(self.marking.notes) if self.marking else []
        if not notes:
            return
        told = set(json.loads(self.store.meta.get(MARKING_NOTES_TOLD) or "[]"))
        new = [note for note in notes if note not in told]
        if new and self._tell_head(smtp, new, stopped=False):
            self.store.meta.set(MARKING_NOTES_TOLD, json.dumps(sorted(told | set(new)), ensure_ascii=False))

    def _tell_head(self, smtp: Sender, details: list[str], *, stopped: bool) -> bool:
        """A mailbox notice to the head; False when there is no head or it did not go."""
        head = self.ctx.rules.managers.get(self.ctx.rules.department.head)
        if head is None:
            return False
        recipient = Recipient.of(head)
        notice = compose_mailbox_notice(
            self.ctx.forward_context(recipient), recipient, details, self.ctx.templates, stopped=stopped,
            retry_minutes=MARKING_RETRY_SECONDS // 60, now=self.clock(),
        )  # fmt: skip
        try:
            smtp.send(notice, [head.email])
        except ActionError as exc:
            log.warning("письмо руководителю о пометке писем не отправлено: %s", exc)
            return False
        log.info("руководителю (%s) отправлено письмо о пометке писем в ящике", head.email)
        return True
