"""«Передать» and «Отменить» on the pages (web/handover.py over run/handover.py), through
Starlette's TestClient over a real SQLite journal: who may hand what over, CSRF, refusals
in Russian that change nothing, the audit, the client's page and the story showing the
change; and, against a real Dovecot and aiosmtpd, the notices going out once, by the
worker's next poll."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import test_skipped_digest as digest_tests
from servers import SmtpCatcher
from starlette.testclient import TestClient
from test_skipped_digest import MONDAY_0800, Clock, mails, run, text_of
from test_web import logged_in
from test_web_release import head_on_the_pages
from web_site import HEAD, IVANOVA, PETROV, Site, csrf_of, make_site

from inboxbot.config import ServerSettings
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.run.jobs import Jobs
from inboxbot.store.interfaces import Store

# The digest tests' fixtures: the worker on a fresh account, its journal, its clock.
jobs, journal, clock = digest_tests.jobs, digest_tests.journal, digest_tests.clock

PETROVS = "/clients/inn/3525000006"
IVANOVAS = "/clients/inn/7801000005"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    yield made
    made.store.close()


def owner(site: Site, inn: str) -> str:
    entries = site.store.changes.entries(ClientKey("inn", inn))
    assert entries
    return entries[0].owner


def hand(web: TestClient, path: str, target: str, why: str = "", *, token: str | None = "") -> httpx.Response:
    """Post «Передать»; `token` "": the session's CSRF token, None: none at all."""
    form = {"target": target, "why": why, "threads": "on"}
    if token is not None:
        form["csrf"] = token or csrf_of(web.get("/requests").text)
    return web.post(f"{path}/handover", data=form)


def test_the_head_hands_a_client_over_and_sees_the_change(site: Site) -> None:
    web = logged_in(site, HEAD)
    assert f'href="{IVANOVAS}"' in web.get("/clients").text
    page = web.get(IVANOVAS)
    assert page.status_code == 200 and "Передать клиента" in page.text and "Секретная цена" in page.text
    done = hand(web, IVANOVAS, "petrov", "просьба  клиента")
    assert done.status_code == 303 and done.headers["location"] == f"{IVANOVAS}?change=1"
    assert owner(site, "7801000005") == "petrov"
    (change,) = site.store.changes.history()
    assert (change.by, change.how, change.previous, change.owner, change.why) == ("volkov", "head", "ivanova", "petrov",
                                                                                   "просьба клиента")  # fmt: skip
    assert change.requests == (site.rows["ivanova"],)  # its open request went along
    assert site.store.changes.unannounced() == [change]  # the web sends no mail: the worker will
    shown = web.get(f"{IVANOVAS}?change=1").text
    assert "Изменение №1: ИНН 7801000005 — Иванова Ирина Александровна → Петров Дмитрий Сергеевич." in shown
    assert "уйдут после ближайшей проверки ящика" in shown and "решение руководителя" in shown
    assert "ждёт проверки ящика" in shown and "Отменить" in shown
    (audit,) = [e for e in site.store.audit.entries() if e.action == "handover"]
    assert audit.who == "volkov" and audit.subject == "client:inn:7801000005" and "№1" in audit.detail
    story = web.get(f"/requests/{site.rows['ivanova']}").text
    for line in ("Клиент передан: Петров Дмитрий Сергеевич", "Было: Иванова Ирина Александровна",
                 "Как: решение руководителя", "Решил(а): Волков Андрей Николаевич", "Почему: просьба клиента"):  # fmt: skip
        assert line in story


def test_a_manager_hands_over_their_own_client_only(site: Site) -> None:
    web = logged_in(site, PETROV)
    token = csrf_of(web.get(PETROVS).text)
    # a guessed identity of another manager's client: the same 404 as for what does not exist
    assert web.get(IVANOVAS).status_code == 404
    assert hand(web, IVANOVAS, "petrov", token=token).status_code == 404
    assert web.post(f"/requests/{site.rows['ivanova']}/handover", data={"csrf": token, "target": "petrov"}).status_code == 404
    assert web.post(f"{PETROVS}/undo", data={"csrf": token, "change": "1"}).status_code == 404  # undo is the head's
    assert owner(site, "7801000005") == "ivanova" and site.store.changes.history() == []
    # their own: handed to a colleague, recorded as a hand-over; they no longer see it
    done = hand(web, PETROVS, "ivanova", "ухожу в отпуск", token=token)
    assert done.headers["location"] == "/clients?change=1"
    assert owner(site, "3525000006") == "ivanova"
    (change,) = site.store.changes.history()
    assert (change.by, change.how) == ("petrov", "owner")
    assert "Изменение №1: ИНН 3525000006" in web.get("/clients?change=1").text
    assert web.get(PETROVS).status_code == 404
    ivanova = logged_in(site, IVANOVA)
    assert "ухожу в отпуск" in ivanova.get(PETROVS).text


