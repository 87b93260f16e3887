"""What one poll did: counts for the log line, `run --once` and the tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.records import MessageKey


@dataclass(frozen=True, slots=True)
class Handled:
    """A mail handled for good in the poll, as `run --once` and the demo show it: the
    mail's few lines, not its bytes (a backlog of 10,000 kept whole would hold ~100 MB
    until the poll ends)."""

    key: MessageKey
    sender: Address | None
    reply_to: Address | None
    subject: str
    message_id: str | None  # None: the mail had none of its own
    decision: Decision

    @classmethod
    def of(cls, key: MessageKey, msg: ParsedMessage, decision: Decision) -> Handled:
        reply_to = msg.reply_to[0] if msg.reply_to else None
        message_id = msg.message_id if msg.has_message_id else None
        return cls(key, msg.sender, reply_to, msg.subject, message_id, decision)


@dataclass(slots=True)
class PollReport:
    seen: int = 0
    forwarded: int = 0
    tagged: int = 0
    skipped: int = 0
    triaged: int = 0
    finished: int = 0  # resumed from a journal state left by an earlier run
    # Forwarded by an earlier run whose mark did not land (crash, IMAP failure): only
    # marked now. Not counted in `forwarded`, which is what went out in this run.
    marked_only: int = 0
    waiting: int = 0  # refused "for now" by the SMTP server: tried again next poll
    held: int = 0  # a second copy of a mail whose first copy is still waiting: left with it
    elsewhere: int = 0  # claimed by another worker on the shared store: left to it
    acknowledged: int = 0
    answers: int = 0  # forwarded requests found answered in this poll
    reminded: int = 0
    escalated: int = 0
    reports: int = 0
    digests: int = 0  # digests of skipped mail sent to the head
    released: int = 0  # skipped mail released by the head's reply and carried out
    announced: int = 0  # notices of ledger changes sent
    handled: list[Handled] = field(default_factory=list)

    def add(self, other: PollReport) -> None:
        """Count `other` (another mailbox's poll) in this one."""
        for name in self.__slots__:
            value = getattr(self, name)
            setattr(self, name, value + getattr(other, name))

    @property
    def progressed(self) -> bool:
        """Some mail was handled for good in this poll."""
        return bool(self.forwarded or self.tagged or self.skipped or self.triaged)

    def summary(self) -> str:
        """One Russian line for the log and `run --once`."""
        earlier = f", отмечено пересланных ранее: {self.marked_only}" if self.marked_only else ""
        return (
            f"Обработано писем: {self.seen}; переслано: {self.forwarded}{earlier}, помечено: {self.tagged}, "
            f"пропущено: {self.skipped}, на ручной разбор: {self.triaged}"
        )


def poll_summary(report: PollReport, title: str = "опрос") -> str:
    """A job's one log line (empty when nothing happened): what came in and what was
    done with it, answers seen and follow-ups sent. Per-mail lines are at DEBUG (-v)."""
    parts = []
    if report.seen:
        parts.append(
            f"писем {report.seen}: переслано {report.forwarded}, помечено {report.tagged}, "
            f"не заявки {report.skipped}, на ручной разбор {report.triaged}"
            + (f", ждут SMTP-сервер {report.waiting}" if report.waiting else "")
            + (f", копии ждут первое письмо {report.held}" if report.held else "")
            + (f", обрабатывает другой рабочий процесс {report.elsewhere}" if report.elsewhere else "")
            + (f", отмечено пересланных ранее {report.marked_only}" if report.marked_only else "")
        )
    for count, what in ((report.answers, "замечено ответов"), (report.reminded, "напоминаний"),
                        (report.escalated, "эскалаций"), (report.reports, "отчётов"),
                        (report.digests, "сводок неотправленных"), (report.released, "отпущено из сводки"),
                        (report.announced, "уведомлений о передаче клиентов")):  # fmt: skip
        if count:
            parts.append(f"{what} {count}")
    return f"{title}: " + "; ".join(parts) if parts else ""
