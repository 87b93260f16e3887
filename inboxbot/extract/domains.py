"""Mail domains: free-mail providers, and whether an address is ours or the same party."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from inboxbot.mail.message import Address

FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "internet.ru", "yandex.ru", "ya.ru",
    "yandex.com", "gmail.com", "rambler.ru", "outlook.com", "hotmail.com", "icloud.com",
    "qip.ru", "ro.ru",
)  # fmt: skip


def domain_in(domain: str, domains: Iterable[str]) -> bool:
    """The domain is one of `domains` or a subdomain of one."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in (x.lower().lstrip("@") for x in domains) if d)


def same_party(a: Address | None, b: Address | None, free: Sequence[str]) -> bool:
    """Same person or same company domain (a free-mail domain says nothing)."""
    if a is None or b is None:
        return False
    if a.email == b.email:
        return True
    return a.domain == b.domain and not domain_in(a.domain, free)
