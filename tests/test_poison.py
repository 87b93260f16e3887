"""One mail must never stop the mailbox: whatever a mail does to the parser, extraction,
routing or a process, that mail goes to a human with the reason and the rest flows.
A mail delivered twice while its first copy waits is forwarded once. Real Dovecot, real
aiosmtpd; the crashes are real SIGKILLs of real processes."""

from __future__ import annotations

import base64
import dataclasses
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from imapclient import IMAPClient
from samples import RULES, deliver, mime_corpus_files, pending, sample
from servers import SmtpCatcher
from test_crash import (  # noqa: F401 - killing_smtp is a fixture
    INBOXBOT,
    _KillingSink,
    forwards_by_original,
    killing_smtp,
    mailbox_flags,
    message_id,
    run_worker,
    start_worker,
    worker_env,
)
from test_worker import flags_of

from inboxbot.config import ServerSettings, Settings
from inboxbot.extract.extract import Extractor
from inboxbot.mail.message import MAX_MULTIPARTS, MAX_PARSE_BYTES, parse
from inboxbot.rules.load import load_rules
from inboxbot.run.batch import FIRST_BATCH
from inboxbot.run.pipeline import CHILD_DIED, ExtractParams, prepare
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

REQUESTS = ("001", "004", "006", "009", "017", "019", "024")  # each forwarded to a manager


def nested(depth: int, kind: str = "multipart") -> bytes:
    """A mail whose body nests `depth` levels deep (68 KB at 1,000: what stopped the worker)."""
    inner = b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5\r\n"
    for level in range(depth):
        if kind == "multipart":
            b = f"b{level}".encode()
            inner = b'Content-Type: multipart/mixed; boundary="' + b + b'"\r\n\r\n--' + b + b"\r\n" + inner + b"\r\n--" + b + b"--\r\n"
        else:
            inner = b"Content-Type: message/rfc822\r\n\r\nSubject: level\r\n" + inner
    head = (b"From: =?utf-8?b?0JjQstCw0L0=?= <attacker@example.org>\r\nTo: sales@severkarton.test\r\n"
            b"Subject: poison\r\nMessage-ID: <poison-" + kind.encode() + b"@example.org>\r\nMIME-Version: 1.0\r\n")
    return head + inner


def requests(count: int, prefix: str = "req") -> list[bytes]:
    """`count` real sample requests, each with its own Message-ID."""
    mails = []
    for index in range(count):
        raw = sample(REQUESTS[index % len(REQUESTS)])
        mid = f"{prefix}-{index}@test.invalid"
        mails.append(re.sub(rb"(?im)^Message-ID:[^\r\n]*", f"Message-ID: <{mid}>".encode(), raw, count=1))
    return mails


def make_worker(imap: ServerSettings, smtp: SmtpCatcher, journal: Store, *, processes: int | None = None) -> Worker:
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=journal.path, bot_address="sales-bot@severkarton.test")
    bot = Worker(settings, RULES, journal, processes=processes)
    # Forwards are counted here; the clients' acknowledgements would add mail of their own.
    bot.holder.rules = dataclasses.replace(bot.holder.rules, acknowledge=None)
    return bot


def forwarded_originals(smtp: SmtpCatcher) -> Counter[str]:
    return Counter(mid for mid, ids in forwards_by_original([m.raw for m in smtp.forwards]).items() for _ in ids)


# -- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["multipart", "message"])
def test_a_mail_nested_a_thousand_deep_is_read_as_headers_with_the_limit_named(kind: str) -> None:
    msg = parse(nested(1000, kind))  # raised RecursionError
    assert msg.unreadable is not None and "предел" in msg.unreadable
    assert msg.sender is not None and msg.sender.email == "attacker@example.org" and msg.sender.name == "Иван"
    assert msg.subject == "poison" and msg.message_id == f"poison-{kind}@example.org"
    assert msg.text == "" and msg.attachments == ()


def test_nesting_within_the_limit_is_read_whole() -> None:
    msg = parse(nested(MAX_MULTIPARTS - 1))
    assert msg.unreadable is None and msg.text.strip() == "Здравствуйте"


