"""Mail domains: the one list of public mail services, the one normal form of a domain, and
the one "is this domain (or a subdomain of) one of those" test. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# Public mail services: a sender there tells nothing about the company.
FREE_MAIL_DOMAINS: tuple[str, ...] = (
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "internet.ru", "yandex.ru", "ya.ru",
    "yandex.com", "gmail.com", "rambler.ru", "outlook.com", "hotmail.com", "icloud.com",
    "qip.ru", "ro.ru",
)  # fmt: skip


def normalize_domain(domain: str) -> str:
    """Lower-case ASCII (punycode) form of a domain or e-mail address, so that
    «пример.рф», «xn--e1afmkfd.xn--p1ai» and «Mail.Example.RU.» compare equal."""
    domain = domain.strip().lower().rpartition("@")[2]
    domain = re.sub(r"^[a-z]+://", "", domain).split("/")[0].strip(". ")
    domain = domain.removeprefix("www.")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:  # over-long or empty labels: keep it as written
        return domain


def parent_domains(domain: str) -> Iterator[str]:
    """The domain and each parent down to two labels: a.b.example.ru, b.example.ru, example.ru."""
    labels = domain.split(".")
    for i in range(max(len(labels) - 1, 1)):
        yield ".".join(labels[i:])


def domain_in(domain: str, domains: Iterable[str]) -> bool:
    """True when `domain` is one of `domains` or a subdomain of one. Case-blind; the
    trailing dot of a fully qualified name, the dots around a list entry and its leading
    «@» («@company.ru», as people write it in settings) do not count; an empty entry
    matches nothing."""
    domain = domain.lower().rstrip(".")
    entries = (x.lower().lstrip("@").strip(".") for x in domains)
    return any(domain == d or domain.endswith("." + d) for d in entries if d)
