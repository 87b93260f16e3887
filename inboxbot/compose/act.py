"""Decision → the mail a manager receives: the forward and the absence notice. Pure.

Nothing here touches the network (smtp.py sends); the clock is read only when the
caller passes no `now`.

The forward is built so a sales manager can work from a phone:

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain   forward.txt.j2   who the client is, why you, the request text
    │   └── text/html    forward.html.j2  the same, autoescaped
    └── message/rfc822   the original, byte for byte (its attachments are inside it)

Header safety: every header value that comes from mail text (names, subjects, company
names) goes through `_clean` (no control characters, no CR/LF, no bidi overrides) and is
then encoded here, not by the stdlib folder. Python 3.11's header folder loses spaces in
long encoded subjects and display names and turns long Message-IDs in References into
RFC 2047 encoded words (which breaks threading), so headers are written pre-folded with
`set_raw` under a policy that does not refold them.
"""

from __future__ import annotations

import binascii
import email
import functools
import hashlib
import importlib.resources
import re
import secrets
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from email import policy as email_policy
from email.charset import Charset
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message, MIMEPart
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import jinja2

from inboxbot.errors import RulesError
from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.model.decision import ClientRef, Decision
from inboxbot.model.facts import Facts
from inboxbot.model.subjects import REPLY_WORDS, SUBJECT_PREFIX

if TYPE_CHECKING:
    from inboxbot.rules.rules import Manager

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    MOSCOW: Any = ZoneInfo("Europe/Moscow")
except (ImportError, ZoneInfoNotFoundError):  # no tz database: Moscow is UTC+3 all year since 2014
    MOSCOW = timezone(timedelta(hours=3), "MSK")

BOT_NAME = "Сортировщик заявок"
DEFAULT_LOOP_HEADER = "X-Inboxbot"
SUBJECT_TAG = "[Заявка]"
NO_SUBJECT = "(без темы)"
QUOTE_CHARS = 1500
ORIGINAL_FILENAME = "original.eml"
TEMPLATE_NAMES = (
    "forward.txt.j2", "forward.html.j2", "absence_notice.txt.j2", "absence_notice.html.j2", "rules_error.txt.j2",
    "ack.txt.j2", "ack.html.j2", "reminder.txt.j2", "reminder.html.j2", "escalation.txt.j2", "escalation.html.j2",
    "mailbox_notice.txt.j2",
)



class _ParsedOnce(HeaderRegistry):
    """The stdlib's header registry with a small cache. An EmailMessage keeps headers
    set with `set_raw` as text and parses them on every read, and serialising a forward
    reads each Content-Type several times (type, subtype, boundary, charset): about
    half of the time it took to turn a forward into bytes. Header objects are immutable
    values, so one parse can serve every read of the same name and text."""

    MAX = 512

    def __init__(self) -> None:
        super().__init__()
        self._parsed: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: str) -> BaseHeader:
        key = (name.lower(), value)
        header = self._parsed.get(key)
        if header is None:
            header = super().__call__(name, value)
            if len(self._parsed) >= self.MAX:
                self._parsed.clear()  # subjects and dates rarely repeat: start over
            self._parsed[key] = header
        return header


# Headers are written by hand (see the module docstring), so the policy must not refold
# them; everything else about it is policy.SMTP (CRLF line ends).
POLICY = email_policy.SMTP.clone(refold_source="none", header_factory=_ParsedOnce())
_MAX_LINE = 78
_MAX_WORD = 75  # RFC 2047: an encoded word is at most 75 characters


class TemplateError(RulesError):
    """A template is missing, does not parse, or uses a name the context lacks.
    A RulesError because the template folder is named in rules.toml."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """A manager as the mail names them. `away_until` is the last day of an absence,
    shown in the forward to the backup and in the notice (None: not known)."""

    id: str
    name: str
    email: str
    away_until: date | None = None

    @classmethod
    def of(cls, manager: Manager, away_until: date | None = None) -> Recipient:
        return cls(manager.id, manager.name, manager.email, away_until)


@dataclass(frozen=True, slots=True)
class ForwardContext:
    """Everything outside the mail itself that the forward needs, as plain values."""

    department: str
    bot_address: Address
    loop_headers: tuple[str, ...]  # the first is written on every forward and notice
    owner: Recipient
    base_owner: Recipient | None = None  # whose client it is, when `owner` is the backup

    def __post_init__(self) -> None:
        for name in self.loop_headers:
            if not _HEADER_NAME_RE.fullmatch(name):
                raise ValueError(f"loop header name {name!r} is not a valid header field name")

    @property
    def loop_header(self) -> str:
        return self.loop_headers[0] if self.loop_headers else DEFAULT_LOOP_HEADER


# -- templates --------------------------------------------------------------------------

_MONTHS = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)


def ru_date(value: date | datetime | None) -> str:
    """16 июня 2025 (a datetime is first shown in Moscow time)."""
    if value is None:
        return "дата неизвестна"
    if isinstance(value, datetime):
        value = _moscow(value)
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def ru_datetime(value: datetime | None) -> str:
    """16 июня 2025, 10:30 — Moscow time, the company's clock."""
    if value is None:
        return "дата неизвестна"
    local = _moscow(value)
    return f"{ru_date(local)}, {local:%H:%M}"


