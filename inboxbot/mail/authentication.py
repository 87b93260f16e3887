"""Whether a mail really comes from the domain in its From, by what our own servers wrote
in it: the one check every mail command (the digest's «переслать 2», the ledger's
«передать Сидорову») passes before it changes anything. Pure.

Only headers our servers add can be trusted; everything below them the sender may have
written. So the verdict is read from one Authentication-Results header: the topmost whose
authserv-id is our receiving server (`server`), or, when no server is configured, the
topmost of all. (RFC 8601 §5: the receiving server removes headers claiming its own id
from incoming mail, so one with that id was written by it.) It must show dmarc=pass, or
spf=pass / dkim=pass for a domain aligned with the From domain (relaxed, as DMARC aligns:
the domain itself or a subdomain of it). Without such a header the mail passes only when
it came through one of the company's own relays: the relay authenticated its sender.
"""

from __future__ import annotations

import re

from inboxbot.mail.message import ParsedMessage

# Inside a quoted string these characters are text, not the header's structure.
_INERT = {c: "_" for c in ';()="\\ \t\r\n'}
_RESULT_RE = re.compile(r"^\s*([a-z0-9-]+)\s*=\s*([a-z]+)\b(.*)$", re.S)
_PROPERTY_RE = re.compile(r"\b([a-z]+\.[a-z-]+)\s*=\s*\"?([^\s;\"]+)")
_FROM_CLAUSE_RE = re.compile(r"(?is)^\s*from\s+(.*?)(?:\bby\b|;|$)")
# The host a Received line names with the address the server saw: Postfix writes
# «from HELO (rdns [ip])», Exim «from rdns ([ip] helo=HELO)». The HELO is the sender's
# word, so it is dropped and the last name-and-address pair is the one the server checked.
_HELO_RE = re.compile(r"(?i)\bhelo\s*=\s*\S+")
_PEER_RE = re.compile(r"([\w.-]*)\s*\(?\s*\[(?:ipv6:)?([0-9a-f:.]+)\]", re.I)


def _uncommented(text: str) -> str:
    """`text` with its comments blanked and each quoted string's content made inert (RFC
    5322 tokens, as RFC 8601 writes them): the envelope sender is the sender's choice, and
    «"x;dmarc=pass"@evil.example» must stay one value, never read as a result of its own.
    An unterminated quote or comment ends the text there: what follows is nobody's word."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in text:
        if escaped:
            escaped = False
            if quoted:
                out.append(_INERT.get(char, char))
        elif char == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            quoted = char != '"'
            if quoted:
                out.append(_INERT.get(char, char))
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
        elif char == '"':
            quoted = True
        elif char == "(":
            depth = 1
            out.append(" ")
        else:
            out.append(char)
    return "".join(out) if not (quoted or depth or escaped) else "".join(out).rpartition(";")[0]


def authserv_id(header: str) -> str:
    """The server that wrote an Authentication-Results header (its first token)."""
    words = _uncommented(header).partition(";")[0].split()
    return words[0].lower() if words else ""


def trusted_results(msg: ParsedMessage, server: str) -> str | None:
    """The Authentication-Results header our receiving server wrote, or None."""
    headers = msg.header_all("Authentication-Results")
    if not server:
        return headers[0] if headers else None
    return next((h for h in headers if authserv_id(h) == server.lower()), None)


def aligned(value: str, domain: str) -> bool:
    """Whether an address or domain from a result is `domain` or one of its subdomains."""
    found = value.lower().strip().lstrip("@").rpartition("@")[2].rstrip(".")
    domain = domain.lower()
    return bool(domain) and (found == domain or found.endswith("." + domain))


def passes(header: str, domain: str) -> bool:
    """Whether one Authentication-Results header says the mail is from `domain`."""
    for part in _uncommented(header).split(";")[1:]:
        found = _RESULT_RE.match(part.lower())
        if found is None or found.group(2) != "pass":
            continue
        method, props = found.group(1), dict(_PROPERTY_RE.findall(found.group(3)))
        if method == "dmarc" and aligned(props.get("header.from", domain), domain):
            return True
        if method == "spf" and aligned(props.get("smtp.mailfrom", ""), domain):
            return True
        if method == "dkim" and any(aligned(props.get(p, ""), domain) for p in ("header.d", "header.i")):
            return True
    return False


def received_peer(header: str) -> tuple[str, str]:
    """(host name, address) of the server a Received header says the mail came from, as
    the receiving server recorded it; empty strings for what it does not say."""
    clause = _FROM_CLAUSE_RE.match(header)
    if clause is None:
        return "", ""
    pairs = _PEER_RE.findall(_HELO_RE.sub(" ", clause.group(1)))
    if pairs:
        name, address = pairs[-1]
        return name.lower(), address.lower()
    words = clause.group(1).split()
    return (words[0].lower() if words else ""), ""


def via_relay(msg: ParsedMessage, relays: tuple[str, ...], server: str) -> bool:
    """Whether the trusted top of the Received chain shows one of `relays`: the topmost
    header, and below it each one our receiving server (`server`) added."""
    wanted = {r.strip().lower() for r in relays}
    if not wanted:
        return False
    for header in msg.header_all("Received"):
        name, address = received_peer(header)
        if name in wanted or address in wanted:
            return True
        if not server or name != server.lower():
            return False  # the hop before is outside our servers: what follows is the sender's
    return False


def sender_verified(msg: ParsedMessage, server: str, relays: tuple[str, ...]) -> bool:
    """Whether `msg` is authenticated for the domain of its From (see the module doc)."""
    sender = msg.sender.email.lower() if msg.sender else ""
    domain = sender.rpartition("@")[2]
    if not domain:
        return False
    header = trusted_results(msg, server)
    return (header is not None and passes(header, domain)) or via_relay(msg, relays, server)
