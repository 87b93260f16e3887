"""The client's view of a mail (scenario §7): whose mail it is — the author, or, when a
colleague of ours forwards an outside mail, the author of the forwarded original — and
the mail cut into segments, each marked own (the client wrote it) or not."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from inboxbot.extract.domains import colleagues, same_party
from inboxbot.extract.segments import QUOTE_CHARS, SCAN_CHARS, Segment
from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.mail.textparts import TextParts, split_text
from inboxbot.model.domains import domain_in


@dataclass(frozen=True, slots=True)
class View:
    """The client's side of a mail: who, and which texts are theirs."""

    client: Address | None
    forwarded_by: Address | None
    parts: TextParts
    segments: tuple[Segment, ...]
    notes: tuple[str, ...] = ()


def _text_segments(
    text: str, parts: TextParts, *, source: str, own: bool, client: Address | None, internal: Sequence[str], free: Sequence[str]
) -> list[Segment]:
    """Segments of one split text: new text and signature under `source` (body for the
    mail itself, forwarded for an original), quotes as their author makes them."""
    segs: list[Segment] = []
    new_end = min(parts.new.end, parts.new.start + SCAN_CHARS)
    if not parts.new.empty:
        segs.append(Segment(source, text, parts.new.start, new_end, own, ner=own))
    if parts.signature and not parts.signature.empty:
        segs.append(Segment("signature" if source == "body" else source, text, parts.signature.start, parts.signature.end, own, ner=own, sig=True))
    # Each earlier letter of the sender's own party is read up to QUOTE_CHARS (its INN and
    # signature are the sender's); everyone else's letters share one QUOTE_CHARS between them.
    budget = QUOTE_CHARS
    for quote in parts.quotes:
        author = quote.author
        if author is not None:
            # The client's own earlier letter, or a colleague's the client speaks of by name.
            outside = own and not domain_in(author.domain, internal)
            mine = outside and (same_party(author, client, free) or colleagues(client, author, parts.new_text))
        else:
            mine = own and _same_name(quote.author_name, client)
        limit = QUOTE_CHARS if mine else min(QUOTE_CHARS, budget)
        if limit <= 0:
            continue
        end = min(quote.part.end, quote.part.start + limit)
        if not mine:
            budget -= end - quote.part.start
        segs.append(Segment("quote", text, quote.part.start, end, mine, detail="ours" if author and domain_in(author.domain, internal) else ""))
    fw = parts.forwarded
    if fw is not None:
        fw_own = own and (
            fw.sender is None or same_party(fw.sender, client, free) or domain_in(fw.sender.domain, free)
            or colleagues(fw.sender, client, fw.body.new_text)
        )
        segs.extend(_text_segments(text, fw.body, source="forwarded", own=fw_own, client=client, internal=internal, free=free))
    return segs


def _same_name(name: str, client: Address | None) -> bool:
    """An address-less quote header names the sender: the same words in any order, at
    least two of them (a first name alone is anybody's)."""
    if not name or client is None or not client.name:
        return False
    words = _name_words(name)
    return len(words) >= 2 and words == _name_words(client.name)


def _name_words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[^\W\d_]+", name.lower().replace("ё", "е")))


_ROBOT_SENDER = re.compile(r"^(?:no-?reply|do-?not-?reply|robot|mailer|notify|notification|forms?|site|web|wordpress|tilda|bitrix)\b", re.IGNORECASE)


def _author(msg: ParsedMessage) -> Address | None:
    """From, unless a website's robot sent the mail on a client's behalf (a web form):
    then the Reply-To the form filled in."""
    sender = msg.sender
    if sender is not None and msg.reply_to and _ROBOT_SENDER.match(sender.email.partition("@")[0]):
        return msg.reply_to[0]
    return sender


def client_view(msg: ParsedMessage, internal: Sequence[str], free: Sequence[str]) -> View:
    """Decide whose mail this is and cut it into segments."""
    sender = _author(msg)
    parts = split_text(msg.text, msg.subject)
    notes: list[str] = []
    is_internal = sender is not None and domain_in(sender.domain, internal)
    if is_internal:
        for fw in msg.forwarded:  # an original attached as message/rfc822
            if fw.sender is not None and not domain_in(fw.sender.domain, internal):
                fw_parts = split_text(fw.text, fw.subject)
                segs = _text_segments(fw.text, fw_parts, source="forwarded", own=True, client=fw.sender, internal=internal, free=free)
                segs = [replace(s, source="forwarded", detail=s.detail or "message/rfc822") if s.source != "quote" else s for s in segs]
                segs.append(Segment("subject", fw.subject, 0, len(fw.subject), True))
                return View(fw.sender, sender, fw_parts, tuple(segs), tuple(notes))
        fw_text = parts.forwarded
        if fw_text is not None and fw_text.sender is not None and not domain_in(fw_text.sender.domain, internal):
            segs = _text_segments(msg.text, fw_text.body, source="forwarded", own=True, client=fw_text.sender, internal=internal, free=free)
            segs.append(Segment("subject", fw_text.subject, 0, len(fw_text.subject), True))
            return View(fw_text.sender, sender, fw_text.body, tuple(segs), tuple(notes))
        notes.append("письмо от нашего сотрудника, пересланного внешнего письма в нём нет")
        segs = _text_segments(msg.text, parts, source="body", own=False, client=sender, internal=internal, free=free)
        return View(sender, None, parts, tuple(segs), tuple(notes))
    segs = _text_segments(msg.text, parts, source="body", own=True, client=sender, internal=internal, free=free)
    segs.append(Segment("subject", msg.subject, 0, len(msg.subject), True))
    for fw in msg.forwarded:
        fw_parts = split_text(fw.text, fw.subject)
        fw_own = fw.sender is None or same_party(fw.sender, sender, free) or colleagues(fw.sender, sender, fw_parts.new_text)
        fsegs = _text_segments(fw.text, fw_parts, source="forwarded", own=fw_own, client=sender, internal=internal, free=free)
        segs.extend(replace(s, detail=s.detail or "message/rfc822") for s in fsegs)
    return View(sender, None, parts, tuple(segs), tuple(notes))
