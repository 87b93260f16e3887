"""The one check of mail commands (mail/authentication.py): the digest's «переслать 2» and
the ledger's «передать Сидорову» are carried out only when our receiving server vouches
for the sender, or the mail came through one of the company's relays. End to end on a
real Dovecot and a real aiosmtpd, as the commands' own tests; the header reading itself
over the header shapes real servers write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from samples import RULES, deliver, demo_department
from servers import SmtpCatcher
from test_ledger_command import ANNA, EMAILS, HEAD, command, kinds, mail_id, text_of
from test_ledger_worker import request
from test_skipped_digest import GENUINE, MONDAY_0800, Clock, mails, reply_to, run, skipped_then_digest

from inboxbot.config import ServerSettings, Settings
from inboxbot.mail.authentication import passes, received_peer, sender_verified, trusted_results
from inboxbot.mail.message import parse
from inboxbot.model.ledger import ClientKey
from inboxbot.run.jobs import Jobs
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

SERVER = "mx.severkarton.test"
RELAY = "relay.severkarton.test"
# Our server's own header and the Received lines of a mail that came in through the relay.
VIA_RELAY = (
    "Received: from mx.severkarton.test (mx.severkarton.test [192.0.2.1]) by imap.severkarton.test with LMTP\r\n"
    "Received: from relay.severkarton.test (relay.severkarton.test [10.0.0.5]) by mx.severkarton.test with ESMTP\r\n"
)
# A forger's mail: his HELO says «relay», the address our server saw is his own.
FORGED_RELAY = "Received: from relay.severkarton.test (unknown [203.0.113.9]) by mx.severkarton.test with ESMTP\r\n"
FORGED_PASS = "Authentication-Results: mx.severkarton.test; dmarc=pass header.from=severkarton.test\r\n"


def mail(headers: str, sender: str = HEAD) -> bytes:
    return f"{headers}From: {sender}\r\nSubject: t\r\n\r\nпереслать 2\r\n".encode()


def verified(headers: str, server: str = SERVER, relays: tuple[str, ...] = ()) -> bool:
    return sender_verified(parse(mail(headers)), server, relays)


# -- the header reading --------------------------------------------------------------------


@pytest.mark.parametrize(("header", "ok"), [
    ("mx.severkarton.test; dmarc=pass (p=reject dis=none) header.from=severkarton.test", True),
    ("mx.severkarton.test 1; dkim=pass header.d=mail.severkarton.test", True),  # subdomain: aligned
    ("mx.severkarton.test; spf=pass smtp.mailfrom=bounce@severkarton.test", True),
    ("mx.severkarton.test; dkim=pass header.d=severkarton.test.evil.example", False),
    ("mx.severkarton.test; dkim=pass header.d=notseverkarton.test", False),
    ("mx.severkarton.test; dmarc=pass header.from=evil.example", False),
    ("mx.severkarton.test; spf=fail (dkim=pass header.d=severkarton.test) smtp.mailfrom=severkarton.test", False),
    ("mx.severkarton.test; spf=softfail smtp.mailfrom=severkarton.test; dmarc=none", False),
])  # fmt: skip
def test_a_result_passes_only_aligned_with_the_from_domain(header: str, ok: bool) -> None:
    assert passes(header, "severkarton.test") is ok


def test_only_our_servers_header_counts_whatever_stands_below_it() -> None:
    ours_fail = "Authentication-Results: mx.severkarton.test; dmarc=fail header.from=severkarton.test\r\n"
    later_hop = "Authentication-Results: imap.severkarton.test; none\r\n"
    foreign_pass = "Authentication-Results: evil.example; dmarc=pass header.from=severkarton.test\r\n"
    assert not verified("")  # no header at all
    assert not verified(ours_fail + FORGED_PASS)  # a forged pass below ours
    assert not verified(foreign_pass)  # ours absent, someone else's pass
    assert verified(later_hop + FORGED_PASS.replace("dmarc=pass", "dkim=pass header.d=severkarton.test"))
    assert not verified(later_hop + FORGED_PASS, server="")  # no server configured: the topmost only
    assert trusted_results(parse(mail(later_hop + ours_fail)), "") == later_hop.split(": ", 1)[1].strip()


def test_a_relay_counts_only_where_our_server_recorded_it() -> None:
    assert verified(VIA_RELAY, relays=(RELAY,)) and verified(VIA_RELAY, relays=("10.0.0.5",))
    assert not verified(VIA_RELAY)  # no relays configured
    assert not verified(VIA_RELAY, server="", relays=(RELAY,))  # the LMTP hop hides it when no server is known
    assert not verified(FORGED_RELAY, relays=(RELAY,))  # the sender's HELO is his word
    # Below an outside hop, a Received line naming the relay is the sender's writing.
    outside = "Received: from out.evil.example (out.evil.example [203.0.113.9]) by mx.severkarton.test\r\n"
    assert not verified(outside + VIA_RELAY.splitlines()[1] + "\r\n", relays=(RELAY,))
    exim = "from relay.severkarton.test ([10.0.0.5] helo=anything) by mx.severkarton.test with esmtp"
    assert received_peer(exim) == (RELAY, "10.0.0.5")
    assert received_peer("from x (unknown [203.0.113.9] helo=[10.0.0.5]) by mx") == ("unknown", "203.0.113.9")


# -- the digest's «переслать» --------------------------------------------------------------


def relay_rules(folder: Path) -> Path:
    text = RULES.read_text(encoding="utf-8").replace("relays = []", f'relays = ["{RELAY}"]', 1)
    assert f'relays = ["{RELAY}"]' in text
    return demo_department(folder, text)


@pytest.fixture
def digest_setup(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> Iterator[tuple[Jobs, Clock, Store]]:
    """The demo company with its relay named in [department] relays."""
    clock = Clock(MONDAY_0800)
    with open_store(tmp_path / "journal.sqlite") as journal:
        settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                            bot_address="sales-bot@severkarton.test")  # fmt: skip
        worker = Worker(settings, relay_rules(tmp_path / "rules"), journal, clock=clock, processes=0)
        yield Jobs(worker), clock, journal
        worker.close()


@pytest.mark.parametrize(("auth", "extra", "released"), [
    (None, "", 0),  # the forger's mail as it comes: no Authentication-Results at all
    ("mx.severkarton.test; spf=fail smtp.mailfrom=a.volkov@severkarton.test; dmarc=fail", FORGED_PASS, 0),
    (None, FORGED_PASS.replace(SERVER, "evil.example"), 0),  # ours absent, a pass by someone else
    (None, FORGED_RELAY, 0),
    ("imap.severkarton.test; none", f"Authentication-Results: {GENUINE}\r\n", 1),  # ours below a later hop's
    ("mx.severkarton.test; spf=none; dmarc=none", VIA_RELAY, 1),
])  # fmt: skip
def test_the_digest_releases_only_for_the_authenticated_head(
    digest_setup: tuple[Jobs, Clock, Store], imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
    auth: str | None, extra: str, released: int,
) -> None:
    jobs, clock, journal = digest_setup
    digest = skipped_then_digest(jobs, clock, imap_inbox, smtp_server)
    before = len(smtp_server.messages)
    deliver(imap_inbox, reply_to(digest, "переслать 2", auth=auth, extra=extra))
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=2)).released == released
    new = mails(smtp_server)[before:]
    answers = [(to, m) for to, m in new if str(m.get("X-Inboxbot", "")) == "release-answer"]
    (to, answer), = answers
    part = answer.get_body(("plain",))
    assert to == (HEAD,) and part is not None  # the head hears of it either way
    items = journal.releases.items(str(digest["Message-ID"]).strip("<>"))
    if released:
        assert items[1].released and "переслано: Сидоров" in str(part.get_content())
    else:
        assert "не прошло проверку подлинности" in str(part.get_content()) and "Ничего не переслано." in str(part.get_content())
        assert not any(i.released or i.decision for i in items) and len(new) == 1


# -- the ledger's «передать» ---------------------------------------------------------------


def test_the_ledger_command_takes_the_same_check_and_the_same_relays(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    with open_store(tmp_path / "journal.sqlite") as journal:
        settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                            bot_address="sales-bot@severkarton.test")  # fmt: skip
        worker = Worker(settings, relay_rules(tmp_path / "rules"), journal)
        try:
            deliver(imap_inbox, request(1, ANNA, "Полимер-Трейд"))
            assert worker.poll_once().forwarded == 1
            (first,) = smtp_server.forwards
            owner = next(k for k, v in EMAILS.items() if v == first.rcpt_tos[0])
            target, word = ("petrov", "Петрову") if owner == "sidorov" else ("sidorov", "Сидорову")
            # A forger: our server's failing header on top, his passing one below it.
            forged = command(1, HEAD, mail_id(first), f"передать {word}", auth=f"{SERVER}; spf=fail; dmarc=fail")
            deliver(imap_inbox, forged.replace(b"\nFrom:", b"\n" + FORGED_PASS.encode().rstrip() + b"\nFrom:", 1))
            worker.poll_once()
            assert journal.ledger.find([ClientKey("domain", "polimer-trade.ru")]).owner == owner  # type: ignore[union-attr]
            (refusal,) = [m for m in smtp_server.messages if kinds([m])[0][0] == "ledger-refusal"]
            assert kinds([refusal]) == [("ledger-refusal", ("volkov",))]
            assert "не прошло проверку подлинности" in text_of(refusal)
            # The head's real command through the company relay: no pass needed, the client moves.
            relayed = command(2, HEAD, mail_id(first), f"передать {word}", auth=f"{SERVER}; spf=none; dmarc=none")
            deliver(imap_inbox, VIA_RELAY.replace("\r\n", "\n").encode() + relayed)
            assert worker.poll_once().announced == 1
            (change,) = journal.changes.history()
            assert (change.owner, change.by, change.command) == (target, "volkov", "cmd2@severkarton.test")
        finally:
            worker.close()
