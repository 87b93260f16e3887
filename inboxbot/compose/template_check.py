"""Every template rendered once with sample values: run at start-up, on a rules reload
and by `inboxbot check`, so a broken override in the templates folder fails then and
not in the middle of a poll. Pure but for reading the template files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from inboxbot.compose.absence import notice_view
from inboxbot.compose.acknowledgement import ACK_TEMPLATES, ACK_TEMPLATES_EN, ack_view
from inboxbot.compose.alerts import MAILBOX_TEMPLATE, RULES_ERROR_TEMPLATE, mailbox_notice_view, rules_error_view
from inboxbot.compose.context import ForwardContext, Recipient
from inboxbot.compose.followup import ESCALATION_TEMPLATES, REMINDER_TEMPLATES, escalation_view, reminder_view
from inboxbot.compose.forward import forward_view
from inboxbot.compose.handover import HANDOVER_TEMPLATES, REFUSAL_TEMPLATE, MovedRequest, handover_view, refusal_view
from inboxbot.compose.presence_answer import (
    CANCELLED,
    CREDIT_TEMPLATES,
    CREDITED,
    FORGED,
    NOTHING_TO_CANCEL,
    PRESENCE_TEMPLATES,
    RECORDED,
    REFUSED,
    credit_view,
    presence_view,
)
from inboxbot.compose.report import aggregate
from inboxbot.compose.report_mail import render_report_html
from inboxbot.compose.report_view import report_view
from inboxbot.compose.skipped_digest import ANSWER_TEMPLATE, DIGEST_TEMPLATES, Listed, Outcome, answer_view, digest_view
from inboxbot.compose.templates import Templates
from inboxbot.mail.message import Address, ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.model.handover import HANDOVER, HEAD, UNDO, Change
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import MessageKey, RequestRow
from inboxbot.rules.model import Rules

_MOMENT = datetime(2025, 6, 16, 10, 30, tzinfo=UTC)


def load_templates(rules: Rules) -> Templates:
    """The templates of `rules` (built-in, or overridden by [department] templates), each
    rendered once with sample values: a broken override fails here, at start-up, on a
    rules reload or in `inboxbot check`, not in the middle of a poll. Raises
    TemplateError (a RulesError)."""
    templates = Templates(rules.templates_dir)
    check_mail_templates(templates)
    check_report_templates(templates, rules)
    return templates


def check_mail_templates(templates: Templates) -> None:
    """Render the templates of every mail but the report with a sample mail. Raises
    TemplateError."""
    sample = _sample_mail()
    someone = Recipient("sample", "Образцов Иван Иванович", "sample@example.test", date(2025, 6, 27))
    ctx = ForwardContext("Отдел", Address("", "bot@example.test"), (), someone, someone)
    decision = Decision(action="forward", owner="sample", rule="sample", reasons=("пример",))
    facts = Facts()
    for name, view in (
        ("forward", forward_view(sample, facts, decision, ctx)),
        ("absence_notice", notice_view(sample, facts, decision, ctx, someone)),
    ):
        templates.render(f"{name}.txt.j2", **view)
        templates.render(f"{name}.html.j2", **view)
    templates.render(RULES_ERROR_TEMPLATE, **rules_error_view("Образцов Иван", "rules.toml", ["пример"], "Отдел",
                                                              _MOMENT))  # fmt: skip
    _check_notice_templates(templates, sample, someone)


def _check_notice_templates(templates: Templates, sample: ParsedMessage, someone: Recipient) -> None:
    """The acknowledgement, reminder, escalation and mailbox notice templates."""
    ctx = ForwardContext("Отдел", Address("", "bot@example.test"), (), someone)
    moment = _MOMENT
    request = RequestRow(
        id=1, key=MessageKey("INBOX", 1, 1), message_id="sample@example.test", sender="ivan@example.test",
        subject="test", sent_at=moment, seen_at=moment, state="marked", action="forward", owner="sample",
        rule="sample", base_owner=None, base_rule=None, pool=None, reasons=("пример",), company="ООО «Образец»",
        inn="7707083893", region_code=None, region_name=None, district=None, forward_id="fwd@example.test",
        forwarded_at=moment, answered_at=None, answered_by=None, answer_how=None, reminded_at=moment,
        escalated_at=None, escalated_to=None, acked_at=None, error=None,
    )  # fmt: skip
    hours = timedelta(hours=4)
    views = (
        (ACK_TEMPLATES, ack_view(sample, ctx, "+7 000 000-00-00")),
        (ACK_TEMPLATES_EN, ack_view(sample, ctx, "+7 000 000-00-00", ("Ivan Ivanov",))),
        (REMINDER_TEMPLATES, reminder_view(request, someone, ctx, waited=hours, shared_address="sales@example.test")),
        *(
            (ESCALATION_TEMPLATES, escalation_view(request, someone, someone, ctx, waited=hours, reassigned_to=other,
                                                   reminded_at=moment, shared_address="sales@example.test"))
            for other in (None, someone)
        ),
    )  # fmt: skip
    for names, view in views:
        for name in names:
            templates.render(name, **view)
    _check_digest_templates(templates, ctx, someone)
    _check_handover_templates(templates, ctx, someone)
    _check_command_answer_templates(templates, ctx, someone)
    for stopped in (True, False):
        templates.render(MAILBOX_TEMPLATE, **mailbox_notice_view(someone, ["пример"], "Отдел", stopped=stopped,
                                                                 retry_minutes=15, at=moment))


def _check_digest_templates(templates: Templates, ctx: ForwardContext, someone: Recipient) -> None:
    """The digest of skipped mail and the answers to the head's reply."""
    listed = [Listed(n, _MOMENT, "news@example.test", "Рассылка", ("рассылка (заголовок List-Id)",)) for n in (1, 2)]
    for name in DIGEST_TEMPLATES:
        templates.render(name, **digest_view(listed, someone, ctx, _MOMENT - timedelta(days=1), _MOMENT))
    for outcomes, refusal in (([Outcome(2, "Рассылка", "переслано")], None), ([], "номера 7 в сводке нет")):
        templates.render(ANSWER_TEMPLATE, **answer_view(someone.name, outcomes, refusal, ctx))


