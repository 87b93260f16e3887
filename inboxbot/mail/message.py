"""Raw RFC 5322 bytes → ParsedMessage, the typed mail every later stage reads. Pure.

mail-parser builds the message object and decodes the headers (it copes with broken
encodings and records defects); the MIME tree is walked here because the stages need
structure mail-parser flattens: the message's own text versus a forwarded original
attached as message/rfc822, and attachments with their bytes.
"""

from __future__ import annotations

import email.message
import email.parser
import email.utils
import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.header import Header, decode_header

import mailparser

from inboxbot.mail.charsets import decode_unknown
from inboxbot.mail.htmltext import html_to_text

log = logging.getLogger(__name__)

# Past these sizes the rest is dropped for analysis (the original still goes out whole).
MAX_TEXT_CHARS = 200_000
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_NESTING = 4
MAX_HEADER_CHARS = 2_000  # a subject or name past this is noise (RFC 5322 lines end at 998)
# Limits on what is parsed at all, checked on the raw bytes before any parser runs: the
# stdlib parser recurses once per nested part and its boundary patterns grow with the
# depth, so a mail nested ~1,000 deep (68 KB) raised RecursionError; a 50 MB attachment
# took the process to 1 GB. Within the limits every real mail parses whole; past them
# the mail is read in part and `unreadable` or `defects` say why.
MAX_MULTIPARTS = 100
MAX_PARTS = 1_000
MAX_PARSE_BYTES = 16 * 1024 * 1024
_MULTIPART_RE = re.compile(rb"^content-type:[ \t]*multipart/", re.IGNORECASE | re.MULTILINE)
_PART_RE = re.compile(rb"^content-type:", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: display name and lower-cased addr-spec."""

    name: str
    email: str

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes = field(repr=False)
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """A mail as the bot sees it. `message_id` is never empty: one is made from the
    content hash when the header is missing, so a mail always has an identity."""

    message_id: str
    has_message_id: bool
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...]
    forwarded: tuple[ParsedMessage, ...]
    headers: tuple[tuple[str, str], ...]
    content_type: str
    content_hash: str
    size: int
    defects: tuple[str, ...]
    # Why the body could not be read at all (a parsing limit, a parser failure): the
    # headers are all there is, and the mail goes to a human with this reason.
    unreadable: str | None = None

    def header(self, name: str) -> str | None:
        """First value of a header (case-insensitive), decoded; None when absent."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this mail replies to, nearest first."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


def parse(raw: bytes) -> ParsedMessage:
    """Parse any bytes into a ParsedMessage. Never raises: what cannot be read is left
    empty and named in `defects`; a mail past the structure limits, or one that makes
    the parsers fail, keeps its headers and says why in `unreadable`."""
    problem = structure_problem(raw)
    if problem is not None:
        return parse_headers(raw, problem)
    try:
        return _parse(raw, depth=0)
    except Exception as exc:  # RecursionError, MemoryError or a parser bug: this mail only
        log.warning("mail could not be parsed (%s: %s); reading its headers only", type(exc).__name__, exc)
        return parse_headers(raw, f"письмо не удалось разобрать ({type(exc).__name__})")


def structure_problem(raw: bytes) -> str | None:
    """The structure limit `raw` is past, in words for the person who gets the mail; None
    within the limits. Counts header lines, so it costs one scan and never recurses."""
    multiparts = len(_MULTIPART_RE.findall(raw))
    if multiparts > MAX_MULTIPARTS:
        return f"в письме {multiparts} составных частей (multipart), предел — {MAX_MULTIPARTS}"
    parts = len(_PART_RE.findall(raw))
    if parts > MAX_PARTS:
        return f"в письме {parts} частей, предел — {MAX_PARTS}"
    return None


def parse_headers(raw: bytes, reason: str) -> ParsedMessage:
    """The top-level headers of `raw`, its body left unread because of `reason`."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw[: end if end >= 0 else MAX_PARSE_BYTES][:MAX_PARSE_BYTES]
    try:
        msg = email.parser.BytesHeaderParser().parsebytes(head)
    except Exception as exc:  # even the headers are beyond reading: identity from the bytes
        log.warning("headers could not be parsed either (%s)", type(exc).__name__)
        msg = email.message.Message()
    return _message(msg, raw, texts=[], htmls=[], attachments=[], forwarded=[], defects=[reason], unreadable=reason)


def _parse(raw: bytes, depth: int) -> ParsedMessage:
    defects: list[str] = []
    readable = raw
    if len(raw) > MAX_PARSE_BYTES:
        # Text parts come first in real mail; the rest is attachments nobody reads past
        # attachments.MAX_SOURCE_BYTES anyway. The original still goes out whole.
        readable = raw[:MAX_PARSE_BYTES]
        defects.append(f"письмо больше {MAX_PARSE_BYTES // (1024 * 1024)} МБ: прочитано начало")
    try:
        parsed = mailparser.parse_from_bytes(readable)
        msg = parsed.message
        defects.extend(sorted(parsed.defects_categories))
    except RecursionError:
        raise  # the stdlib parser below would recurse the same way
    except Exception as exc:  # mail-parser wraps stdlib errors in several types
        log.warning("mail-parser failed (%s); falling back to the stdlib parser", exc)
        defects.append(f"mail-parser: {type(exc).__name__}")
        msg = email.message_from_bytes(readable)

    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    forwarded: list[ParsedMessage] = []
    _walk(msg, texts, htmls, attachments, forwarded, defects, depth)
    if readable is not raw and attachments:  # the cut went through the last part
        attachments[-1] = replace(attachments[-1], truncated=True)
    return _message(msg, raw, texts, htmls, attachments, forwarded, defects)


def _message(
    msg: email.message.Message,
    raw: bytes,
    texts: list[str],
    htmls: list[str],
    attachments: list[Attachment],
    forwarded: list[ParsedMessage],
    defects: list[str],
    unreadable: str | None = None,
) -> ParsedMessage:
    content_hash = hashlib.sha256(raw).hexdigest()
    headers = tuple((str(k).lower(), decode_header_value(v)[:MAX_HEADER_CHARS]) for k, v in msg.items())

    html = "\n".join(htmls)
    text = "\n\n".join(t for t in texts if t.strip())
    if not text.strip() and html:
        text = html_to_text(html)

    message_id = _first_id(_get(msg, "message-id"))
    return ParsedMessage(
        message_id=message_id or f"{content_hash[:32]}@inboxbot.invalid",
        has_message_id=bool(message_id),
        in_reply_to=_ids(_get(msg, "in-reply-to")),
        references=_ids(_get(msg, "references")),
        sender=_first_address(msg, "from"),
        reply_to=_addresses(msg, "reply-to"),
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        date=_date(_get(msg, "date")),
        subject=_one_line(_get(msg, "subject"))[:MAX_HEADER_CHARS],
        text=text[:MAX_TEXT_CHARS],
        html=html[:MAX_TEXT_CHARS],
        attachments=tuple(attachments),
        forwarded=tuple(forwarded),
        headers=headers,
        content_type=msg.get_content_type(),
        content_hash=content_hash,
        size=len(raw),
        defects=tuple(defects),
        unreadable=unreadable,
    )


def _walk(
    part: email.message.Message,
    texts: list[str],
    htmls: list[str],
    attachments: list[Attachment],
    forwarded: list[ParsedMessage],
    defects: list[str],
    depth: int,
) -> None:
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or ctype == "message/global":
        inner = part.get_payload()
        raw = _nested_bytes(inner)
        if raw is not None and depth < MAX_NESTING:
            forwarded.append(_parse(raw, depth + 1))
            attachments.append(Attachment(_filename(part) or "message.eml", ctype, raw))
        return
    if part.is_multipart():
        payload = part.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, email.message.Message):
                    _walk(sub, texts, htmls, attachments, forwarded, defects, depth)
        return

    filename = _filename(part)
    disposition = _get(part, "content-disposition").split(";")[0].strip().lower()
    is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment" and not (
        filename and ctype == "text/plain" and disposition == "attachment"
    )
    try:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    except Exception as exc:  # broken base64/quoted-printable
        defects.append(f"payload: {type(exc).__name__}")
        data = b""
    if is_body_text and not filename:
        decoded = decode_text(data, part.get_content_charset())
        (texts if ctype == "text/plain" else htmls).append(decoded)
        return
    if ctype.startswith("multipart/"):
        return
    truncated = len(data) > MAX_ATTACHMENT_BYTES
    attachments.append(
        Attachment(
            filename=filename or f"part.{ctype.rpartition('/')[2] or 'bin'}",
            content_type=ctype,
            payload=data[:MAX_ATTACHMENT_BYTES],
            truncated=truncated,
        )
    )


def _nested_bytes(inner: object) -> bytes | None:
    if isinstance(inner, list) and inner and isinstance(inner[0], email.message.Message):
        inner = inner[0]
    if isinstance(inner, email.message.Message):
        try:
            return inner.as_bytes()
        except Exception:  # an unserialisable nested part is left out, recorded by caller
            try:
                return inner.as_string().encode("utf-8", "replace")
            except Exception:
                return None
    if isinstance(inner, str):
        return inner.encode("utf-8", "replace")
    return None


def decode_text(data: bytes, charset: str | None) -> str:
    """Decode a text part: the declared charset if it decodes cleanly; else strict UTF-8,
    else the Cyrillic code page whose text reads most like Russian (windows-1251, KOI8-R,
    cp866, ISO-8859-5, mac-cyrillic: see inboxbot.mail.charsets). Never raises."""
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, ValueError):  # unknown or garbage charset name, undecodable bytes
            pass
    return decode_unknown(data).text


def decode_header_value(value: object) -> str:
    """Decode RFC 2047 words; never raises."""
    if value is None:
        return ""
    try:
        # Raw 8-bit headers (no RFC 2047) arrive as "unknown-8bit" parts: decode those
        # bytes ourselves, UTF-8 first, like the body text.
        parts = decode_header(value if isinstance(value, Header) else str(value))
        return "".join(
            decode_text(chunk, None if charset in (None, "unknown-8bit") else charset)
            if isinstance(chunk, bytes)
            else chunk
            for chunk, charset in parts
        ).strip()
    except Exception:  # unknown charset or broken encoded-word: keep the raw text
        return str(value)


def _get(msg: email.message.Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:
        return ""
    return decode_header_value(value) if value is not None else ""


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n\t]+\s*", " ", text).strip()


_ADDR_RE = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+")
_ID_RE = re.compile(r"<([^<>\s]+)>")


def _ids(value: str) -> tuple[str, ...]:
    found = _ID_RE.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip()]
    return tuple(dict.fromkeys(found))


def _first_id(value: str) -> str:
    ids = _ids(value)
    return ids[0] if ids else ""


def _addresses(msg: email.message.Message, name: str) -> tuple[Address, ...]:
    try:
        values = [_unescape_8bit(v) for k, v in msg.raw_items() if k.lower() == name]
    except Exception:
        return ()
    # Split the raw header first and decode display names after: decoding first would let
    # an encoded name such as "=?utf-8?b?...?=" that decodes to "x, evil@host" inject an
    # address of the attacker's choosing.
    result: list[Address] = []
    for display, addr in email.utils.getaddresses(values):
        addr = addr.strip().lower()
        if "@" not in addr or not _ADDR_RE.fullmatch(addr):
            continue
        result.append(Address(_one_line(decode_header_value(display))[:MAX_HEADER_CHARS], addr))
    return tuple(result)


def _unescape_8bit(value: object) -> str:
    """A raw header value: its 8-bit bytes (kept as surrogates by the parser) decoded
    like body text, RFC 2047 words left for later."""
    text = str(value)
    try:
        return decode_text(text.encode("ascii", "surrogateescape"), None)
    except UnicodeEncodeError:  # already real text (a str-built message)
        return text


def _first_address(msg: email.message.Message, name: str) -> Address | None:
    found = _addresses(msg, name)
    return found[0] if found else None


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # RFC 5322 "-0000": time is UTC, zone unknown
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _filename(part: email.message.Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        return ""
    return _one_line(decode_header_value(name)) if name else ""
