"""The worker end to end against a real Dovecot and a real aiosmtpd on loopback."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from imapclient import IMAPClient
from samples import RULES, deliver, demo_department, pending, sample
from servers import SmtpCatcher

from inboxbot.compose.mime import attached_original, normalize_newlines
from inboxbot.config import ServerSettings, Settings
from inboxbot.model.records import MARKED
from inboxbot.run.batch import FIRST_BATCH
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store


def flags_of(imap: ServerSettings) -> dict[int, tuple[str, ...]]:
    """Flags of every message in INBOX, read by a plain IMAP client as a human's would."""
    client = IMAPClient(imap.host, imap.port, ssl=False)
    try:
        client.login(imap.user, imap.password)
        client.select_folder("INBOX", readonly=True)
        found = client.fetch(client.search("ALL"), ["FLAGS"])
        return {uid: tuple(f.decode() if isinstance(f, bytes) else f for f in data[b"FLAGS"]) for uid, data in found.items()}
    finally:
        client.logout()


@pytest.fixture
def journal(tmp_path: Path) -> Store:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def make_worker(imap: ServerSettings, smtp: SmtpCatcher, journal: Store) -> Worker:
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=journal.path, bot_address="sales-bot@severkarton.test")
    return Worker(settings, RULES, journal)


def test_request_is_forwarded_once_and_marked(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    raw = sample("001")  # a known client by INN → sidorov
    deliver(imap_inbox, raw, sample("015"), sample("025"))  # + an auto-reply and a bounce
    worker = make_worker(imap_inbox, smtp_server, journal)

    report = worker.poll_once()
    assert report.seen == 3 and report.forwarded == 1 and report.skipped == 2
    assert len(smtp_server.forwards) == 1
    sent = smtp_server.forwards[0]
    assert sent.rcpt_tos == ("a.sidorov@severkarton.test",)
    forward = email.message_from_bytes(sent.raw, policy=policy.default)
    assert forward["Reply-To"].addresses[0].addr_spec == "gromova.liza@gmail.com"
    assert "CAvRYDRPTLuAlOYAeH4QowFj7GwwAKVQHmPPuZAbQjdYrC@mail.gmail.com" in forward["References"]
    assert attached_original(sent.raw) == normalize_newlines(raw)  # the original, byte for byte

    assert pending(imap_inbox) == []
    assert report.handled and all(journal.messages.entry(h.key).state == MARKED  # type: ignore[union-attr]
                                  for h in report.handled)
    again = worker.poll_once()
    assert again.seen == 0 and len(smtp_server.forwards) == 1


def test_flags_name_the_owner_and_keep_seen_state(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    deliver(imap_inbox, sample("006"))  # INN 54… → Siberia → sidorov
    make_worker(imap_inbox, smtp_server, journal).poll_once()
    (flags,) = flags_of(imap_inbox).values()
    assert "$InboxbotDone" in flags and "$InboxbotTo-sidorov" in flags
    assert "\\Seen" not in flags  # BODY.PEEK: a human still sees it as new


def test_own_forward_coming_back_is_left_alone(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    deliver(imap_inbox, sample("009"))
    worker = make_worker(imap_inbox, smtp_server, journal)
    worker.poll_once()
    assert len(smtp_server.forwards) == 1
    deliver(imap_inbox, smtp_server.forwards[0].raw)  # a manager forwards it back to sales@ by mistake
    report = worker.poll_once()
    assert report.seen == 1 and report.skipped == 1
    assert len(smtp_server.forwards) == 1


def test_smtp_outage_keeps_mail_waiting_then_sends_it_once(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    from inboxbot.errors import ActionError

    deliver(imap_inbox, sample("001"))
    worker = make_worker(imap_inbox, smtp_server, journal)
    smtp_server.fail_next.append(451)
    with pytest.raises(ActionError):
        worker.poll_once()
    assert len(pending(imap_inbox)) == 1 and smtp_server.forwards == []
    report = worker.poll_once()
    assert report.forwarded == 1 and report.finished == 1  # resumed from the journalled decision
    assert len(smtp_server.forwards) == 1 and pending(imap_inbox) == []


def test_rejected_manager_address_goes_to_triage_and_the_rest_flows(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    smtp_server.reject_rcpt.add("a.sidorov@severkarton.test")
    deliver(imap_inbox, sample("001"), sample("019"))  # sidorov (rejected), petrov
    report = make_worker(imap_inbox, smtp_server, journal).poll_once()
    assert report.triaged == 1 and report.forwarded == 1
    assert [m.rcpt_tos for m in smtp_server.forwards] == [("d.petrov@severkarton.test",)]
    flags = list(flags_of(imap_inbox).values())
    assert any("$InboxbotTriage" in f for f in flags)
    assert pending(imap_inbox) == []


def test_same_message_delivered_twice_is_forwarded_once(imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store) -> None:
    raw = sample("019")
    deliver(imap_inbox, raw)
    worker = make_worker(imap_inbox, smtp_server, journal)
    worker.poll_once()
    deliver(imap_inbox, b"X-Second-Delivery: yes\r\n" + raw)
    report = worker.poll_once()
    assert report.seen == 1 and report.skipped == 1
    assert len(smtp_server.forwards) == 1


def test_broken_rules_edit_keeps_old_rules_and_tells_the_head(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path
) -> None:
    rules = demo_department(tmp_path)
    text = rules.read_text(encoding="utf-8")
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")
    worker = Worker(settings, rules, journal)
    rules.write_text(text.replace('head = "volkov"', 'head = "volkof"'), encoding="utf-8")
    deliver(imap_inbox, sample("006"))

    report = worker.poll_once()
    assert report.forwarded == 1  # routed by the last good rules
    to_head = [m for m in smtp_server.messages if m.rcpt_tos == ("a.volkov@severkarton.test",)]
    assert len(to_head) == 1
    notice = email.message_from_bytes(to_head[0].raw, policy=policy.default)
    body = notice.get_body(("plain",)).get_content()
    assert "volkof" in body and "строка" in body and "по прежним правилам" in body

    worker.poll_once()  # the same error is not reported twice
    assert len([m for m in smtp_server.messages if m.rcpt_tos == ("a.volkov@severkarton.test",)]) == 1
    rules.write_text(text.replace('foreign = "smirnova"', 'foreign = "orlov"'), encoding="utf-8")
    worker.poll_once()
    assert worker.rules.territory.foreign == "orlov" and worker.holder.last_error is None


def test_a_list_where_a_condition_belongs_reaches_the_head_as_a_rules_error(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, tmp_path: Path
) -> None:
    """`when = ["pool"]` once made the loader raise TypeError inside the running worker:
    a traceback in the log every poll and no mail to the head."""
    rules = demo_department(tmp_path)
    text = rules.read_text(encoding="utf-8")
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")
    worker = Worker(settings, rules, journal)
    assert text.count('\nwhen = "pool"\n') == 1
    rules.write_text(text.replace('\nwhen = "pool"\n', '\nwhen = ["pool"]\n'), encoding="utf-8")

    worker.poll_once()
    to_head = [m for m in smtp_server.messages if m.rcpt_tos == ("a.volkov@severkarton.test",)]
    assert len(to_head) == 1
    body = email.message_from_bytes(to_head[0].raw, policy=policy.default).get_body(("plain",)).get_content()
    line = text.splitlines().index('when = "pool"') + 1
    assert f"строка {line}" in body and 'when = "pool"' in body and "указан список" in body
    assert any(s.when == "pool" for s in worker.rules.rules)  # the last good rules go on


def test_a_loader_bug_on_reload_keeps_the_rules_and_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever goes wrong while reloading, the worker keeps its rules and the head is told."""
    import inboxbot.run.rulesholder as worker_module
    from inboxbot.run.rulesholder import RulesHolder

    rules = demo_department(tmp_path)
    text = rules.read_text(encoding="utf-8")
    holder = RulesHolder(rules)
    before = holder.rules

    def broken_loader(path: Path) -> None:
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setattr(worker_module, "load_rules", broken_loader)
    rules.write_text(text + "\n# edited\n", encoding="utf-8")
    assert holder.refresh() is False
    assert holder.rules is before
    assert holder.unreported_error and "внутренней ошибки" in holder.unreported_error
    assert "unhashable" not in holder.unreported_error  # the head reads Russian, the log keeps the traceback


INVITE = (
    "From: Иван Петренко <ivan@zavod-example.ru>\r\nTo: sales@severkarton.test\r\nSubject: Коробки на июль\r\n"
    "Message-ID: <invite-1@zavod-example.ru>\r\nDate: Mon, 16 Jun 2025 10:30:00 +0300\r\nMIME-Version: 1.0\r\n"
    'Content-Type: multipart/alternative; boundary="a"\r\n\r\n'
    "--a\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Здравствуйте! Нужны коробки 40x30x20, 500 штук. Иван\r\n"
    "--a\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n--a--\r\n"
).encode()


def test_a_running_worker_logs_one_russian_line_per_poll_and_no_library_chatter(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    """`inboxbot run` as deployed: apscheduler wrote four English lines per poll and
    mail-parser «Email content '…' not handled» for ordinary mail; now a poll that
    handles mail writes one line, an idle poll none."""
    import os
    import signal
    import subprocess
    import sys
    import time

    deliver(imap_inbox, sample("001"), INVITE, sample("015"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXBOT_")}
    env.update({
        "INBOXBOT_IMAP_HOST": imap_inbox.host, "INBOXBOT_IMAP_PORT": str(imap_inbox.port), "INBOXBOT_IMAP_TLS": "none",
        "INBOXBOT_IMAP_USER": imap_inbox.user, "INBOXBOT_IMAP_PASSWORD": imap_inbox.password,
        "INBOXBOT_SMTP_HOST": smtp_server.host, "INBOXBOT_SMTP_PORT": str(smtp_server.port), "INBOXBOT_SMTP_TLS": "none",
        "INBOXBOT_BOT_ADDRESS": "sales-bot@severkarton.test", "INBOXBOT_POLL_SECONDS": "1",
        "INBOXBOT_JOURNAL": str(tmp_path / "journal.sqlite"),
    })  # fmt: skip
    rules = demo_department(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "inboxbot", "run", "--rules", str(rules)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        # Wait for the three mails to be handled, then for a few idle polls (1 s apart).
        while len(smtp_server.forwards) < 2 and proc.poll() is None:
            time.sleep(0.2)
        while pending(imap_inbox) and proc.poll() is None:
            time.sleep(0.2)
        time.sleep(3.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)  # a guard against a hang, not a measure of speed
    assert proc.returncode == 0, err
    lines = err.splitlines()
    assert lines, out
    for word in ("apscheduler", "Running job", "executed successfully", "Added job", "Scheduler", "not handled",
                 "mailparser", "INFO", "WARNING"):  # fmt: skip
        assert word not in err, (word, err)
    polls = [line for line in lines if "опрос:" in line]
    assert len(polls) == 1 and "писем 3: переслано 2" in polls[0] and "не заявки 1" in polls[0], err
    assert [line.split(": ", 1)[0][20:] for line in lines] == ["", "", ""], err  # INFO: no level word
    assert "inboxbot запущен" in lines[0] and "inboxbot остановлен" in lines[-1]


def test_the_extraction_processes_stop_once_the_backlog_is_drained(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    """A backlog is extracted in child processes, each holding the NLP models; a small one
    in one child; once a poll finds no backlog they are stopped, not left idle with their
    memory (~250 MB each)."""
    settings = Settings(imap=imap_inbox, smtp=smtp_server.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")
    bot = Worker(settings, RULES, journal, processes=2)
    try:
        deliver(imap_inbox, *(sample("001").replace(b"Message-ID: <", f"Message-ID: <b{n}.".encode(), 1)
                              for n in range(FIRST_BATCH + bot.pipeline.PARALLEL_MIN)))
        bot.poll_once()
        children = bot.pipeline._pool
        assert children is not None  # the backlog went to the children (and they stay for its rest)
        assert children._max_workers == 1  # one for a small backlog: the models twice, not three times
        deliver(imap_inbox, sample("006"))
        assert bot.poll_once().forwarded == 1
        assert bot.pipeline._pool is None
        assert pending(imap_inbox) == []
    finally:
        bot.close()
