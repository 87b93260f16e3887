"""«Споры» on the pages (web/conflicts_pages.py over run/conflicts.settle, the CLI's one
path), through Starlette's TestClient over a real SQLite journal: the head's one-click
verdicts, «Закрепить за …» moving the client in the ledger (queued for the worker's
notices), a verdict the ledger cannot carry out refused in Russian with nothing changed,
the audit; a manager gets 404, a form without the CSRF token 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient
from test_web import logged_in
from web_site import HEAD, PETROV, Site, csrf_of, make_site

from inboxbot.model.ledger import ClientKey

FISH = ClientKey("inn", "3525000006")  # Петров's in the ledger, not in the base
AGRO = ClientKey("inn", "2221555396")  # Сидоров's in the client base, not in the ledger


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)  # its disputes: web_site.DISPUTES
    yield made
    made.store.close()


def settle(web: TestClient, number: int, verdict: str, owner: str = "", why: str = "", *,
           token: str | None = "") -> httpx.Response:  # fmt: skip
    """Press a verdict's button; `token` "": the session's CSRF token, None: none at all."""
    form = {"verdict": verdict, "owner": owner, "why": why}
    if token is not None:
        form["csrf"] = token or csrf_of(web.get("/requests").text)
    return web.post(f"/conflicts/{number}/settle", data=form)


def test_the_head_pins_a_client_and_the_ledger_moves_it(site: Site) -> None:
    web = logged_in(site, HEAD)
    page = web.get("/conflicts")
    assert page.status_code == 200 and 'href="/conflicts"' in web.get("/requests").text
    for text in ("№ 1 · письмо не владельцу клиента", "ушло ей", "Оставить как есть", "Закрепить за",
                 "Нерешённые", 'href="/clients/inn/3525000006"'):  # fmt: skip
        assert text in page.text
    done = settle(web, 1, "owner", "ivanova", "клиент  звонил Ивановой")
    assert done.status_code == 303 and done.headers["location"] == "/conflicts?done=1"
    (entry,) = site.store.changes.entries(FISH)
    (change,) = site.store.changes.history()
    assert (entry.owner, change.how, change.by, change.previous, change.why) == (
        "ivanova", "head", "volkov", "petrov", "спор № 1: клиент звонил Ивановой")
    assert site.store.changes.unannounced() == [change]  # the worker sends the notices, as for any change
    settled = site.store.conflicts.get(1)
    assert settled is not None and (settled.verdict, settled.owner, settled.change_id, settled.settled_by) == (
        "owner", "ivanova", change.id, "volkov")
    shown = web.get("/conflicts?done=1").text
    assert "Спор № 1 решён: клиент за Иванова: клиент звонил Ивановой." in shown
    assert "Изменение №1: ИНН 3525000006 — Петров Дмитрий Сергеевич → Иванова Ирина Александровна." in shown
    assert "Решённые" in shown and shown.index("Решённые") < shown.rindex("клиент за Иванова: клиент звонил")
    assert '<div class="small">Волков Андрей Николаевич</div>' in shown and '<a href="/clients/inn/3525000006">№1</a>' in shown
    (audit,) = [e for e in site.store.audit.entries() if e.action == "settle"]
    assert (audit.who, audit.subject) == ("volkov", "conflict:1") and "Изменение №1" in audit.detail
    again = settle(web, 1, "keep")
    assert again.status_code == 400 and "спор № 1 уже решён" in again.text


def test_keep_as_it_is_settles_with_nothing_moved(site: Site) -> None:
    web = logged_in(site, HEAD)
    assert settle(web, 1, "keep", "ivanova").status_code == 303  # the select is ignored for a keep
    settled = site.store.conflicts.get(1)
    assert settled is not None and (settled.verdict, settled.owner, settled.change_id) == ("keep", None, None)
    assert site.store.changes.history() == [] and site.store.changes.entries(FISH)[0].owner == "petrov"
    assert "Спор № 1 решён: оставить как есть." in web.get("/conflicts?done=1").text


def test_a_verdict_the_ledger_cannot_carry_out_is_refused_in_russian(site: Site) -> None:
    web = logged_in(site, HEAD)
    refused = settle(web, 2, "owner", "petrov")
    assert refused.status_code == 400
    text = " ".join(refused.text.split())
    assert "Не сделано: спор № 2 не решён: ИНН 2221555396 — клиент из базы клиентов" in text
    assert "его менеджера меняют в базе клиентов, бот следует ей. Ничего не изменено." in text
    for form, said in ((("owner", ""), "выберите менеджера, за которым закрепить клиента"),
                       (("owner", "nobody"), "менеджера «nobody» нет в правилах"),
                       (("maybe", ""), "выберите «Оставить как есть» или «Закрепить за …»")):  # fmt: skip
        answer = settle(web, 2, *form)
        assert answer.status_code == 400 and said in answer.text
    still = site.store.conflicts.get(2)
    assert still is not None and still.open and site.store.changes.history() == []
    audits = [e.detail for e in site.store.audit.entries() if e.action == "settle"]
    assert len(audits) == 4 and all(d.startswith("отказ: ") for d in audits)
    assert settle(web, 99, "keep").status_code == 404


def test_a_manager_gets_404_and_a_form_without_csrf_403(site: Site) -> None:
    manager = logged_in(site, PETROV)
    assert manager.get("/conflicts").status_code == 404
    assert 'href="/conflicts"' not in manager.get("/requests").text
    assert settle(manager, 1, "owner", "petrov").status_code == 404
    head = logged_in(site, HEAD)
    assert settle(head, 1, "owner", "ivanova", token=None).status_code == 403
    assert settle(head, 1, "owner", "ivanova", token="forged").status_code == 403
    assert site.store.conflicts.get(1).open and site.store.changes.history() == []  # type: ignore[union-attr]
    assert [e for e in site.store.audit.entries() if e.action == "settle"] == []