def greeting_name(full_name: str) -> str:
    """'Петров Дмитрий Сергеевич' → 'Дмитрий Сергеевич' (how colleagues address each
    other); any other shape is used as written."""
    words = full_name.split()
    return " ".join(words[1:]) if len(words) == 3 else full_name


def _moscow(value: datetime) -> datetime:
    return value.astimezone(MOSCOW) if value.tzinfo else value


def _autoescape(name: str | None) -> bool:
    # jinja's select_autoescape looks at the last extension only, and ours is ".j2".
    return name is not None and name.endswith((".html.j2", ".htm.j2", ".html", ".htm"))


def _load_default(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    resource = importlib.resources.files("inboxbot.templates").joinpath(name)
    if not resource.is_file():
        return None
    return resource.read_text("utf-8"), f"(встроенный) {name}", lambda: True


@functools.lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (jinja2's per-user folder in the temp dir,
    checked to be private): compiling the 15 templates is most of what `inboxbot check`
    and start-up spend on them. A template whose text changed is compiled anew (the
    cache compares the source); no usable temp folder → no cache."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


class Templates:
    """The jinja2 environment: templates in `override_dir` win over the built-in ones
    (package `inboxbot.templates`); StrictUndefined, so a typo fails loudly instead of
    leaving a blank in a manager's mail; autoescape for *.html.j2."""

    def __init__(self, override_dir: Path | str | None = None) -> None:
        self.override_dir = Path(override_dir) if override_dir is not None else None
        loaders: list[jinja2.BaseLoader] = []
        if self.override_dir is not None:
            if not self.override_dir.is_dir():
                raise TemplateError(f"папка шаблонов {self.override_dir} не найдена")
            loaders.append(jinja2.FileSystemLoader(self.override_dir))
        loaders.append(jinja2.FunctionLoader(_load_default))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            bytecode_cache=_bytecode_cache(),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(ru_date=ru_date, ru_datetime=ru_datetime, greeting=greeting_name)

    def render(self, name: str, **ctx: object) -> str:
        """Render one template; every failure is a TemplateError naming the file and line."""
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            where = f"ни в папке {self.override_dir}, ни " if self.override_dir else ""
            raise TemplateError(
                f"шаблон «{name}» не найден {where}среди встроенных; встроенные: {', '.join(TEMPLATE_NAMES)}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"шаблон {exc.filename or name}, строка {exc.lineno}: ошибка синтаксиса: {exc.message}") from None
        try:
            return template.render(**ctx)
        except jinja2.UndefinedError as exc:
            line = _template_line(exc, template.filename)
            where = f", строка {line}" if line else ""
            raise TemplateError(
                f"шаблон {template.filename or name}{where}: {_undefined_words(exc)}; "
                f"доступны: {', '.join(sorted(ctx))}"
            ) from None

    def check(self) -> None:
        """Render every template with a sample mail: run at start-up, so a broken
        override fails then and not on the first forward."""
        from inboxbot.mail.message import parse

        sample = parse(
            b"From: =?utf-8?b?0JjQstCw0L0=?= <ivan@example.test>\r\nTo: sales@example.test\r\n"
            b"Subject: test\r\nMessage-ID: <sample@example.test>\r\nDate: Mon, 16 Jun 2025 10:30:00 +0300\r\n"
            b"\r\nsample\r\n"
        )
        someone = Recipient("sample", "Образцов Иван Иванович", "sample@example.test", date(2025, 6, 27))
        ctx = ForwardContext("Отдел", Address("", "bot@example.test"), (), someone, someone)
        decision = Decision(action="forward", owner="sample", rule="sample", reasons=("пример",))
        facts = Facts()
        for name, view in (
            ("forward", forward_view(sample, facts, decision, ctx)),
            ("absence_notice", notice_view(sample, facts, decision, ctx, someone)),
        ):
            self.render(f"{name}.txt.j2", **view)
            self.render(f"{name}.html.j2", **view)
        self.render("rules_error.txt.j2", **rules_error_view("Образцов Иван", "rules.toml", ["пример"], "Отдел"))
        # The acknowledgement, reminder and escalation: notices.py builds on this module.
        from inboxbot.compose.notices import check_templates

        check_templates(self)


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    # jinja rewrites the traceback so template frames carry the template's file and line.
    if not filename:
        return None
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def _undefined_words(exc: jinja2.UndefinedError) -> str:
    match = re.match(r"'([^']+)' is undefined", str(exc))
    if match:
        return f"переменная «{match.group(1)}» не определена"
    match = re.match(r"'.*' has no attribute '([^']+)'", str(exc))
    if match:
        return f"у значения нет поля «{match.group(1)}»"
    return f"неопределённое значение ({exc})"


# -- what the templates see ---------------------------------------------------------------

_REGION_HOW = {
    "client_base": "по базе клиентов",
    "inn": "по ИНН",
    "kpp": "по КПП",
    "ogrn": "по ОГРН",
    "address": "по адресу",
    "city": "по городу",
    "phone": "по телефонному коду",
    "domain": "по домену",
}
# Inline logos of signatures (Outlook's image001.png) are noise in a list of attachments.
_INLINE_IMAGE_RE = re.compile(r"^image\d{3}\.(png|jpe?g|gif)$", re.IGNORECASE)


def _recipient_view(person: Recipient) -> dict[str, object]:
    return {
        "id": person.id,
        "name": _clean(person.name, 120),
        "email": person.email,
        "greeting": greeting_name(_clean(person.name, 120)),
        "away_until": person.away_until,
    }


def _client_view(msg: ParsedMessage, facts: Facts, decision: Decision) -> dict[str, object]:
    company, ref = facts.company, decision.client
    inn_req = facts.inn
    inn = (ref.inn if ref else None) or (company.inn if company else None)
    # From the base the "клиент из базы" line says it; otherwise say where the INN was seen.
    inn_source = "" if ref and ref.inn else (inn_req.evidence.describe() if inn_req else "")
    author = facts.client_address or msg.sender
    return {
        "name": _clean(ref.name if ref else company.name if company else "", 200),
        "written_as": _clean(company.name, 200) if company and ref and company.name != ref.name else "",
        "inn": inn or "",
        "inn_source": inn_source,
        "kpp": (company.kpp if company else None) or "",
        "in_base": f"{Path(ref.file).name}, строка {ref.line}" if ref else "",
        "since": ref.since if ref else None,
        # A company the mail names that routing did not find in the base.
        "not_in_base": ref is None and company is not None,
        "group": _clean(ref.group or "", 120) if ref else "",
        "author": _clean(str(author), 200) if author else "",
        # The same, in two parts: a phone breaks "Имя <a@b-c.ru>" at the hyphen otherwise.
        "author_name": _clean(author.name, 120) if author else "",
        "author_email": _clean(author.email, 200) if author else "",
        "country": facts.country or "",
    }


def _region_view(facts: Facts) -> dict[str, object] | None:
    region = facts.region
    if region is None:
        return None
    return {
        "name": region.name,
        "code": region.code,
        "district": region.district,
        "how": _REGION_HOW.get(region.how, region.how),
    }


def _original_view(msg: ParsedMessage) -> dict[str, object]:
    return {
        "subject": _clean(msg.subject, 300) or NO_SUBJECT,
        "sender": _clean(str(msg.sender), 200) if msg.sender else "",
        "date": msg.date,
        "message_id": msg.message_id,
        "attachments": [
            _clean(a.filename, 120) for a in msg.attachments if not _INLINE_IMAGE_RE.match(a.filename)
        ],
    }


# Reasons route.py adds about absences ("Петров в отпуске … → заместитель Иванова",
# "заместители тоже отсутствуют → …") and pool members passed over ("пропущены: …"):
# the banner of the forward says the first, and neither is why the request is the
# recipient's, so the summary leaves them to the full list.
_SIDE_REASON_RE = re.compile(r"заместител|^пропущены:", re.IGNORECASE)


def _why_view(decision: Decision, ctx: ForwardContext, reader: Recipient) -> list[str]:
    """The reason trail in one or two plain sentences, addressed to `reader` (their own
    surname at the end of a reason reads "вам"/"вы"). A client of the base led by the
    manager whose request it is: whose client it is and how the bot recognised it.
    Otherwise the deciding reason and the one before it (usually how the client or the
    region was found)."""
    target = ctx.base_owner or ctx.owner
    ref = decision.client
    reasons = [r for r in (_clean(r, 500) for r in decision.reasons) if r]
    main = [r for r in reasons if not _SIDE_REASON_RE.search(r)] or reasons
    surname = reader.name.split()[0] if reader.name.split() else ""
    client_line = ""
    if ref is not None:
        if ref.manager == reader.id:
            client_line = "Это ваш клиент по базе клиентов."
        elif ref.manager == target.id:
            client_line = f"Клиента по базе ведёт {_clean(target.name, 120)}."
        if client_line:
            how = _recognised_by(main, ref)
            return [client_line, f"Как узнали: {how}."] if how else [client_line]
        # In the base, but another rule decided (VIP, holding, public sector…).
        client_line = f"{_clean(ref.name, 200)} есть в базе клиентов."
    if not main:
        return [client_line or f"Правило «{_clean(decision.rule, 120)}»."]
    territory = _TERRITORY_RE.fullmatch(main[-2]) if len(main) > 1 and not client_line else None
    if territory and "→" in main[-1]:
        region, how = territory.groups()
        mine = main[-1].endswith(f"→ {surname}")
        whose = "ваша территория" if mine else f"территория, которую ведёт {_clean(target.name, 120)}"
        return [f"{region} — {whose}.", f"Регион определён {how}."]
    lead = client_line or (_sentence(main[-2], surname) if len(main) > 1 else "")
    return [s for s in (lead, _sentence(main[-1], surname)) if s]


# route.py's territory rule: "регион 63 Самарская область: по ИНН «…», из вложения «…»"
# followed by "Приволжский федеральный округ → Петров" (or "регион 63 → Петров").
_TERRITORY_RE = re.compile(r"регион \d{2} (.+?): (по .+)")


def _recognised_by(reasons: Sequence[str], ref: ClientRef) -> str:
    """How route.py found the client in the base, from its reasons: "домен отправителя
    kareliafish.ru — клиент … (clients.csv, строка 219)" gives the part before the dash;
    "ООО «…» — клиент из базы (…)" after "ИНН … (из подписи)" gives the INN reason."""
    where = f"строка {ref.line})"
    for index, reason in enumerate(reasons):
        if where not in reason:
            continue
        head = reason.split(" — ", 1)[0].strip()
        if head == _clean(ref.name, 500) or head == ref.name:
            return reasons[index - 1] if index > 0 else ""
        return head
    return ""


def _sentence(reason: str, surname: str) -> str:
    """A reason fragment as a sentence: capital letter, full stop, the reader's own
    surname at its end turned to the second person ("→ Орлов" → "→ вам")."""
    if surname:
        name = re.escape(surname)
        reason = re.sub(rf"→ (?:руководитель |заместитель )?{name}$", "→ вам", reason)
        reason = re.sub(rf"— (это )?{name}$", r"— \1вы", reason)
    reason = reason[:1].upper() + reason[1:]
    return reason if reason.endswith((".", "!", "?", "…")) else reason + "."


def _reply_link(msg: ParsedMessage, address: str) -> str:
    """mailto: to the client with "Re: <subject>" and, where the mail client honours it
    (RFC 6068 allows any header), In-Reply-To, so the answer joins the client's thread."""
    if not _EMAIL_RE.fullmatch(address):
        return ""
    params = []
    subject = _clean(msg.subject, 250)
    if subject:
        params.append(("subject", subject if re.match(r"re\s*:", subject, re.IGNORECASE) else f"Re: {subject}"))
    if msg.has_message_id and _ID_RE.fullmatch(msg.message_id):
        params.append(("In-Reply-To", f"<{msg.message_id}>"))
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
    return f"mailto:{quote(address, safe='@')}" + (f"?{query}" if query else "")


# "9 000 шт.", "1 250 000 руб.": a line break inside a number misreads it on a phone.
_THOUSANDS_RE = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")


def forward_view(msg: ParsedMessage, facts: Facts, decision: Decision, ctx: ForwardContext) -> dict[str, object]:
    """The template context of a forward: plain values, already cleaned."""
    quote_text, cut = _quote(facts.new_text or msg.text)
    quote_text = _THOUSANDS_RE.sub("\u00a0", quote_text)
    reply_to = reply_address(msg, facts)
    return {
        "department": _clean(ctx.department, 120),
        "bot_name": BOT_NAME,
        "owner": _recipient_view(ctx.owner),
        "base_owner": _recipient_view(ctx.base_owner) if ctx.base_owner else None,
        "client": _client_view(msg, facts, decision),
        "region": _region_view(facts),
        "why": _why_view(decision, ctx, ctx.owner),
        "reasons": [_clean(r, 500) for r in decision.reasons if r.strip()],
        "rule": decision.rule,
        "forwarded_by": _clean(str(facts.forwarded_by), 200) if facts.forwarded_by else "",
        "reply_to": reply_to.email if reply_to else "",
        "reply_link": _reply_link(msg, reply_to.email) if reply_to else "",
        "original": _original_view(msg),
        "quote": quote_text,
        "quote_cut": cut,
    }


def notice_view(
    msg: ParsedMessage, facts: Facts, decision: Decision, ctx: ForwardContext, absent: Recipient
) -> dict[str, object]:
    """The template context of an absence notice: the forward's, plus who was absent and
    the summary addressed to them ("ваш клиент …")."""
    view = forward_view(msg, facts, decision, ctx)
    view["absent"] = _recipient_view(absent)
    view["absent_client"] = decision.client is not None and decision.client.manager == absent.id
    view["why"] = _why_view(decision, ctx, absent)
    return view


def _quote(text: str) -> tuple[str, bool]:
    """The first QUOTE_CHARS of the request, cut at a word, for reading on a phone."""
    text = _CONTROL_KEEP_LINES_RE.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) <= QUOTE_CHARS:
        return text, False
    cut = text[:QUOTE_CHARS]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > QUOTE_CHARS * 0.8 else cut).rstrip() + " …", True


