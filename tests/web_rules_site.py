"""The rules pages' test department: demo mails in a real IMAP mailbox, journalled under
their UIDs as the worker decides them with the rules in force, and the edit that moves
some of them — for tests/test_web_rules.py and the browser walk (web_rules_browser.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from samples import DEMO_MAIL
from web_site import T0, Site

from inboxbot.config import ServerSettings
from inboxbot.io.imap import Mailbox
from inboxbot.model.records import MessageKey
from inboxbot.rules.load import load_rules
from inboxbot.run.batch import details
from inboxbot.run.pipeline import Pipeline

# The territory rule gives the southern district's new clients (ЮФО: demo mails 017 and
# 022) to Орлов; the edit gives them to Иванова.
MOVED = ('"ЮФО" = "orlov"', '"ЮФО" = "ivanova"')


def rules_path(site: Site) -> Path:
    return site.app.state.ctx.rules.path  # type: ignore[no-any-return]


def edited(site: Site, old: str, new: str) -> bytes:
    text = rules_path(site).read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new).encode("utf-8")


def imap_env(imap: ServerSettings) -> dict[str, str]:
    """The worker's settings for the mailbox, as `inboxbot web` reads them."""
    return {"INBOXBOT_IMAP_HOST": imap.host, "INBOXBOT_IMAP_PORT": str(imap.port), "INBOXBOT_IMAP_TLS": "none",
            "INBOXBOT_IMAP_USER": imap.user, "INBOXBOT_IMAP_PASSWORD": imap.password}  # fmt: skip


def journal_mailbox(site: Site, imap: ServerSettings, prefixes: tuple[str, ...] = ()) -> list[str]:
    """The demo mails whose names start with `prefixes` (all: empty) appended to the
    mailbox and journalled under their UIDs, decided with the rules in force, an hour
    apart over the days before the site's clock; returns their subjects in order."""
    files = sorted(DEMO_MAIL.glob("*.eml"))
    if prefixes:
        files = [next(f for f in files if f.name.startswith(p)) for p in prefixes]
    raws = [f.read_bytes() for f in files]
    with Mailbox(imap) as box:
        for raw in raws:
            box.append(raw)
        uids, uidvalidity = box.pending_uids(), box.uidvalidity
    pipeline = Pipeline(load_rules(rules_path(site)))
    subjects = []
    for n, (uid, raw) in enumerate(zip(uids, raws, strict=True)):
        seen = T0 - timedelta(days=8) + timedelta(hours=5 * n)
        outcome = pipeline.run(raw, site.store.history, received_at=seen, ledger=site.store.ledger)
        key = MessageKey("INBOX", uidvalidity, uid)
        site.store.messages.record_decision(key, outcome.msg, outcome.decision, details=details(outcome.facts),
                                            seen_at=seen)  # fmt: skip
        if outcome.decision.forwards and outcome.decision.owner:
            site.store.messages.mark_forwarded(key, f"fwd.{uid}@bot", outcome.decision.owner, outcome.decision.rule,
                                               at=seen + timedelta(minutes=1))  # fmt: skip
        subjects.append(outcome.msg.subject)
    return subjects
