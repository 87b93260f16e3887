"""The report as the sales head reads it: an HTML mail with its charts inline, or one
self-contained HTML file. Pure; the caller passes the clock (`now`).

    multipart/alternative
    ├── text/plain          report.txt.j2
    └── multipart/related
        ├── text/html       report.html.j2, images as cid:…
        └── image/png …     one part per chart, Content-ID named in the HTML

The file written by `inboxbot report --out` is the same template with the images as
data: URIs, so it opens anywhere without the mail around it. Headers are written with
headers.py (no CR/LF or control characters from the journal can reach them).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal

from inboxbot.compose.context import ForwardContext, Recipient, bot_name
from inboxbot.compose.headers import POLICY, put_address, put_addresses, put_ascii, put_text
from inboxbot.compose.ids import safe_domain
from inboxbot.compose.mime import set_alternative
from inboxbot.compose.report_data import Report
from inboxbot.compose.report_view import period_days, report_subject, report_view
from inboxbot.compose.templates import Templates
from inboxbot.mail.message import Address
from inboxbot.rules.model import Rules

if TYPE_CHECKING:  # matplotlib is loaded when a chart is drawn, not by `inboxbot check`
    from inboxbot.compose.charts import Chart



def _image(chart: Chart, src: str) -> dict[str, object]:
    return {"src": src, "alt": chart.alt, "width": chart.width, "height": chart.height, "title": chart.title}


def render_report_html(
    report: Report,
    templates: Templates,
    inline: Literal["data", "cid"] = "data",
    *,
    charts: Sequence[Chart] | None = None,
    cids: Mapping[str, str] | None = None,
) -> str:
    """The report as HTML. inline="data": the charts embedded as data: URIs (a file that
    opens on its own); inline="cid": referenced as cid:<Content-ID> from `cids`."""
    if charts is None:
        from inboxbot.compose.charts import render_charts

        charts = render_charts(report)
    images: dict[str, dict[str, object]] = {}
    for chart in charts:
        if inline == "data":
            src = "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii")
        else:
            assert cids is not None, "inline='cid' needs the Content-IDs"
            src = f"cid:{cids[chart.name]}"
        images[chart.name] = _image(chart, src)
    return templates.render("report.html.j2", **report_view(report, images))


def report_recipients(rules: Rules) -> list[Recipient]:
    """Who gets the report: [report] to, else the department head."""
    ids = rules.report.to if rules.report and rules.report.to else (rules.department.head,)
    return [Recipient.of(m) for m in (rules.managers.get(i) for i in ids) if m is not None]


def report_context(rules: Rules, bot_address: str, recipients: Sequence[Recipient]) -> ForwardContext:
    """The sender side of the report mail, as the worker builds it for forwards."""
    dept = rules.department
    return ForwardContext(dept.name, Address(dept.name, bot_address or dept.bot_address), dept.loop_headers, recipients[0])


def report_message_id(report: Report, recipients: Sequence[Recipient], domain: str) -> str:
    """The same for the same period sent to the same people: a resend collapses."""
    first, last = period_days(report)
    seed = "\0".join([report.department, *sorted(r.email.lower() for r in recipients)])
    digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"<report.{first:%Y%m%d}-{last:%Y%m%d}.{digest}@{safe_domain(domain)}>"


def compose_report(
    report: Report,
    ctx: ForwardContext,
    recipients: Sequence[Recipient],
    templates: Templates,
    *,
    now: datetime,
) -> EmailMessage:
    """The report mail from the bot (`ctx.bot_address`) to `recipients`. `ctx.owner` is
    not used. Raises TemplateError when a template cannot be rendered, ValueError for a
    recipient whose address is not a plain e-mail address."""
    if not recipients:
        raise ValueError("a report needs at least one recipient")
    from inboxbot.compose.charts import render_charts

    first, last = period_days(report)
    domain = safe_domain(ctx.bot_address.domain)
    charts = render_charts(report)
    cids = {c.name: f"{c.name}.{first:%Y%m%d}-{last:%Y%m%d}@{domain}" for c in charts}
    html = render_report_html(report, templates, "cid", charts=charts, cids=cids)
    text = templates.render("report.txt.j2", **report_view(report, {}))

    out = EmailMessage(policy=POLICY)
    put_address(out, "From", ctx.bot_address.email, bot_name(ctx))
    put_addresses(out, "To", ((person.email, person.name) for person in recipients))
    put_text(out, "Subject", report_subject(report))
    put_ascii(out, "Date", format_datetime(now.astimezone(report.tz)))
    put_ascii(out, "Message-ID", report_message_id(report, recipients, domain))
    put_ascii(out, ctx.loop_header, f"report; period={first:%Y-%m-%d}..{last:%Y-%m-%d}")
    # Nobody's out-of-office responder should answer a report (RFC 3834).
    put_ascii(out, "Auto-Submitted", "auto-generated")
    put_ascii(out, "MIME-Version", "1.0")
    set_alternative(out, text, html)
    _, html_part = out.iter_parts()
    for chart in charts:
        html_part.add_related(chart.png, maintype="image", subtype="png", cid=f"<{cids[chart.name]}>",
                              disposition="inline", filename=f"{chart.name}.png")  # fmt: skip
    return out
