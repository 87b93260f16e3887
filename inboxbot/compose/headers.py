"""Writing the headers of the bot's mails: cleaned, encoded and folded here. Pure.

Header safety: every header value that comes from mail text (names, subjects, company
names) goes through `clean` (no control characters, no CR/LF, no bidi overrides) and is
then encoded here, not by the stdlib folder. Python 3.11's header folder loses spaces in
long encoded subjects and display names and turns long Message-IDs in References into
RFC 2047 encoded words (which breaks threading), so headers are written pre-folded with
`set_raw` under a policy that does not refold them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email import policy as email_policy
from email.charset import Charset
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage


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
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        # The stdlib builds a new class on every parse (`type(...)`), garbage the cycle
        # collector then has to find: one class per header name serves every parse.
        key = name.lower()
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = super().__getitem__(name)
        return found

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

# C0/C1 controls (CR, LF, NUL, tab…), Unicode line/paragraph separators, zero-width and
# bidi-override characters (they can make a display name read as someone else's).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")
HEADER_NAME_RE = re.compile(r"[!-9;-~]+")
EMAIL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")
ID_RE = re.compile(r"[!-;=?-~]{1,250}")  # printable ASCII without '<', '>' and space
TOKEN_RE = re.compile(r"[^A-Za-z0-9_.:-]+")
_SPECIALS_RE = re.compile(r'[][\\()<>@,:;".]')


def clean(text: str, limit: int) -> str:
    """One line of printable text, at most `limit` characters."""
    text = " ".join(_CONTROL_RE.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def put_thread(out: EmailMessage, parent: str, references: Sequence[str]) -> None:
    """In-Reply-To the parent; References = the parent's References (the oldest and the
    newest 18 when the chain is long, as MUAs do), then the parent (RFC 5322 3.6.4).
    Nothing when the parent's id is not a plain msg-id."""
    if not ID_RE.fullmatch(parent):
        return
    refs = [r for r in references if ID_RE.fullmatch(r) and r != parent]
    put_ascii(out, "In-Reply-To", f"<{parent}>")
    chain = [*refs[:1], *refs[1:][-18:], parent]
    put_ascii(out, "References", " ".join(f"<{r}>" for r in chain))


def put_ascii(msg: EmailMessage, name: str, value: str) -> None:
    """A header our own code built from safe tokens; folded at spaces."""
    if not value.isascii() or _CONTROL_RE.search(value):
        raise ValueError(f"{name}: header value must be printable ASCII: {value!r}")
    msg.set_raw(name, fold(name, value.split(" ")))


def put_text(msg: EmailMessage, name: str, value: str) -> None:
    """Free text (a subject): RFC 2047 encoded when it is not plain ASCII, or when it
    contains '=?' (a literal encoded word must not be decoded by the reader's client)."""
    value = clean(value, 300)
    if value.isascii() and "=?" not in value:
        msg.set_raw(name, fold(name, value.split(" ")))
    else:
        msg.set_raw(name, fold(name, _encoded_words(name, value)))


def put_address(msg: EmailMessage, name: str, addr: str, display: str) -> None:
    """One mailbox: `addr` must be a plain addr-spec; `display` is cleaned and encoded."""
    msg.set_raw(name, _address_value(name, addr, display))


def put_addresses(msg: EmailMessage, name: str, mailboxes: Iterable[tuple[str, str]]) -> None:
    """Several mailboxes (address, display name) in one header, one per line."""
    msg.set_raw(name, ",\n ".join(_address_value(name, addr, display) for addr, display in mailboxes))


def _address_value(name: str, addr: str, display: str) -> str:
    """The folded value of header `name` naming one mailbox (see put_address)."""
    addr = addr.strip()
    if not EMAIL_RE.fullmatch(addr):
        raise ValueError(f"{name}: {addr!r} is not a plain e-mail address")
    display = clean(display, 80)
    if not display:
        tokens = [addr]
    elif display.isascii() and "=?" not in display:
        quoted = display.replace("\\", "\\\\").replace('"', '\\"')
        tokens = [f'"{quoted}"' if _SPECIALS_RE.search(display) else display, f"<{addr}>"]
    else:
        tokens = [*_encoded_phrase(display), f"<{addr}>"]
    return fold(name, tokens)


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


def fold(name: str, tokens: Iterable[str]) -> str:
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