# -- composition --------------------------------------------------------------------------


def forward_message_id(original: ParsedMessage, owner_id: str, domain: str) -> str:
    """`<fwd.HASH@domain>`, the same for the same original sent to the same owner: a
    resend after a cut SMTP transaction (or a crash before the journal recorded it)
    collapses into one mail in the manager's client."""
    return _message_id("fwd", original, owner_id, domain)


def notice_message_id(original: ParsedMessage, absent_id: str, domain: str) -> str:
    return _message_id("notice", original, absent_id, domain)


def _message_id(kind: str, original: ParsedMessage, person: str, domain: str) -> str:
    seed = f"{kind}\0{original.message_id}\0{original.content_hash}\0{person}"
    digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    domain = domain.strip().lower()
    if not _DOMAIN_RE.fullmatch(domain):
        domain = "inboxbot.invalid"
    return f"<{kind}.{digest}@{domain}>"


def reply_address(msg: ParsedMessage, facts: Facts) -> Address | None:
    """Where the manager's "Reply" should go: the client (the author of a forwarded
    original, if reception forwarded it), else the mail's Reply-To, else its sender.
    Candidates that are not a plain addr-spec are passed over."""
    for candidate in (facts.client_address, *msg.reply_to, msg.sender):
        if candidate is not None and _EMAIL_RE.fullmatch(candidate.email):
            return candidate
    return None


