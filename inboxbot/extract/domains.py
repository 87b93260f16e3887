"""Whether two addresses are the same party (the free-mail list and domain_in: model.domains)."""

from __future__ import annotations

from collections.abc import Sequence

from inboxbot.extract.personnames import first_names
from inboxbot.mail.message import Address
from inboxbot.model.domains import domain_in


def same_party(a: Address | None, b: Address | None, free: Sequence[str]) -> bool:
    """Same person or same company domain (a free-mail domain says nothing)."""
    if a is None or b is None:
        return False
    if a.email == b.email:
        return True
    return a.domain == b.domain and not domain_in(a.domain, free)


def colleagues(author: Address | None, other: Address | None, text: str) -> bool:
    """`author`'s text names `other` by first name, as one colleague names another: the
    director's original forwarded by the buyer opens «Алсу, закажи …»; the bookkeeper's
    reply says of the quoted author «Ильдар Маратович сейчас в командировке». Then two
    addresses (free mail, another domain) are one party. A first name alone must match."""
    if author is None or other is None or not other.name or author.email == other.email:
        return False
    return bool(first_names(other.name) & first_names(text[:2000]))