def test_a_megabyte_subject_does_not_cost_the_mail_its_facts() -> None:
    raw = sample("006").replace(b"Subject: ", b"Subject: " + "ООО Ромашка ".encode() * 90_000, 1)
    prepared = prepare(raw, Extractor(), ExtractParams.of(load_rules(RULES)))
    assert prepared.error is None  # spaCy's E088 (text longer than max_length) was raised here
    assert prepared.facts.region is not None and prepared.facts.region.code == "54"


def test_a_mail_past_the_size_limit_is_read_from_its_head() -> None:
    """A 40 MB mail (a 30 MB attachment) took the process to a gigabyte: only its first
    MAX_PARSE_BYTES are parsed, the text before the attachment is read, and the cut
    attachment is known to be cut (attachments.py leaves it unread)."""
    body = base64.encodebytes(b"A" * (30 * 1024 * 1024))
    raw = (b"From: a@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
           + "ИНН 7707083893".encode() + b"\r\n--x\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.bin\r\n\r\n"
           + body + b"\r\n--x--\r\n")
    assert len(raw) > MAX_PARSE_BYTES
    msg = parse(raw)
    assert "7707083893" in msg.text and msg.size == len(raw) and msg.unreadable is None
    assert any("прочитано начало" in d for d in msg.defects)
    assert [a.truncated for a in msg.attachments] == [True]
    assert len(msg.attachments[0].payload) < MAX_PARSE_BYTES


