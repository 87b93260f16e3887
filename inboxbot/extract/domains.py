"""Whether two addresses are the same party (the free-mail list and domain_in: model.domains)."""

from __future__ import annotations

from collections.abc import Sequence

from inboxbot.mail.message import Address
from inboxbot.model.domains import domain_in


def same_party(a: Address | None, b: Address | None, free: Sequence[str]) -> bool:
    """Same person or same company domain (a free-mail domain says nothing)."""
    if a is None or b is None:
        return False
    if a.email == b.email:
        return True
    return a.domain == b.domain and not domain_in(a.domain, free)
