"""The web page's «Переслать» end to end: the head presses it, the worker (real Dovecot,
real aiosmtpd) carries the release out after its next poll exactly as it does the reply
«переслать N» to the digest — the same forward to the client's manager, the same answer
to the head, once; a mail the digest listed is released under its number there, so a
later reply to that digest does not send it again."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import test_skipped_digest as digest_tests
from samples import RULES, deliver
from servers import SmtpCatcher
from starlette.testclient import TestClient
from test_skipped_digest import HEAD, MONDAY_0800, Clock, digests, mailing_from_a_client, mails, reply_to, run, text_of
from web_site import csrf_of

from inboxbot.config import ServerSettings
from inboxbot.run.jobs import Jobs
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.store.interfaces import RequestFilter, Store
from inboxbot.web.app import build
from inboxbot.web.passwords import PasswordFile
from inboxbot.web.settings import WebSettings

# The digest tests' fixtures: the worker on a fresh account, its journal, its clock.
jobs, journal, clock = digest_tests.jobs, digest_tests.journal, digest_tests.clock


def head_on_the_pages(tmp_path: Path, store: Store, at: Clock) -> TestClient:
    passwords = PasswordFile(tmp_path / "web-passwords")
    passwords.set(HEAD, "head-password-1")
    app = build(store, RulesHolder(RULES), WebSettings(login=("local",), passwords=passwords.path, secret="k" * 40),
                None, at)  # fmt: skip
    web = TestClient(app, follow_redirects=False)
    token = csrf_of(web.get("/login").text)
    assert web.post("/login", data={"csrf": token, "address": HEAD, "password": "head-password-1"}).status_code == 303
    return web


def press_release(web: TestClient, store: Store) -> int:
    (row,) = store.browse.search(RequestFilter(text="гофрокороб", state="skipped"))
    page = web.get("/skipped")
    assert web.post(f"/skipped/{row.id}/release", data={"csrf": csrf_of(page.text)}).status_code == 303
    return row.id


def released_forwards(smtp: SmtpCatcher, before: int) -> list[tuple[tuple[str, ...], str]]:
    return [(to, str(m["Subject"])) for to, m in mails(smtp)[before:] if "forwarded" in str(m.get("X-Inboxbot", ""))]


def test_the_button_releases_a_mail_no_digest_listed_yet(
    tmp_path: Path, jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    run(jobs, clock, MONDAY_0800)
    deliver(imap_inbox, mailing_from_a_client())
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=10)).skipped == 1
    web = head_on_the_pages(tmp_path, journal, clock)
    row_id = press_release(web, journal)
    before = len(smtp_server.messages)
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=20)).released == 1
    assert released_forwards(smtp_server, before) == [(("a.sidorov@severkarton.test",), "[Заявка] Заявка на гофрокороб, 3 квартал")]
    (answer,) = [m for to, m in mails(smtp_server)[before:] if str(m.get("X-Inboxbot", "")) == "release-answer"]
    assert answer["To"].addresses[0].addr_spec == HEAD and "переслано: Сидоров" in text_of(answer)
    assert "переслано" in web.get("/skipped").text and "Переслать</button>" not in web.get("/skipped").text
    # once: the next run sends nothing, the digest does not list it as waiting, a second press does nothing
    press_release(web, journal)
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=30)).released == 0
    assert len(released_forwards(smtp_server, before)) == 1
    assert journal.audit.entries(subject=f"request:{row_id}")[0].action == "release"


def test_a_mail_the_digest_listed_is_released_under_its_number(
    tmp_path: Path, jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    run(jobs, clock, MONDAY_0800)
    deliver(imap_inbox, mailing_from_a_client())
    run(jobs, clock, MONDAY_0800 + timedelta(minutes=30))
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=1, minutes=5)).digests == 1
    (digest,) = digests(smtp_server)
    web = head_on_the_pages(tmp_path, journal, clock)
    press_release(web, journal)
    (command,) = journal.releases.open_commands()
    assert command.digest_id == str(digest["Message-ID"]).strip("<>") and command.numbers == (1,)
    before = len(smtp_server.messages)
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=1, minutes=15)).released == 1
    deliver(imap_inbox, reply_to(digest, "переслать 1"))  # the head also answers the digest by mail
    run(jobs, clock, MONDAY_0800 + timedelta(hours=2))
    assert len(released_forwards(smtp_server, before)) == 1  # released once


def test_a_mail_released_on_the_page_is_not_offered_again_by_the_digest(
    tmp_path: Path, jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    run(jobs, clock, MONDAY_0800)
    deliver(imap_inbox, mailing_from_a_client())
    run(jobs, clock, MONDAY_0800 + timedelta(minutes=10))
    press_release(head_on_the_pages(tmp_path, journal, clock), journal)
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=20)).released == 1
    # the 09:00 digest: the only skipped mail was released already, so there is nothing to list
    assert run(jobs, clock, MONDAY_0800 + timedelta(hours=1, minutes=5)).digests == 0
    assert digests(smtp_server) == []
