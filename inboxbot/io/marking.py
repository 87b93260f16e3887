"""How handled mail is marked on an IMAP server: the kinds of mark, what a server was
learnt to keep (`Marking`), and the names of keywords and folders as the server spells
them. Values and pure functions; the IMAP commands are in imap.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Stored and removed again, once per process and only when the server's answer to SELECT
# leaves it open whether keywords stick (see Mailbox.check_marking).
PROBE_KEYWORD = "$InboxbotProbe"
MODES = ("auto", "keywords", "folders")
KEYWORDS, FOLDERS = "keywords", "folders"
_ATOM_SAFE = re.compile(r"[A-Za-z0-9_.\-]")


@dataclass(frozen=True, slots=True)
class Marking:
    """How handled mail is marked in the polled folder, as learnt from the server. The
    worker keeps it from one connection to the next: the server is asked once per
    process, not on every poll (a probe on every poll was ~2,900 flag changes a day).

    `refused`: keywords (lower case) the server will not keep; their kind of mark is a
    move to its folder. `notes`: what changed since the server was first asked, in
    Russian with the server's answer, for the sales head (empty while all is as chosen)."""

    mode: str  # KEYWORDS or FOLDERS
    done_folder: str  # as the server spells it, e.g. "INBOX.Inboxbot.Done"
    triage_folder: str
    owner_keywords: bool = True
    refused: frozenset[str] = frozenset()
    checked: bool = False  # seen to work (or proven by a keyword the server already keeps)
    notes: tuple[str, ...] = ()


def owner_keyword(prefix: str, owner: str) -> str:
    """A keyword naming the owner. Keywords are ASCII atoms, so any other character
    becomes =XX (its UTF-8 bytes in hex): reversible, and no two owners collide."""
    return prefix + "".join(
        ch if _ATOM_SAFE.fullmatch(ch) else "".join(f"={b:02X}" for b in ch.encode()) for ch in owner
    )


def server_folder(name: str, prefix: str, separator: str | None) -> str:
    """The folder `name` (levels separated by "/", as configured) as the server spells
    it: its levels joined by the server's hierarchy `separator`, inside the personal
    namespace `prefix` ("INBOX." on Cyrus and Courier, "" on Dovecot by default). A name
    that already starts with the prefix is taken as it is."""
    levels = [level for level in name.split("/") if level]
    joined = (separator or "/").join(levels) if levels else name
    if not prefix or joined.startswith(prefix) or f"{joined}{separator or ''}" == prefix:
        return joined
    return prefix + joined


def keyword_allowed(keyword: str, permanent: frozenset[str]) -> bool:
    """Whether STORE of `keyword` can stick, by SELECT's PERMANENTFLAGS (lower case):
    \\* allows new keywords (RFC 3501 7.1); a keyword listed there exists already, which
    is how a server with a full keyword table still keeps the ones it has."""
    return "\\*" in permanent or keyword.lower() in permanent