def forward_subject(subject: str) -> str:
    """'[Заявка] ' + the original subject, with the reply/forward prefixes collapsed:
    'RE: Fwd: Re: КП' → '[Заявка] Re: КП'; an earlier tag is not doubled."""
    text = _clean(subject, 250)
    is_reply = False
    while True:
        match = SUBJECT_PREFIX.match(text)
        if not match:
            break
        is_reply = is_reply or (match.group(1) or "").lower() in REPLY_WORDS
        text = text[match.end() :]
    text = text.strip() or NO_SUBJECT
    return f"{SUBJECT_TAG} {'Re: ' if is_reply else ''}{text}"


def compose_forward(
    raw: bytes,
    msg: ParsedMessage,
    facts: Facts,
    decision: Decision,
    ctx: ForwardContext,
    templates: Templates,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """The mail for `ctx.owner`: explanation (text + HTML) and the original attached
    whole. Raises TemplateError when a template cannot be rendered."""
    view = forward_view(msg, facts, decision, ctx)
    text = templates.render("forward.txt.j2", **view)
    html = templates.render("forward.html.j2", **view)

    out = EmailMessage(policy=POLICY)
    _put_address(out, "From", ctx.bot_address.email, _bot_name(ctx))
    _put_address(out, "To", ctx.owner.email, ctx.owner.name)
    client = reply_address(msg, facts)
    if client is not None:
        _put_address(out, "Reply-To", client.email, client.name)
    _put_text(out, "Subject", forward_subject(msg.subject))
    _put_ascii(out, "Date", format_datetime(_moscow(now or datetime.now(UTC))))
    _put_ascii(out, "Message-ID", forward_message_id(msg, ctx.owner.id, ctx.bot_address.domain))
    if msg.has_message_id:
        put_thread(out, msg.message_id, msg.references)
    _put_ascii(out, ctx.loop_header, _loop_value("forwarded", decision, ctx.owner.id, msg))
    # No Auto-Submitted on the forward: it carries a client's own words to a human who
    # answers them, and mail systems file "auto-generated" mail away from the inbox
    # (Exchange/Gmail rules, "other" tabs) — a request must not land there. Loops are
    # prevented by our loop header instead, and an out-of-office answer goes to the
    # envelope sender (the bot), where it is skipped as an auto-reply.
    _put_ascii(out, "MIME-Version", "1.0")

    # The MIME tree is put together directly (what set_content, add_alternative and
    # make_mixed would build, with a third of the work): a forward per request is the
    # bot's main cost after extraction.
    original = original_part(raw)
    alternative = _multipart("alternative", [_text_part(text, "plain"), _text_part(html, "html")], raw)
    _put_multipart(out, "mixed", raw)
    # typeshed wants the parent's own class; a MIMEPart is what a subpart should be.
    out.attach(cast(EmailMessage, alternative))
    out.attach(cast(EmailMessage, original))
    return out


def _text_part(text: str, subtype: str) -> MIMEPart:
    """text/SUBTYPE in UTF-8, base64 with CRLF line ends inside, as set_content(text,
    subtype=..., charset="utf-8", cte="base64") encodes it under POLICY."""
    data = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    step = (POLICY.max_line_length or 78) // 4 * 3  # 57 bytes: lines of 76 characters
    part = MIMEPart(policy=POLICY)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "base64")
    part.set_payload("".join(binascii.b2a_base64(data[i : i + step]).decode("ascii") for i in range(0, len(data), step)))
    return part


