"""Hostile mail fed to the running worker, on a real Dovecot (and pymap, the demo's server)
and a real aiosmtpd: header injection through a «передать» command, a command quoting a
huge text, the bot's own notices coming back into the mailbox, a command sent twice."""

from __future__ import annotations

import base64
import email
import email.utils
import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from samples import RULES, deliver, demo_department, pending
from servers import Pymap, SmtpCatcher
from test_ledger_command import EMAILS, HEAD, PASS, WHO, command, kinds, mail_id, text_of
from test_ledger_worker import request

from inboxbot.config import ServerSettings, Settings
from inboxbot.model.ledger import ClientKey
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store

ANNA = "Анна Белова <anna@polimer-trade.ru>"
EVIL = "evil@attacker.test"
SMUGGLED = f"\r\nBcc: {EVIL}\r\nX-Injected: 1"


def encoded(text: str) -> str:
    """`text` as one RFC 2047 encoded word (email.header.Header would fold the CR LF away):
    decoded, its CR LF stand inside a header value."""
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


@pytest.fixture(params=["dovecot", "pymap"])
def imap(request: pytest.FixtureRequest) -> Iterator[ServerSettings]:
    if request.param == "dovecot":
        yield request.getfixturevalue("imap_inbox")
    else:
        with Pymap.running() as server:
            yield server.settings()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "journal.sqlite") as j:
        yield j


def worker_for(imap: ServerSettings, smtp: SmtpCatcher, journal: Store) -> Worker:
    settings = Settings(imap=imap, smtp=smtp.settings(), journal=journal.path,
                        bot_address="sales-bot@severkarton.test")  # fmt: skip
    return Worker(settings, RULES, journal)


def first_forward(imap: ServerSettings, smtp: SmtpCatcher, worker: Worker) -> tuple[str, str]:
    """Anna's first request forwarded: (its forward's Message-ID, its owner's id)."""
    deliver(imap, request(1, ANNA, "Полимер-Трейд"))
    assert worker.poll_once().forwarded == 1
    (first,) = smtp.forwards
    return mail_id(first), WHO[first.rcpt_tos[0]]


def other_than(owner: str) -> tuple[str, str]:
    return ("petrov", "Петрову") if owner != "petrov" else ("sidorov", "Сидорову")


def no_injection(smtp: SmtpCatcher) -> None:
    """Nothing went to the attacker, and no mail the bot sent carries a header it smuggled."""
    for sent in smtp.messages:
        assert EVIL not in sent.rcpt_tos
        head = email.message_from_bytes(sent.raw, policy=policy.default)
        assert head.get("Bcc") is None and head.get("X-Injected") is None
        assert b"\nBcc:" not in sent.raw and b"X-Injected:" not in sent.raw