def _check_handover_templates(templates: Templates, ctx: ForwardContext, someone: Recipient) -> None:
    """The notice of a ledger change (a hand-over, an undo to nobody) and the refusal of a command."""
    entry = Assignment(ClientKey("inn", "7707083893"), "sample", _MOMENT)
    moved = [MovedRequest("Заявка", _MOMENT)]
    for change, owner in ((Change((entry,), (entry,), HEAD, "sample", _MOMENT, "sample", "sample", "пример", (1,)), someone),
                          (Change((entry,), (), UNDO, "sample", _MOMENT, None, "sample", undoes=1), None),
                          (Change((), (), HANDOVER, "sample", _MOMENT, "sample", "sample", requests=(1,)), someone)):  # fmt: skip
        view = handover_view(change, owner, someone, someone.name, moved, ctx)
        for name in HANDOVER_TEMPLATES:
            templates.render(name, **view)
    for to_head in (True, False):
        templates.render(REFUSAL_TEMPLATE, **refusal_view(someone.name, "пример", "x@example.test", "Re: заявка",
                                                          to_head=to_head, ctx=ctx))  # fmt: skip


def _check_command_answer_templates(templates: Templates, ctx: ForwardContext, someone: Recipient) -> None:
    """The answers to «сегодня нет: …», «… на месте» and «не в счёт: …», every case."""
    line = {"line": "сегодня нет: Образцов"}
    for view in (
        presence_view(RECORDED, someone.name, ctx, absent=someone.name, when="сегодня", stand_in=someone.name),
        presence_view(CANCELLED, someone.name, ctx, absent=someone.name, when="сегодня", new=False),
        presence_view(NOTHING_TO_CANCEL, someone.name, ctx, absent=someone.name, days=["сегодня", "завтра"], **line),
        presence_view(REFUSED, someone.name, ctx, reason="пример", **line),
        presence_view(FORGED, someone.name, ctx, sender="x@example.test", reason="пример", **line),
    ):
        for name in PRESENCE_TEMPLATES:
            templates.render(name, **view)
    for view in (
        credit_view(CREDITED, someone.name, ctx, subject="Заявка", who="Образцов", pool="main", reason="спам"),
        credit_view(CREDITED, someone.name, ctx, new=False, at="16.06.2025 10:30"),
        credit_view(REFUSED, someone.name, ctx, reason="пример", line="не в счёт"),
        credit_view(FORGED, someone.name, ctx, sender="x@example.test", reason="пример"),
    ):
        for name in CREDIT_TEMPLATES:
            templates.render(name, **view)


def check_report_templates(templates: Templates, rules: Rules) -> None:
    """Render report.html.j2 and report.txt.j2 for an empty week. Raises TemplateError."""
    moment = datetime(2025, 6, 16, tzinfo=UTC)
    sample = aggregate((), (), rules, moment - timedelta(days=7), moment, now=moment)
    render_report_html(sample, templates, "data", charts=())
    templates.render("report.txt.j2", **report_view(sample, {}))


def _sample_mail() -> ParsedMessage:
    return parse(
        b"From: =?utf-8?b?0JjQstCw0L0=?= <ivan@example.test>\r\nTo: sales@example.test\r\n"
        b"Subject: test\r\nMessage-ID: <sample@example.test>\r\nDate: Mon, 16 Jun 2025 10:30:00 +0300\r\n"
        b"\r\nsample\r\n"
    )