def _multipart(subtype: str, parts: list[MIMEPart], raw: bytes) -> MIMEPart:
    container = MIMEPart(policy=POLICY)
    _put_multipart(container, subtype, raw)
    for part in parts:
        container.attach(part)
    return container


def _put_multipart(msg: Message, subtype: str, raw: bytes) -> None:
    """Content-Type multipart/SUBTYPE with a boundary of our own. The generator checks
    the boundary it makes up against the content; ours is 128 random bits, and checked
    against the one part that is not base64 (the original, whose lines could be
    anything; a base64 line never starts with "--")."""
    while True:
        boundary = f"=_inboxbot_{secrets.token_hex(16)}"
        if boundary.encode("ascii") not in raw:
            break
    msg.set_raw("Content-Type", _fold("Content-Type", [f"multipart/{subtype};", f'boundary="{boundary}"']))


def compose_absence_notice(
    msg: ParsedMessage,
    facts: Facts,
    decision: Decision,
    ctx: ForwardContext,
    absent: Recipient,
    templates: Templates,
    *,
    now: datetime | None = None,
) -> EmailMessage:
    """Tells `absent` that their client's request went to `ctx.owner` (the backup):
    who, which client, the subject, when. The original is not attached — the absent
    manager only needs to know, and the request is being handled."""
    view = notice_view(msg, facts, decision, ctx, absent)
    text = templates.render("absence_notice.txt.j2", **view)
    html = templates.render("absence_notice.html.j2", **view)
    client = view["client"]
    assert isinstance(client, dict)

    out = EmailMessage(policy=POLICY)
    _put_address(out, "From", ctx.bot_address.email, _bot_name(ctx))
    _put_address(out, "To", absent.email, absent.name)
    # "Reply" reaches the colleague who now has the request.
    _put_address(out, "Reply-To", ctx.owner.email, ctx.owner.name)
    who = client["name"] or client["author"] or "клиент"
    _put_text(out, "Subject", f"{SUBJECT_TAG} {who}: заявка передана — {greeting_name(_clean(ctx.owner.name, 120))}")
    _put_ascii(out, "Date", format_datetime(_moscow(now or datetime.now(UTC))))
    _put_ascii(out, "Message-ID", notice_message_id(msg, absent.id, ctx.bot_address.domain))
    _put_ascii(out, ctx.loop_header, _loop_value("notice", decision, absent.id, msg))
    # A notice is pure information, and its reader is away — an active out-of-office
    # responder must not answer it (RFC 3834 responders skip auto-generated mail).
    _put_ascii(out, "Auto-Submitted", "auto-generated")
    _put_ascii(out, "MIME-Version", "1.0")
    out.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    out.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    return out