def test_replay_answers_the_poison_file(tmp_path: Path) -> None:
    path = tmp_path / "nested.eml"
    path.write_bytes(nested(1000))
    done = subprocess.run([str(INBOXBOT), "replay", "--rules", str(RULES), "--json", str(path)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"rule": "quarantine"' in done.stdout and "предел" in done.stdout


# -- the worker --------------------------------------------------------------------------


def test_a_poison_mail_among_a_hundred_requests(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                tmp_path: Path) -> None:
    mails = requests(100)
    deliver(imap_inbox, *mails[:50], nested(1000), *mails[50:])
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal)
        try:
            report = bot.poll_once()
        finally:
            bot.close()
        rows = {r["uid"]: r for r in journal.queries.recent(200)}
    assert report.forwarded == 100 and report.triaged == 1, report
    assert forwarded_originals(smtp_server) == Counter({message_id(m): 1 for m in mails})
    assert pending(imap_inbox) == []
    assert "$InboxbotTriage" in flags_of(imap_inbox)[51]
    assert rows[51]["subject"] == "poison" and "предел" in str(rows[51]["reasons"])


def test_a_mail_that_kills_its_extraction_process_goes_to_a_human(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every batch is prepared in child processes (a first one of 8, then 93): the killer,
    in the second, kills a child every time."""
    mails = requests(100)
    killer = b"X-Inboxbot-Failpoint: prepare\r\n" + requests(1, "killer")[0]
    deliver(imap_inbox, *mails[: FIRST_BATCH + 2], killer, *mails[FIRST_BATCH + 2 :])
    monkeypatch.setenv("INBOXBOT_FAILPOINT", "prepare")
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal, processes=2)
        try:
            report = bot.poll_once()
        finally:
            bot.close()
        reasons = {r["uid"]: str(r["reasons"]) for r in journal.queries.recent(200)}
    assert report.forwarded == 100 and report.triaged == 1, report
    assert forwarded_originals(smtp_server) == Counter({message_id(m): 1 for m in mails})
    assert CHILD_DIED in reasons[FIRST_BATCH + 3]
    assert pending(imap_inbox) == []


def test_a_mail_that_kills_the_process_preparing_it_never_takes_the_worker_down(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """Even a small batch is prepared in a child process, not in the worker: the killer
    kills the child, is prepared alone in a fresh one, dies there too and goes to a
    human, in the first run. Before, it took the worker down (and, before the journal
    noted what was being prepared, every restart after it)."""
    mails = requests(3)
    killer = b"X-Inboxbot-Failpoint: prepare\r\n" + requests(1, "killer")[0]
    deliver(imap_inbox, mails[0], killer, *mails[1:])
    env = worker_env(imap_inbox, smtp_server.port, tmp_path / "j.sqlite", "prepare")
    first = run_worker(env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert forwarded_originals(smtp_server) == Counter({message_id(m): 1 for m in mails})
    assert "$inboxbottriage" in mailbox_flags(imap_inbox)["killer-0@test.invalid"]
    assert pending(imap_inbox) == []


@pytest.mark.parametrize("sample_id", ["009", "001"])  # a pool request; a client's fixed owner
def test_a_copy_delivered_while_the_first_waits_is_forwarded_once(
        sample_id: str, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """The owner's mailbox is full (452): the first copy waits. A second delivery of the
    same Message-ID arrives meanwhile (other bytes: another Received line). It waits with
    the first, and once the first goes out it is a duplicate: one forward, one manager."""
    first = sample(sample_id)
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal)
        owners = {m.email for m in bot.rules.managers.values()}
        smtp_server.defer_rcpt.update(owners)  # every manager's mailbox full for now
        deliver(imap_inbox, first)
        bot.guarded_poll()
        assert pending(imap_inbox) == [1] and bot.failures == 1
        deliver(imap_inbox, b"Received: from relay2.example.org; Mon, 16 Jun 2025 10:31:00 +0300\r\n" + first)
        bot.guarded_poll()  # the copy is held; the first is still refused
        assert pending(imap_inbox) == [1, 2] and bot.last_report.held == 1
        smtp_server.defer_rcpt.clear()
        bot.guarded_poll()
        assert bot.failures == 0 and pending(imap_inbox) == []
        assert bot.last_report.forwarded == 1 and bot.last_report.skipped == 1
    assert len(smtp_server.forwards) == 1
    assert forwarded_originals(smtp_server) == Counter({message_id(first): 1})


def test_a_copy_whose_first_vanished_carries_out_the_first_decision(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """The first copy was decided (pool: the round robin moved on), then deleted from the
    mailbox before its forward went: the second copy goes to the manager decided then."""
    raw = sample("009")
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal)
        smtp_server.defer_rcpt.update(m.email for m in bot.rules.managers.values())
        deliver(imap_inbox, raw)
        bot.guarded_poll()
        decided = journal.queries.recent()[0]["owner"]
        deliver(imap_inbox, requests(1, "other")[0])  # another pool request moves the round robin on
        client = IMAPClient(imap_inbox.host, imap_inbox.port, ssl=False)
        client.login(imap_inbox.user, imap_inbox.password)
        client.select_folder("INBOX")
        client.delete_messages([1])
        client.expunge()
        client.logout()
        smtp_server.defer_rcpt.clear()
        deliver(imap_inbox, b"X-Second-Delivery: yes\r\n" + raw)
        bot.guarded_poll()
    sent = [m for m in smtp_server.forwards if message_id(raw) in forwards_by_original([m.raw])]
    emails = {m.id: m.email for m in bot.rules.managers.values()}
    assert len(sent) == 1 and sent[0].rcpt_tos == (emails[decided],)


def test_a_kill_while_an_absence_notice_is_sent_never_resends_the_forward(
        imap_inbox: ServerSettings, killing_smtp: tuple[_KillingSink, int], tmp_path: Path) -> None:  # noqa: F811 (the fixture)
    """Mail 005's manager is away: the forward goes to the backup and a notice to the
    absent one. The worker dies inside the notice's SMTP transaction (the server keeps
    it). The forward had been journalled before the notice: only the notice is sent
    again (same Message-ID), never the forward."""
    sink, port = killing_smtp
    raw = sample("005")
    deliver(imap_inbox, raw)
    env = worker_env(imap_inbox, port, tmp_path / "j.sqlite")
    proc = start_worker(env, tmp_path / "first.log")
    with sink.progress:
        sink.plan = (2, proc.pid, True)  # DATA 1: the forward; DATA 2: the absence notice
    assert proc.wait(timeout=600) == -9
    again = run_worker(env)
    assert again.returncode == 0, again.stderr[-3000:]
    copies = forwards_by_original([m.raw for m in sink.messages])
    assert len(copies[message_id(raw)]) == 1  # was 2: the forward went out again
    notices = [m for m in sink.messages if re.search(rb"^X-Inboxbot: notice", m.raw, re.MULTILINE)]
    assert notices and len({message_id(m.raw) for m in notices}) == 1
    assert pending(imap_inbox) == []


def test_a_backlog_sends_its_first_forward_after_a_small_first_batch(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """Killed right after its first forward, the worker had decided no more than the first
    batch: it does not prepare a whole batch of 100 before anything goes out."""
    deliver(imap_inbox, *requests(60))
    env = worker_env(imap_inbox, smtp_server.port, tmp_path / "j.sqlite", "after_smtp:1")
    assert run_worker(env).returncode == -9
    with open_store(tmp_path / "j.sqlite") as journal:
        decided = len(journal.queries.recent(200))
    assert len(smtp_server.forwards) == 1 and 1 <= decided <= FIRST_BATCH


def test_backoff_starts_over_after_a_poll_that_made_progress(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """A long outage grew the backoff; the next poll handled mail (an auto-reply set
    aside) before it failed again: the wait starts from the shortest step, not from where
    the outage left it (160 s after a 60 s outage)."""
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal)
        deliver(imap_inbox, sample("001"))
        smtp_server.fail_next.extend([451] * 6)
        for _ in range(5):
            bot.guarded_poll()
        assert bot.failures == 5 and bot.backoff_seconds() == 80
        deliver(imap_inbox, sample("015"))  # an auto-reply: marked, nothing sent
        bot.guarded_poll()  # 001 refused again after 015 was handled
        assert bot.last_report.skipped == 1
    assert bot.failures == 1 and bot.backoff_seconds() == 5
    assert pending(imap_inbox) == [1] and smtp_server.forwards == []


def test_the_running_worker_answers_every_malformed_mail(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                        tmp_path: Path) -> None:
    """The MIME corpus (272 real malformed mails from other projects' test suites) and the
    poison mail, delivered to the mailbox and read by the real `inboxbot run --once`: it
    exits cleanly, leaves nothing pending and writes no traceback."""
    raws = [path.read_bytes() for path in mime_corpus_files()] + [nested(1000)]
    client = IMAPClient(imap_inbox.host, imap_inbox.port, ssl=False)
    client.login(imap_inbox.user, imap_inbox.password)
    refused = 0
    for raw in raws:
        try:
            client.append("INBOX", raw)
        except IMAPClient.Error:  # the server's own limits (e.g. a NUL byte): never reaches the bot
            refused += 1
    client.logout()
    delivered = len(raws) - refused
    assert delivered >= 250, refused
    done = run_worker(worker_env(imap_inbox, smtp_server.port, tmp_path / "j.sqlite"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert f"Обработано писем: {delivered};" in done.stdout
    assert pending(imap_inbox) == []


def test_children_that_cannot_start_are_an_outage_not_a_triage_of_every_mail(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every extraction child dies as it starts (models that cannot load, no memory): the
    backlog waits, nothing goes to triage, and once the children can start again
    everything is forwarded."""
    mails = requests(60)
    deliver(imap_inbox, *mails)
    monkeypatch.setenv("INBOXBOT_FAILPOINT", "child_start")
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal, processes=2)
        try:
            bot.guarded_poll()
            assert bot.failures == 1 and bot.last_report.triaged == 0
            assert len(pending(imap_inbox)) == len(mails)
            monkeypatch.delenv("INBOXBOT_FAILPOINT")
            bot.guarded_poll()
        finally:
            bot.close()
    assert bot.failures == 0 and pending(imap_inbox) == []
    assert forwarded_originals(smtp_server) == Counter({message_id(m): 1 for m in mails})
    assert "$InboxbotTriage" not in str(flags_of(imap_inbox))


def test_an_absence_notice_refused_for_now_does_not_stop_the_mailbox(
        imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path) -> None:
    """Mail 005 goes to the backup, with a notice to the absent manager, whose mailbox is
    full (452). The notice is given up, not retried in front of every poll: before, the
    poll failed on it each time and nothing behind it was ever forwarded."""
    with open_store(tmp_path / "j.sqlite") as journal:
        bot = make_worker(imap_inbox, smtp_server, journal)
        decision = bot.pipeline.run(sample("005"), journal).decision
        assert decision.notify, decision
        smtp_server.defer_rcpt.update(bot.rules.managers[m].email for m in decision.notify)
        deliver(imap_inbox, sample("005"), sample("001"))
        bot.guarded_poll()
        bot.close()
    assert bot.failures == 0 and bot.last_report.forwarded == 2
    assert pending(imap_inbox) == []
    assert len(smtp_server.forwards) == 2
