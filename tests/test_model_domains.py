"""The one domain list and the one "domain in list" test (inboxbot.model.domains)."""

from __future__ import annotations

import pytest

from inboxbot.model.domains import FREE_MAIL_DOMAINS, domain_in, normalize_domain, parent_domains


@pytest.mark.parametrize(
    ("domain", "domains", "expected"),
    [
        ("company.ru", ["company.ru"], True),
        ("mail.company.ru", ["company.ru"], True),
        ("notcompany.ru", ["company.ru"], False),  # a suffix is not a parent
        ("Mail.Company.RU.", ["company.ru"], True),  # case and the FQDN dot
        ("company.ru", ["@Company.ru"], True),  # as people write it in settings
        ("company.ru", [".company.ru."], True),
        ("company.ru", ["", "@"], False),  # an empty entry matches nothing
        ("", [""], False),
        ("company.ru", [], False),
    ],
)
def test_domain_in(domain: str, domains: list[str], expected: bool) -> None:
    assert domain_in(domain, domains) is expected


def test_parent_domains_stop_at_two_labels() -> None:
    assert list(parent_domains("a.b.example.ru")) == ["a.b.example.ru", "b.example.ru", "example.ru"]
    assert list(parent_domains("localhost")) == ["localhost"]


def test_the_free_mail_list_is_normal_and_unique() -> None:
    assert len(set(FREE_MAIL_DOMAINS)) == len(FREE_MAIL_DOMAINS)
    assert all(normalize_domain(d) == d for d in FREE_MAIL_DOMAINS)
    assert domain_in("e.mail.ru", FREE_MAIL_DOMAINS) and not domain_in("company.ru", FREE_MAIL_DOMAINS)
