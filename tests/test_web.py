"""The web pages' security rules, through Starlette's TestClient over a real SQLite journal
(tests/web_site.py): no page without login, a manager sees only their own, CSRF on every
form, login throttling, IMAP login at a real Dovecot, the audit; and what the pages show."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from servers import Dovecot
from starlette.routing import Route
from starlette.testclient import TestClient
from web_site import HEAD, IVANOVA, PETROV, Site, csrf_of, make_site

from inboxbot.web.session import COOKIE


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    yield made
    made.store.close()


def client(site: Site, base_url: str = "http://testserver") -> TestClient:
    return TestClient(site.app, base_url=base_url, follow_redirects=False)


def login(web: TestClient, who: tuple[str, str], *, password: str | None = None) -> int:
    form = csrf_of(web.get("/login").text)
    answer = web.post("/login", data={"csrf": form, "address": who[0], "password": password or who[1], "next": ""})
    return answer.status_code


def logged_in(site: Site, who: tuple[str, str]) -> TestClient:
    web = client(site)
    assert login(web, who) == 303
    return web


def routes(site: Site) -> list[Route]:
    return [r for r in site.app.routes if isinstance(r, Route) and r.path != "/static/style.css"]


def concrete(path: str, site: Site) -> str:
    path = path.replace("{row_id}", str(site.rows["skipped"])).replace("{number}", "1")
    return path.replace("{kind}", "inn").replace("{value}", "3525000006")


# -- no page or action without login ------------------------------------------------------


def test_every_route_is_made_by_the_one_guard(site: Site) -> None:
    assert len(routes(site)) >= 7
    assert all(r.endpoint.__qualname__ == "page.<locals>.endpoint" for r in routes(site))


def test_no_page_or_action_without_login(site: Site) -> None:
    web = client(site)
    for route in routes(site):
        path = concrete(route.path, site)
        if path == "/login":
            continue
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            answer = web.request(method, path, data={"csrf": "x"})
            if method == "GET":
                assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
            else:
                assert answer.status_code == 403, path
    assert site.store.releases.open_commands() == []
    assert site.store.changes.history() == []


def test_a_forged_or_expired_session_is_no_login(site: Site) -> None:
    web = logged_in(site, PETROV)
    assert web.get("/requests").status_code == 200
    site.clock.now += timedelta(hours=13)
    assert web.get("/requests").status_code == 303
    forged = client(site)
    forged.cookies.set(COOKIE, "eyJ1Ijoidm9sa292In0.forged.sig")
    assert forged.get("/requests").status_code == 303


# -- a manager sees their own ---------------------------------------------------------------


def test_a_manager_cannot_open_another_managers_request(site: Site) -> None:
    web = logged_in(site, PETROV)
    own = web.get(f"/requests/{site.rows['petrov']}")
    assert own.status_code == 200 and "Коробки для рыбы" in own.text
    for name in ("ivanova", "skipped"):
        other = web.get(f"/requests/{site.rows[name]}")
        assert other.status_code == 404
        assert "Секретная цена" not in other.text and "Тайна" not in other.text and "Выставка" not in other.text
    assert web.get("/requests/999999").status_code == 404  # the same answer as for a hidden one
    listing = web.get("/requests", params={"q": "тайна"})
    assert listing.status_code == 200 and "Секретная" not in listing.text
    clients = web.get("/clients", params={"manager": "ivanova"}).text
    assert "3525000006" in clients and "7801000005" not in clients
    # skipped mail and its release are the head's
    assert web.get("/skipped").status_code == 404
    token = csrf_of(web.get("/requests").text)
    assert web.post(f"/skipped/{site.rows['skipped']}/release", data={"csrf": token}).status_code == 404
    assert site.store.releases.open_commands() == []


def test_a_pool_manager_sees_the_unassigned_requests(site: Site) -> None:
    web = logged_in(site, IVANOVA)  # in the demo's pool
    assert web.get(f"/requests/{site.rows['triage']}").status_code == 200
    assert web.get(f"/requests/{site.rows['petrov']}").status_code == 404


# -- CSRF ------------------------------------------------------------------------------------


def test_a_form_without_the_csrf_token_is_refused(site: Site) -> None:
    web = logged_in(site, HEAD)
    release = f"/skipped/{site.rows['skipped']}/release"
    assert web.post(release).status_code == 403
    assert web.post(release, data={"csrf": "wrong"}).status_code == 403
    assert web.post("/logout").status_code == 403
    assert web.get("/requests").status_code == 200  # still logged in
    other = client(site)  # a login form posted without the token of its own session
    assert other.post("/login", data={"address": HEAD[0], "password": HEAD[1]}).status_code == 403
    assert site.store.releases.open_commands() == []


# -- the login --------------------------------------------------------------------------------


def test_wrong_password_and_unknown_address_read_alike(site: Site) -> None:
    web = client(site)
    assert login(web, PETROV, password="not-it") == 401
    first = web.post("/login", data={"csrf": csrf_of(web.get("/login").text), "address": "nobody@x.test",
                                     "password": "whatever"})  # fmt: skip
    assert first.status_code == 401 and "Неверный адрес или пароль" in first.text
    assert web.get("/requests").status_code == 303
    failed = [e for e in site.store.audit.entries() if e.action == "login_failed"]
    assert {e.who for e in failed} == {PETROV[0], "nobody@x.test"}


def test_login_is_rate_limited_per_address_and_per_ip(site: Site) -> None:
    web = client(site)
    for _ in range(5):
        assert login(web, PETROV, password="guess") == 401
    assert login(web, PETROV) == 429  # even the right password, while locked
    assert login(web, HEAD) == 429  # the same client IP
    site.clock.now += timedelta(minutes=16)
    assert login(web, PETROV) == 303


def test_a_login_is_audited_and_the_cookie_is_guarded(site: Site) -> None:
    web = client(site)
    form = csrf_of(web.get("/login").text)
    answer = web.post("/login", data={"csrf": form, "address": HEAD[0].upper(), "password": HEAD[1],
                                      "next": "/requests/1"})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/requests/1"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert csrf_of(web.get("/requests").text) != form  # a new session, a new token
    (entry,) = [e for e in site.store.audit.entries() if e.action == "login"]
    assert entry.who == "volkov" and entry.ip
    tls = client(site, "https://testserver")
    assert "secure" in tls.get("/login").headers["set-cookie"].lower()
    bounce = client(site)
    token = csrf_of(bounce.get("/login").text)
    away = bounce.post("/login", data={"csrf": token, "address": HEAD[0], "password": HEAD[1], "next": "//evil.test/"})
    assert away.headers["location"] == "/requests"


def test_imap_login_at_the_company_server(tmp_path: Path, dovecot_tls: Dovecot) -> None:
    user, password = dovecot_tls.new_user()
    rules = (Path(__file__).parents[1] / "inboxbot/demo_data/rules.toml").read_text(encoding="utf-8")
    imap = dovecot_tls.settings("ssl", cafile=str(dovecot_tls.cert_file))
    site = make_site(tmp_path, imap=imap, rules_text=rules.replace(PETROV[0], user), login=("imap", "local"))
    try:
        web = client(site)
        assert login(web, (user, "wrong-" + password)) == 401
        assert login(web, (user, password)) == 303
        assert web.get(f"/requests/{site.rows['petrov']}").status_code == 200
        how = [e.detail for e in site.store.audit.entries() if e.action == "login"]
        assert how == ["по паролю почты"]
    finally:
        site.store.close()


# -- what the pages show ----------------------------------------------------------------------


def test_the_head_searches_and_reads_a_story(site: Site) -> None:
    web = logged_in(site, HEAD)
    found = web.get("/requests", params={"q": "3525000006"}).text
    assert "Северная рыба" in found and "Тайна" not in found
    assert "Вебинар" in web.get("/requests", params={"state": "skipped"}).text
    assert "Вебинар" not in web.get("/requests", params={"manager": "petrov"}).text
    assert "Коробки" not in web.get("/requests", params={"since": "2026-03-03"}).text
    story = web.get(f"/requests/{site.rows['petrov']}").text
    for expected in ("Письмо пришло в общий ящик", "Вологодская область → Петров", "Переслано: ",
                     "Ответил: ", "ответом в переписке", "клиент не из списка VIP"):  # fmt: skip
        assert expected in story
    assert "<script>" not in web.get("/requests", params={"q": "<script>"}).text


def test_the_head_releases_a_skipped_mail_as_the_digest_reply_would(site: Site) -> None:
    web = logged_in(site, HEAD)
    page = web.get("/skipped")
    assert "Выставка упаковки 2026" in page.text and "Переслать" in page.text
    row = site.rows["skipped"]
    done = web.post(f"/skipped/{row}/release", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303
    (command,) = site.store.releases.open_commands()
    assert command.sender == HEAD[0] and command.numbers == (1,) and command.refusal is None
    (item,) = site.store.releases.items(command.digest_id)
    assert item.key.uid == 4 and not item.released
    again = web.post(f"/skipped/{row}/release", data={"csrf": csrf_of(page.text)})  # a second click
    assert again.status_code == 303 and len(site.store.releases.open_commands()) == 1
    assert "ждёт пересылки" in web.get(done.headers["location"]).text
    (audit,) = site.store.audit.entries(subject=f"request:{row}")[-1:]
    assert audit.who == "volkov" and audit.action == "release"
    assert "Волков Андрей Николаевич: переслать из неотправленных" in web.get(f"/requests/{row}").text


# -- inboxbot web passwd ------------------------------------------------------------------------


def test_passwd_sets_a_managers_password_and_refuses_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from samples import demo_department

    from inboxbot.cli import cli
    from inboxbot.web.passwords import PasswordFile

    rules = demo_department(tmp_path / "dept")
    passwords = tmp_path / "pw"
    monkeypatch.setenv("INBOXBOT_WEB_PASSWORDS", str(passwords))
    runner = CliRunner()
    done = runner.invoke(cli, ["web", "passwd", PETROV[0].upper(), "--rules", str(rules)], input="secret-123\nsecret-123\n")
    assert done.exit_code == 0, done.output
    assert PasswordFile(passwords).verify(PETROV[0], "secret-123") and not PasswordFile(passwords).verify(PETROV[0], "x")
    assert "secret-123" not in passwords.read_text() and passwords.stat().st_mode & 0o077 == 0
    stranger = runner.invoke(cli, ["web", "passwd", "x@evil.test", "--rules", str(rules)], input="secret-123\nsecret-123\n")
    assert stranger.exit_code == 2 and "не адрес менеджера" in stranger.output
    short = runner.invoke(cli, ["web", "passwd", IVANOVA[0], "--rules", str(rules)], input="short\nshort\n")
    assert short.exit_code == 2 and "короче 8 символов" in short.output
    assert not PasswordFile(passwords).has(IVANOVA[0])


def test_the_throttle_forgets_stale_keys_under_a_flood(site: Site) -> None:
    from inboxbot.web.auth import MAX_KEYS, Throttle

    throttle = Throttle(5, timedelta(minutes=15))
    start = site.clock.now
    for n in range(MAX_KEYS + 1):
        throttle.fail((f"address:{n}@x.test",), start)
    throttle.fail(("address:late@x.test",), start + timedelta(minutes=16))
    assert len(throttle.failures) == 1
