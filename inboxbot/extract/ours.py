"""Our own company as the client writes it: the names we gave, the names our managers sign
with in quoted letters, and names that spell our mail domain. Never the sender."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from inboxbot.directory.names import name_key
from inboxbot.extract.findings import Found
from inboxbot.extract.orgs import OrgMention
from inboxbot.extract.quotes import quoted_cores


def our_keys(own_names: Sequence[str], founds: Sequence[Found]) -> frozenset[str]:
    """Name keys of our own company: given (a department name such as «ТД „Северный
    Картон“, отдел продаж» gives its quoted name), or signed in our managers' quoted
    letters."""
    keys = {name_key(n) for n in own_names}
    keys.update(name_key(q) for n in own_names for q in quoted_cores(n))
    for f in founds:
        if f.segment.detail == "ours":
            keys.update(name_key(o.core) for o in f.orgs)
    keys.discard("")
    return frozenset(keys)


def is_ours(org: OrgMention, keys: frozenset[str], internal: Sequence[str]) -> bool:
    """The organisation is our company, by name or by our domain."""
    return name_key(org.core) in keys or name_key(org.text) in keys or like_our_domain(org.core, internal)


def like_our_domain(core: str, internal: Sequence[str]) -> bool:
    """«Северный Картон» written by a client is us when our domain spells it
    (severkarton.test): the name's Latin skeleton, spaces dropped, is within a typo or
    two of the domain's first label. Only labels of 6+ letters, so no short word matches."""
    squeezed = name_key(core).replace(" ", "")
    if len(squeezed) < 6:
        return False
    for domain in internal:
        label = domain.lower().lstrip("@").split(".")[0]
        if len(label) >= 6 and fuzz.ratio(squeezed, label) >= 85:
            return True
    return False
