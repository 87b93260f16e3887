"""The identifiers the bot writes into its mails: Message-IDs and loop header values. Pure.

A Message-ID is derived from what the mail is about, never random: a resend after a
cut SMTP transaction (or a crash before the journal recorded it) has the same id and
collapses into one mail in the reader's client.
"""

from __future__ import annotations

import hashlib

from inboxbot.compose.headers import DOMAIN_RE, ID_RE, TOKEN_RE
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision


def safe_domain(domain: str) -> str:
    """`domain` lower-cased when it is a plain domain name, else `inboxbot.invalid`."""
    domain = domain.strip().lower()
    return domain if DOMAIN_RE.fullmatch(domain) else "inboxbot.invalid"


def message_id(kind: str, original: ParsedMessage, person: str, domain: str) -> str:
    """`<kind.HASH@domain>` from the original mail and the person the mail is for."""
    seed = f"{kind}\0{original.message_id}\0{original.content_hash}\0{person}"
    digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"<{kind}.{digest}@{safe_domain(domain)}>"


def forward_message_id(original: ParsedMessage, owner_id: str, domain: str) -> str:
    """`<fwd.HASH@domain>`, the same for the same original sent to the same owner: a
    resend after a cut SMTP transaction (or a crash before the journal recorded it)
    collapses into one mail in the manager's client."""
    return message_id("fwd", original, owner_id, domain)


def notice_message_id(original: ParsedMessage, absent_id: str, domain: str) -> str:
    return message_id("notice", original, absent_id, domain)


def followup_id(kind: str, forward_id: str, person: str, domain: str) -> str:
    """`<kind.HASH@domain>` from the forward it follows up: the same mail when a poll
    sends it again after a crash."""
    digest = hashlib.sha256(f"{kind}\0{forward_id}\0{person}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"<{kind}.{digest}@{safe_domain(domain)}>"


def bare_id(message_id: str | None) -> str:
    """A Message-ID without its angle brackets ('' for None)."""
    return (message_id or "").strip().strip("<>")


def loop_value(kind: str, decision: Decision, person: str, msg: ParsedMessage) -> str:
    """The loop header of a forward or notice: what it is, by which rule, for whom, of which mail."""
    rule = TOKEN_RE.sub("_", decision.rule) or "-"
    person = TOKEN_RE.sub("_", person) or "-"
    orig = msg.message_id if ID_RE.fullmatch(msg.message_id) else "-"
    return f"{kind}; rule={rule}; owner={person}; orig=<{orig}>"