def rules_error_view(head_name: str, rules_file: str, errors: Iterable[str], department: str,
                     changed_at: datetime | None = None) -> dict[str, object]:
    return {"head_name": head_name, "rules_file": rules_file, "errors": list(errors),
            "department": department, "changed_at": changed_at or datetime.now(UTC)}


def compose_rules_error(
    ctx: ForwardContext, head: Recipient, rules_file: str, errors: str, templates: Templates,
    *, now: datetime | None = None,
) -> EmailMessage:
    """Tells the sales head that an edited rules file was rejected, what to fix, and that
    the last good rules keep running. One mail per distinct set of errors (its Message-ID
    is derived from them, so a resend collapses)."""
    lines = [line for line in errors.splitlines() if line.strip()]
    view = rules_error_view(head.name, rules_file, lines, ctx.department, now)
    digest = hashlib.sha256(errors.encode("utf-8")).hexdigest()[:32]
    out = EmailMessage(policy=POLICY)
    _put_address(out, "From", ctx.bot_address.email, _bot_name(ctx))
    _put_address(out, "To", head.email, head.name)
    _put_text(out, "Subject", f"Ошибка в правилах бота: {_clean(Path(rules_file).name, 120)} не принят")
    _put_ascii(out, "Date", format_datetime(_moscow(now or datetime.now(UTC))))
    _put_ascii(out, "Message-ID", f"<rules.{digest}@{ctx.bot_address.domain}>")
    _put_ascii(out, ctx.loop_header, "rules-error")
    _put_ascii(out, "Auto-Submitted", "auto-generated")
    _put_ascii(out, "MIME-Version", "1.0")
    out.set_content(templates.render("rules_error.txt.j2", **view), subtype="plain", charset="utf-8", cte="base64")
    return out