def test_a_command_smuggling_headers_in_the_name_subject_and_text_injects_nothing(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    worker = worker_for(imap, smtp_server, journal)
    parent, owner = first_forward(imap, smtp_server, worker)
    target, word = other_than(owner)
    raw = command(1, HEAD, parent, f"Передать {word}\r\nBcc: {EVIL}\r\nX-Injected: yes")
    message = email.message_from_bytes(raw, policy=policy.compat32)
    # The display name and the subject decode to text with CR LF and a header after them.
    del message["From"], message["Subject"]
    message["From"] = f"{encoded('Волков' + SMUGGLED)} <{HEAD}>"
    message["Subject"] = encoded("Re: заявка" + SMUGGLED)
    deliver(imap, message.as_bytes())
    # The same from a manager who may not (the refusal quotes the name and subject back).
    message.replace_header("Message-ID", "<cmd2@severkarton.test>")
    orlov = EMAILS["orlov"] if owner != "orlov" else EMAILS["smirnova"]
    message.replace_header("From", f"{encoded('Орлов' + SMUGGLED)} <{orlov}>")
    message.replace_header("Authentication-Results", PASS.format(sender=orlov))
    deliver(imap, message.as_bytes())
    worker.poll_once()
    assert pending(imap) == []
    no_injection(smtp_server)
    entry = journal.ledger.find([ClientKey("domain", "polimer-trade.ru")])
    assert entry is not None and entry.owner == target  # the head's command itself still worked
    refused = [k for k in kinds(smtp_server.messages) if k[0] == "ledger-refusal"]
    assert refused, kinds(smtp_server.messages)


def test_a_command_quoting_a_huge_text_is_carried_out_and_its_notice_stays_small(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    worker = worker_for(imap, smtp_server, journal)
    parent, owner = first_forward(imap, smtp_server, worker)
    target, word = other_than(owner)
    quoted = "\n".join(f"> строка {i} переписки с клиентом, передать Орлову не надо" for i in range(60_000))
    raw = command(1, HEAD, parent, f"Передать {word}\n\n{quoted}")
    assert len(raw) > 3_000_000
    deliver(imap, raw)
    assert worker.poll_once().announced == 1
    assert pending(imap) == []
    (change,) = journal.changes.history()
    assert change.owner == target
    notice = smtp_server.messages[-1]
    assert len(notice.raw) < 100_000


def test_the_bots_own_notices_coming_back_are_neither_routed_nor_answered(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    worker = worker_for(imap, smtp_server, journal)
    parent, owner = first_forward(imap, smtp_server, worker)
    _, word = other_than(owner)
    deliver(imap, command(1, HEAD, parent, f"Передать {word}"))
    orlov = EMAILS["orlov"] if owner != "orlov" else EMAILS["smirnova"]
    deliver(imap, command(2, orlov, parent, f"Передать {word}"))  # refused: a refusal goes out
    worker.poll_once()
    sent = list(smtp_server.messages)
    assert {k for k, _ in kinds(sent)} >= {"forwarded", "ledger-change", "ledger-refusal"}
    # Every mail the bot sent comes back into the shared mailbox (a Cc, a list, a loop).
    deliver(imap, *(m.raw for m in sent))
    report = worker.poll_once()
    assert pending(imap) == []
    assert report.forwarded == 0 and report.announced == 0
    assert smtp_server.messages == sent, kinds(smtp_server.messages[len(sent) :])
    assert len(journal.changes.history()) == 1


def test_a_command_sent_twice_moves_the_client_once(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    worker = worker_for(imap, smtp_server, journal)
    parent, owner = first_forward(imap, smtp_server, worker)
    target, word = other_than(owner)
    deliver(imap, command(1, HEAD, parent, f"Передать {word}"), command(2, HEAD, parent, f"Передать {word}"))
    worker.poll_once()
    assert pending(imap) == []
    (change,) = journal.changes.history()
    assert change.owner == target
    notices = [k for k, _ in kinds(smtp_server.messages) if k == "ledger-change"]
    assert len(notices) == 1


def test_a_command_with_a_forged_from_of_the_bot_itself_is_not_answered(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    worker = worker_for(imap, smtp_server, journal)
    parent, _ = first_forward(imap, smtp_server, worker)
    before = len(smtp_server.messages)
    for n, sender in enumerate(("sales-bot@severkarton.test", "sales@severkarton.test"), start=1):
        deliver(imap, command(n, sender, parent, "Передать Орлову", auth=None))
    worker.poll_once()
    assert pending(imap) == []
    assert journal.changes.history() == []
    answered = [m for m in smtp_server.messages[before:]
                if {"sales-bot@severkarton.test", "sales@severkarton.test"} & set(m.rcpt_tos)]  # fmt: skip
    assert answered == [], kinds(answered)


def test_a_clients_repeat_saying_передать_is_a_repeat_never_a_command(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    """A client's mail passes its own domain's DMARC and asks to «передать» — a repeat of
    their request, forwarded as a request; no ledger change, no refusal to the client."""
    worker = worker_for(imap, smtp_server, journal)
    _, word = other_than(first_forward(imap, smtp_server, worker)[1])
    raw = request(1, ANNA, "Полимер-Трейд").replace(b"Message-ID: <req1.", b"Message-ID: <req1again.")
    message = email.message_from_bytes(raw, policy=policy.default)
    message["Authentication-Results"] = (
        "mx.severkarton.test; spf=pass smtp.mailfrom=anna@polimer-trade.ru; "
        "dkim=pass header.d=polimer-trade.ru; dmarc=pass header.from=polimer-trade.ru"
    )
    body = message.get_body(("plain",))
    assert body is not None
    body.set_content(f"Передать {word}\n\n" + str(body.get_content()))
    deliver(imap, message.as_bytes())
    report = worker.poll_once()
    assert pending(imap) == []
    assert report.forwarded == 1 and journal.changes.history() == []
    # Routed as a request (the client's «Передать Петрову» may name who they want: the
    # addressed rule), never carried out as a ledger command.
    assert journal.queries.recent()[0]["rule"] in ("repeat", "addressed")
    assert [k for k, _ in kinds(smtp_server.messages) if k.startswith("ledger")] == []


def test_a_forged_command_smuggling_a_pass_in_its_envelope_sender_is_refused(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    """Our server's own header, but its dmarc failed; the «pass» is the attacker's envelope
    sender, a quoted local part («"x;dmarc=pass"@evil.example»)."""
    worker = worker_for(imap, smtp_server, journal)
    parent, owner = first_forward(imap, smtp_server, worker)
    _, word = other_than(owner)
    smuggled = (
        "mx.severkarton.test; dkim=none; dmarc=fail header.from=severkarton.test; "
        'spf=pass smtp.mailfrom="x;dmarc=pass"@evil.example'
    )
    deliver(imap, command(1, HEAD, parent, f"Передать {word}", auth=smuggled))
    worker.poll_once()
    assert pending(imap) == []
    assert journal.changes.history() == []
    entry = journal.ledger.find([ClientKey("domain", "polimer-trade.ru")])
    assert entry is not None and entry.owner == owner
    assert [k for k, _ in kinds(smtp_server.messages)].count("ledger-refusal") >= 1


# -- a department's own tables, hostile in their own way -----------------------------------

WEDNESDAY = datetime(2027, 2, 3, 7, 0, tzinfo=UTC)  # 10:00 in Moscow, a working day
MANAGERS = ["petrov", "ivanova", "orlov", "sidorov", "kuznetsova", "smirnova"]


def duty_table(first: date, days: int) -> str:
    """A [[duty]] per day, whole working hours, the managers in turn: 4 lines each."""
    return "".join(
        f'\n[[duty]]\ndate = {first + timedelta(days=i)}\nhours = "09:00-18:00"\nmanager = "{MANAGERS[i % 6]}"\n'
        for i in range(days)
    )


def dated(raw: bytes, at: datetime) -> bytes:
    message = email.message_from_bytes(raw, policy=policy.default)
    message.replace_header("Date", email.utils.format_datetime(at))
    return message.as_bytes()


def whitebear(n: int) -> bytes:
    """A request from Petrov's client in the demo base (its domain decides)."""
    return dated(request(n, "Дарья <d.soloveva@whitebear-cosmetics.ru>", "Белый медведь косметикс"), WEDNESDAY)


def test_a_thousand_day_roster_and_a_cp1251_presence_table_route_and_junk_keeps_the_last_good(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, tmp_path: Path
) -> None:
    imap = imap_inbox
    base = RULES.read_text(encoding="utf-8")
    rules = demo_department(
        tmp_path / "dep", base + duty_table(date(2027, 1, 1), 1000) + '\n[presence]\nfile = "presence.csv"\n'
    )
    presence = rules.parent / "presence.csv"
    presence.write_bytes(
        "дата;менеджер;заместитель;с;до;причина\r\n# утренний список\r\n;;;;;\r\n03.02.2027;Петров;Иванова;;;заболел\r\n"
        "02.02.2027;Сидоров;;;;вчера\r\n".encode("cp1251")
    )  # fmt: skip
    with open_store(tmp_path / "journal.sqlite") as journal:
        settings = Settings(imap=imap, smtp=smtp_server.settings(), journal=journal.path,
                            bot_address="sales-bot@severkarton.test")  # fmt: skip
        worker = Worker(settings, rules, journal, clock=lambda: WEDNESDAY)
        deliver(imap, whitebear(1), dated(request(2, "Олег <oleg@neizvestno.ru>", "Неизвестно"), WEDNESDAY))
        assert worker.poll_once().forwarded == 2
        by_rule = {r["rule"]: r["owner"] for r in journal.queries.recent()}
        assert by_rule == {
            "absence_backup": "ivanova",
            "duty": MANAGERS[(WEDNESDAY.date() - date(2027, 1, 1)).days % 6],
        }

        # The secretary saves junk: the last good table keeps routing, the head hears once.
        presence.write_bytes(b"\x00\xff;\xd0\xd0\r\n" + "03.02.2027;Никтоев;;;;\r\n".encode("cp1251") + b"\x01" * 3000)
        os.utime(presence, ns=(time.time_ns(), time.time_ns() + 10**9))
        deliver(imap, whitebear(3))
        assert worker.poll_once().forwarded == 1
        assert journal.queries.recent()[0]["owner"] == "ivanova"
        told = [m for m in smtp_server.messages if HEAD in m.rcpt_tos and "presence.csv" in text_of(m)]
        assert len(told) == 1, kinds(smtp_server.messages)
        assert "найдены:" in text_of(told[0]) and "\x00" not in text_of(told[0])
        worker.poll_once()
        assert [m for m in smtp_server.messages if HEAD in m.rcpt_tos and "presence.csv" in text_of(m)] == told


def test_a_naive_autoresponder_answering_the_acknowledgement_gets_no_second_one(
    imap: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    """The client's mail system answers every mail with a plain «Re:» and no Auto-Submitted:
    the bot's acknowledgement must not start a ping-pong."""
    worker = worker_for(imap, smtp_server, journal)
    first_forward(imap, smtp_server, worker)
    for n in range(1, 4):  # three rounds: each would have been a new acknowledgement
        ack = [m for m in smtp_server.messages if kinds([m])[0][0] == "ack"][-1]
        reply = (
            f"From: {ANNA}\r\nTo: sales@severkarton.test\r\nSubject: Re: Ваша заявка получена\r\n"
            f"Message-ID: <auto{n}@polimer-trade.ru>\r\nIn-Reply-To: <{mail_id(ack)}>\r\n"
            "Date: Mon, 09 Jun 2025 12:00:00 +0300\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Спасибо за письмо! Мы ответим в ближайшее время.\r\n"
        ).encode()
        deliver(imap, reply)
        worker.poll_once()
        assert pending(imap) == []
    assert [k for k, _ in kinds(smtp_server.messages)].count("ack") == 1, kinds(smtp_server.messages)


@pytest.mark.parametrize("machine", ["Auto-Submitted: auto-replied", "Subject: Автоматический ответ: пересылка заявки"])
def test_a_managers_out_of_office_reply_saying_передать_moves_no_client(
    imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store, machine: str
) -> None:
    """The owner's out-of-office answers the forward: «по срочным вопросам прошу передать
    Ивановой» is the autoresponder's text, not the owner's decision (nor a reason to mail
    a refusal its autoresponder would answer again)."""
    worker = worker_for(imap_inbox, smtp_server, journal)
    parent, owner = first_forward(imap_inbox, smtp_server, worker)
    _, word = other_than(owner)
    message = email.message_from_bytes(
        command(1, EMAILS[owner], parent, f"Я в отпуске до 20.07. По срочным вопросам прошу передать {word}."),
        policy=policy.compat32,
    )
    name, _, value = machine.partition(": ")
    if name in message:
        message.replace_header(name, value)
    else:
        message[name] = value
    deliver(imap_inbox, message.as_bytes())
    worker.poll_once()
    assert pending(imap_inbox) == []
    assert journal.changes.history() == []
    assert [k for k, _ in kinds(smtp_server.messages) if k.startswith("ledger")] == []