def test_a_manager_hands_over_from_the_story_page(site: Site) -> None:
    web = logged_in(site, PETROV)
    story = web.get(f"/requests/{site.rows['petrov']}").text
    assert "Передать клиента" in story and 'action="/requests/' in story
    done = web.post(f"/requests/{site.rows['petrov']}/handover",
                    data={"csrf": csrf_of(story), "target": "Иванова", "why": ""})  # fmt: skip
    assert done.status_code == 303 and owner(site, "3525000006") == "ivanova"
    head = logged_in(site, HEAD)
    text = head.get(f"/requests/{site.rows['petrov']}").text
    assert "Клиент передан: Иванова Ирина Александровна" in text and "Как: передал(а) менеджер, который вёл клиента" in text


def test_no_csrf_no_hand_over(site: Site) -> None:
    web = logged_in(site, HEAD)
    assert hand(web, IVANOVAS, "petrov", token=None).status_code == 403
    assert hand(web, IVANOVAS, "petrov", token="forged").status_code == 403
    assert web.post(f"{IVANOVAS}/undo", data={"change": "1"}).status_code == 403
    assert owner(site, "7801000005") == "ivanova" and site.store.changes.history() == []


@pytest.mark.parametrize(("target", "said"), [
    ("nobody", "Не сделано: нет такого менеджера «nobody». Менеджеры: "),
    ("ivanova", "Не сделано: клиента (ИНН 7801000005) уже ведёт Иванова Ирина Александровна. Ничего не изменено."),
    ("", "Не сделано: выберите менеджера, которому передать клиента. Ничего не изменено."),
])  # fmt: skip
def test_a_bad_target_is_refused_in_russian_and_changes_nothing(site: Site, target: str, said: str) -> None:
    web = logged_in(site, HEAD)
    answer = hand(web, IVANOVAS, target)
    assert answer.status_code == 400 and said in answer.text
    assert owner(site, "7801000005") == "ivanova" and site.store.changes.history() == []
    (audit,) = [e for e in site.store.audit.entries() if e.action == "handover"]
    assert audit.detail.startswith("отказ: ")


def test_the_head_undoes_a_change_once(site: Site) -> None:
    web = logged_in(site, HEAD)
    hand(web, IVANOVAS, "petrov")
    token = csrf_of(web.get(IVANOVAS).text)
    done = web.post(f"{IVANOVAS}/undo", data={"csrf": token, "change": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"{IVANOVAS}?change=2"
    assert owner(site, "7801000005") == "ivanova"
    page = web.get(f"{IVANOVAS}?change=2").text
    assert "отмена изменения №1" in page and page.count(">Отменить</button>") == 0  # neither can be undone now
    again = web.post(f"{IVANOVAS}/undo", data={"csrf": token, "change": "1"})
    assert again.status_code == 400 and "изменение №1 уже отменено (изменение №2)" in again.text
    stranger = web.post(f"{IVANOVAS}/undo", data={"csrf": token, "change": "99"})
    assert stranger.status_code == 400 and "такого изменения у этого клиента нет" in stranger.text
    assert len(site.store.changes.history()) == 2
    assert [e.action for e in site.store.audit.entries() if e.action in ("handover", "undo")].count("undo") == 3
    assert "Изменение №1 отменено: клиент снова у Иванова" in web.get(f"/requests/{site.rows['ivanova']}").text


def test_the_notices_go_once_with_the_workers_next_poll(
    tmp_path: Path, jobs: Jobs, clock: Clock, imap_inbox: ServerSettings, smtp_server: SmtpCatcher, journal: Store
) -> None:
    run(jobs, clock, MONDAY_0800)
    journal.ledger.claim([Assignment(ClientKey("inn", "7707083893"), "petrov", MONDAY_0800, rule="territory")])
    web = head_on_the_pages(tmp_path, journal, clock)
    path = "/clients/inn/7707083893"
    assert hand(web, path, "sidorov", "просьба клиента").status_code == 303
    assert [m for _, m in mails(smtp_server)] == []  # the web process sends nothing itself
    assert "ждёт проверки ящика" in web.get(path).text
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=10)).announced == 1
    ((to, notice),) = mails(smtp_server)
    assert set(to) == {"a.volkov@severkarton.test", "d.petrov@severkarton.test", "a.sidorov@severkarton.test"}
    assert str(notice["X-Inboxbot"]).startswith("ledger-change 1") and "просьба клиента" in text_of(notice)
    assert run(jobs, clock, MONDAY_0800 + timedelta(minutes=20)).announced == 0  # once
    assert len(mails(smtp_server)) == 1
    assert "отправлено 16.06.2025 08:10" in web.get(path).text