def original_part(raw: bytes) -> MIMEPart:
    """The original as an attachment whose bytes are `raw` itself, not a re-serialised
    parse (which would refold headers and re-encode parts). Line ends become CRLF: SMTP
    requires them, and a server would otherwise reject or rewrite bare LF. RFC 2046
    allows only 7bit/8bit for message/rfc822; a raw that SMTP cannot carry that way
    (NUL, lines over 998 bytes) is attached base64-encoded as application/octet-stream."""
    body = normalize_newlines(raw)
    part = MIMEPart(policy=POLICY)
    if b"\0" in body or any(len(line) > 998 for line in body.split(b"\r\n")):
        part.set_content(body, maintype="application", subtype="octet-stream", cte="base64",
                         disposition="attachment", filename=ORIGINAL_FILENAME)
        return part
    part.set_content(_Verbatim(body), subtype="rfc822", cte="7bit" if body.isascii() else "8bit",
                     disposition="attachment", filename=ORIGINAL_FILENAME)
    return part


class _Verbatim(Message):
    """A 'message' that the generator writes out as exactly the bytes given. Its payload
    is the whole raw mail as a surrogate-escaped string, which BytesGenerator writes back
    byte for byte (it does so for any 8-bit source it parsed); the generator's
    per-message `_write_headers` hook is overridden so no header block or blank line is
    added in front."""

    def __init__(self, raw: bytes) -> None:
        super().__init__(policy=POLICY)
        self.set_payload(raw.decode("ascii", "surrogateescape"))

    def _write_headers(self, generator: object) -> None:
        return None


