"""The MIME parts the bot's mails are built of, and the original attached byte for byte. Pure.

The forward's tree is put together directly (what set_content, add_alternative and
make_mixed would build, with a third of the work): a forward per request is the bot's
main cost after extraction.
"""

from __future__ import annotations

import binascii
import email
import re
import secrets
from email.message import EmailMessage, Message, MIMEPart

from inboxbot.compose.headers import POLICY, fold

ORIGINAL_FILENAME = "original.eml"


def set_alternative(out: EmailMessage, text: str, html: str) -> None:
    """The body: text/plain and text/html in UTF-8, base64, as multipart/alternative."""
    out.set_content(text, subtype="plain", charset="utf-8", cte="base64")
    out.add_alternative(html, subtype="html", charset="utf-8", cte="base64")


def set_text(out: EmailMessage, text: str) -> None:
    """The body: text/plain in UTF-8, base64."""
    out.set_content(text, subtype="plain", charset="utf-8", cte="base64")


def text_part(text: str, subtype: str) -> MIMEPart:
    """text/SUBTYPE in UTF-8, base64 with CRLF line ends inside, as set_content(text,
    subtype=..., charset="utf-8", cte="base64") encodes it under POLICY."""
    data = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    step = (POLICY.max_line_length or 78) // 4 * 3  # 57 bytes: lines of 76 characters
    part = MIMEPart(policy=POLICY)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", "base64")
    part.set_payload("".join(binascii.b2a_base64(data[i : i + step]).decode("ascii") for i in range(0, len(data), step)))
    return part


def multipart(subtype: str, parts: list[MIMEPart], raw: bytes) -> MIMEPart:
    """multipart/SUBTYPE holding `parts`; its boundary does not occur in `raw`."""
    container = MIMEPart(policy=POLICY)
    put_multipart(container, subtype, raw)
    for part in parts:
        container.attach(part)
    return container


def put_multipart(msg: Message, subtype: str, raw: bytes) -> None:
    """Content-Type multipart/SUBTYPE with a boundary of our own. The generator checks
    the boundary it makes up against the content; ours is 128 random bits, and checked
    against the one part that is not base64 (the original, whose lines could be
    anything; a base64 line never starts with "--")."""
    while True:
        boundary = f"=_inboxbot_{secrets.token_hex(16)}"
        if boundary.encode("ascii") not in raw:
            break
    msg.set_raw("Content-Type", fold("Content-Type", [f"multipart/{subtype};", f'boundary="{boundary}"']))


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