def attached_original(forward: bytes) -> bytes | None:
    """The attached original cut out of a forward's wire bytes, exactly as sent (CRLF
    line ends). Reading it through the email package instead (`part.as_bytes()`)
    re-serialises it and refolds headers such as Received, so it would not compare
    equal to what was sent. None when the forward has no message/rfc822 part."""
    boundary = email.message_from_bytes(forward.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n").get_boundary()
    if not boundary:
        return None
    for chunk in forward.split(b"\r\n--" + boundary.encode("ascii", "replace"))[1:]:
        head, _, body = chunk.partition(b"\r\n\r\n")
        if b"message/rfc822" in head.lower():
            return body
    return None


def normalize_newlines(raw: bytes) -> bytes:
    """CRLF, bare LF and bare CR all become CRLF."""
    return re.sub(rb"\r\n|\r|\n", b"\r\n", raw)


def _bot_name(ctx: ForwardContext) -> str:
    # A name configured for the bot wins; the department name alone ("ТД «Северный
    # Картон»") says nothing in a manager's inbox list, where everyone is from it.
    name = ctx.bot_address.name
    return name if name and name != ctx.department else BOT_NAME


def _loop_value(kind: str, decision: Decision, person: str, msg: ParsedMessage) -> str:
    rule = _TOKEN_RE.sub("_", decision.rule) or "-"
    person = _TOKEN_RE.sub("_", person) or "-"
    orig = msg.message_id if _ID_RE.fullmatch(msg.message_id) else "-"
    return f"{kind}; rule={rule}; owner={person}; orig=<{orig}>"


# -- header writing -----------------------------------------------------------------------

# C0/C1 controls (CR, LF, NUL, tab…), Unicode line/paragraph separators, zero-width and
# bidi-override characters (they can make a display name read as someone else's).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
_CONTROL_KEEP_LINES_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_HEADER_NAME_RE = re.compile(r"[!-9;-~]+")
_EMAIL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
_ID_RE = re.compile(r"[!-;=?-~]{1,250}")  # printable ASCII without '<', '>' and space
_TOKEN_RE = re.compile(r"[^A-Za-z0-9_.:-]+")
_SPECIALS_RE = re.compile(r'[][\\()<>@,:;".]')


def _clean(text: str, limit: int) -> str:
    """One line of printable text, at most `limit` characters."""
    text = " ".join(_CONTROL_RE.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def put_thread(out: EmailMessage, parent: str, references: Sequence[str]) -> None:
    """In-Reply-To the parent; References = the parent's References (the oldest and the
    newest 18 when the chain is long, as MUAs do), then the parent (RFC 5322 3.6.4).
    Nothing when the parent's id is not a plain msg-id."""
    if not _ID_RE.fullmatch(parent):
        return
    refs = [r for r in references if _ID_RE.fullmatch(r) and r != parent]
    _put_ascii(out, "In-Reply-To", f"<{parent}>")
    chain = [*refs[:1], *refs[1:][-18:], parent]
    _put_ascii(out, "References", " ".join(f"<{r}>" for r in chain))


def _put_ascii(msg: EmailMessage, name: str, value: str) -> None:
    """A header our own code built from safe tokens; folded at spaces."""
    if not value.isascii() or _CONTROL_RE.search(value):
        raise ValueError(f"{name}: header value must be printable ASCII: {value!r}")
    msg.set_raw(name, _fold(name, value.split(" ")))


def _put_text(msg: EmailMessage, name: str, value: str) -> None:
    """Free text (a subject): RFC 2047 encoded when it is not plain ASCII, or when it
    contains '=?' (a literal encoded word must not be decoded by the reader's client)."""
    value = _clean(value, 300)
    if value.isascii() and "=?" not in value:
        msg.set_raw(name, _fold(name, value.split(" ")))
    else:
        msg.set_raw(name, _fold(name, _encoded_words(name, value)))


def _put_address(msg: EmailMessage, name: str, addr: str, display: str) -> None:
    addr = addr.strip()
    if not _EMAIL_RE.fullmatch(addr):
        raise ValueError(f"{name}: {addr!r} is not a plain e-mail address")
    display = _clean(display, 80)
    if not display:
        tokens = [addr]
    elif display.isascii() and "=?" not in display:
        quoted = display.replace("\\", "\\\\").replace('"', '\\"')
        tokens = [f'"{quoted}"' if _SPECIALS_RE.search(display) else display, f"<{addr}>"]
    else:
        tokens = [*_encoded_phrase(display), f"<{addr}>"]
    msg.set_raw(name, _fold(name, tokens))


def _encoded_phrase(text: str) -> list[str]:
    """Encoded words for a display name, split only between words, the space kept inside
    the earlier word. RFC 2047 readers drop the whitespace between encoded words, so the
    name comes back exact; a split inside a word ("Александр" + "овна") is read back with
    a space in it by parsers that treat a phrase's encoded words as separate words
    (Python's own address parser does)."""
    charset = Charset("utf-8")
    words = text.split(" ")
    chunks: list[str] = []
    current = ""
    for index, word in enumerate(words):
        piece = word + (" " if index < len(words) - 1 else "")
        if current and len(charset.header_encode(current + piece)) > _MAX_WORD:
            chunks.append(current)
            current = ""
        current += piece
    chunks.append(current)
    result: list[str] = []
    for chunk in chunks:
        encoded = charset.header_encode(chunk)
        # One word too long for an encoded word of its own: split inside it after all.
        result.extend([encoded] if len(encoded) <= _MAX_WORD else _encoded_words("", chunk))
    return result


def _encoded_words(name: str, value: str) -> list[str]:
    # email.header.Header (the mature compat32 encoder) splits into encoded words of
    # at most 75 characters, cut at character boundaries.
    encoded = Header(value, "utf-8", header_name=name).encode(maxlinelen=_MAX_WORD + 1, linesep="\n")
    return encoded.split()


def _fold(name: str, tokens: Iterable[str]) -> str:
    """Tokens joined by spaces, a new continuation line whenever the next token would
    pass 78 characters. A token longer than a line stays whole (lines may reach 998)."""
    lines: list[str] = []
    current = ""
    width = len(name) + 2
    for token in tokens:
        if not token:
            continue
        if current and width + len(current) + 1 + len(token) > _MAX_LINE:
            lines.append(current)
            current, width = token, 1
        else:
            current = f"{current} {token}" if current else token
    lines.append(current)
    return "\n ".join(lines)

