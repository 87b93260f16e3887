"""The rules and shares pages (inboxbot/web/rules_pages.py, shares_pages.py) through
Starlette's TestClient over a real SQLite journal (tests/web_site.py): only the head
sees or changes the rules; every form needs its CSRF token; a file with errors is
rejected with the line and the fix and the rules file stays byte for byte; a valid edit
is tried on the mails in a real Dovecot mailbox and, applied, becomes rules.toml with a
version and a diff in the history and an audit entry."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from web_rules_site import MOVED, edited, imap_env, journal_mailbox, rules_path
from web_site import HEAD, IVANOVA, PETROV, T0, Site, csrf_of, make_site

from inboxbot.compose.charts import tick_step
from inboxbot.config import ServerSettings
from inboxbot.tools.rule_versions import HISTORY_DIR, versions
from inboxbot.web.pages import MAX_BODY
from inboxbot.web.session import COOKIE

# Two demo mails the territory rule gives to Орлов by their district (ЮФО), two others.
MAILS = ("012-", "017-", "022-", "001-")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    made = make_site(tmp_path)
    yield made
    made.store.close()


def logged_in(site: Site, who: tuple[str, str]) -> TestClient:
    web = TestClient(site.app, follow_redirects=False)
    form = csrf_of(web.get("/login").text)
    assert web.post("/login", data={"csrf": form, "address": who[0], "password": who[1], "next": ""}).status_code == 303
    return web


def upload(web: TestClient, data: bytes, *, csrf: str | None, weeks: str = "4") -> object:
    form = {"weeks": weeks} | ({"csrf": csrf} if csrf is not None else {})
    return web.post("/rules/trial", data=form, files={"rules": ("rules.toml", data, "application/toml")})


# -- who may ----------------------------------------------------------------------------


def test_a_manager_cannot_open_the_rules_pages_nor_upload_nor_apply(site: Site) -> None:
    before = rules_path(site).read_bytes()
    web = logged_in(site, PETROV)
    page = web.get("/requests")
    assert 'href="/rules"' not in page.text and 'href="/shares"' in page.text
    token = csrf_of(page.text)
    for path in ("/rules", "/rules/history", "/rules/file", "/rules/history/x.toml"):
        assert web.get(path).status_code == 404, path
    changed = edited(site, *MOVED)
    assert upload(web, changed, csrf=token).status_code == 404  # type: ignore[attr-defined]
    answer = web.post("/rules/apply", data={"csrf": token, "text": changed.decode(), "base": "x"})
    assert answer.status_code == 404
    assert rules_path(site).read_bytes() == before and not (rules_path(site).parent / HISTORY_DIR).exists()


def test_an_upload_or_an_apply_without_the_csrf_token_is_refused(site: Site) -> None:
    before = rules_path(site).read_bytes()
    web = logged_in(site, HEAD)
    changed = edited(site, *MOVED)
    assert upload(web, changed, csrf=None).status_code == 403  # type: ignore[attr-defined]
    assert upload(web, changed, csrf="forged").status_code == 403  # type: ignore[attr-defined]
    assert web.post("/rules/apply", data={"text": changed.decode(), "base": "x"}).status_code == 403
    assert rules_path(site).read_bytes() == before and not (rules_path(site).parent / HISTORY_DIR).exists()


# -- a file with errors -------------------------------------------------------------------


def yufo_line(site: Site) -> int:
    """The line of the demo rules that gives ЮФО to Орлов (the edits below break it)."""
    lines = rules_path(site).read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if '"ЮФО" = "orlov"' in text)


def test_a_file_with_errors_is_rejected_with_the_line_and_the_fix_and_changes_nothing(site: Site) -> None:
    before = rules_path(site).read_bytes()
    web = logged_in(site, HEAD)
    token = csrf_of(web.get("/rules").text)
    answer = upload(web, edited(site, '"ЮФО" = "orlov"', '"ЮФО" = "orlv"'), csrf=token)
    assert answer.status_code == 422  # type: ignore[attr-defined]
    page = html.unescape(answer.text)  # type: ignore[attr-defined]
    assert "не принят" in page and "Действующие правила не изменились" in page
    line = yufo_line(site)
    assert f"rules.toml, строка {line}, [territory]: неизвестный менеджер «orlv» (возможно, «orlov»)" in page
    assert ".upload-" not in page  # the temporary file is named as the file it stands for
    # Applying a broken text directly is refused the same way.
    broken = edited(site, "[department]", "[department\n").decode()
    answer = web.post("/rules/apply", data={"csrf": token, "text": broken, "base": "x"})
    assert answer.status_code == 422 and "не принят" in answer.text
    assert rules_path(site).read_bytes() == before
    assert not (rules_path(site).parent / HISTORY_DIR).exists()
    assert [p.name for p in rules_path(site).parent.iterdir() if p.name.startswith(".")] == []


def test_a_file_not_in_utf8_or_too_big_is_rejected(site: Site) -> None:
    before = rules_path(site).read_bytes()
    web = logged_in(site, HEAD)
    token = csrf_of(web.get("/rules").text)
    answer = upload(web, "[department]\nname = 'Отдел'\n".encode("cp1251"), csrf=token)
    assert answer.status_code == 422 and "не в кодировке UTF-8" in answer.text  # type: ignore[attr-defined]
    answer = upload(web, b"#" * (600 * 1024), csrf=token)
    assert answer.status_code == 413 and "больше 512 КБ" in answer.text  # type: ignore[attr-defined]
    assert rules_path(site).read_bytes() == before


def raw_upload(site: Site, web: TestClient, size: int, *, chunked: bool) -> tuple[int, str, int]:
    """A rules.toml upload of `size` bytes straight to the ASGI app in 64 KB chunks, with
    a Content-Length or without one (chunked): the status, the page and the bytes the app read."""
    token, boundary = csrf_of(web.get("/rules").text), "inboxbot-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"weeks\"\r\n\r\n4\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"rules\"; filename=\"rules.toml\"\r\n"
            f"Content-Type: application/toml\r\n\r\n").encode()  # fmt: skip
    body = head + b"#" * size + f"\r\n--{boundary}--\r\n".encode()
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    headers = [(b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
               (b"cookie", f"{COOKIE}={web.cookies[COOKIE]}".encode())]  # fmt: skip
    if not chunked:
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/rules/trial", "raw_path": b"/rules/trial", "root_path": "", "query_string": b"",
             "headers": headers, "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}  # fmt: skip
    read, sent, status = 0, [], 0

    async def receive() -> dict[str, object]:
        nonlocal read
        if not chunks:
            return {"type": "http.disconnect"}
        chunk = chunks.pop(0)
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]
        elif message["type"] == "http.response.body":
            sent.append(message["body"])

    asyncio.run(site.app(scope, receive, send))  # type: ignore[arg-type]
    return status, b"".join(sent).decode(), read  # type: ignore[arg-type]


@pytest.mark.parametrize("chunked", [False, True])
def test_a_5_mb_upload_is_refused_before_it_is_read(site: Site, chunked: bool) -> None:
    before = rules_path(site).read_bytes()
    status, page, read = raw_upload(site, logged_in(site, HEAD), 5 * 1024 * 1024, chunked=chunked)
    assert status == 413 and f"Запрос больше {MAX_BODY // 1024 // 1024} МБ" in page
    # With a Content-Length nothing is read; a chunked body stops at the first chunk past the limit.
    assert read == (MAX_BODY + 65536 if chunked else 0)
    assert rules_path(site).read_bytes() == before


def test_a_rules_text_at_the_upload_limit_still_reaches_the_apply_form(site: Site) -> None:
    """512 KB of Cyrillic, percent-encoded by the browser, is three times as long: the
    apply page answers for itself (here: the base is stale), not the body limit."""
    web = logged_in(site, HEAD)
    token = csrf_of(web.get("/rules").text)
    answer = web.post("/rules/apply", data={"csrf": token, "text": "я" * (256 * 1024), "base": "x"})
    assert answer.status_code != 413 and "Запрос больше" not in answer.text


def test_the_rules_page_shows_the_file_with_checks_verdict(site: Site) -> None:
    web = logged_in(site, HEAD)
    page = html.unescape(web.get("/rules").text)
    assert "inboxbot check: правила в порядке" in page and '"ЮФО" = "orlov"' in page
    download = web.get("/rules/file")
    assert download.content == rules_path(site).read_bytes()
    assert download.headers["content-disposition"] == 'attachment; filename="rules.toml"'
    # Broken on disk (edited by hand): the page says so with the line, the bot keeps the last good rules.
    line = yufo_line(site)
    rules_path(site).write_bytes(edited(site, '"ЮФО" = "orlov"', '"ЮФО" = "orlv"'))
    page = html.unescape(web.get("/rules").text)
    assert "в файле ошибки" in page and f"строка {line}" in page and "(возможно, «orlov»)" in page


# -- the trial and the apply, over a real mailbox ------------------------------------------------


@pytest.mark.servers
def test_a_valid_edit_is_tried_on_the_mailbox_and_applied_with_a_version_and_a_diff(
    site: Site, imap_inbox: ServerSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in imap_env(imap_inbox).items():
        monkeypatch.setenv(name, value)
    subjects = journal_mailbox(site, imap_inbox, MAILS)
    before = rules_path(site).read_bytes()
    web = logged_in(site, HEAD)
    token = csrf_of(web.get("/rules").text)
    answer = upload(web, edited(site, *MOVED), csrf=token)
    assert answer.status_code == 200  # type: ignore[attr-defined]
    page = html.unescape(answer.text)  # type: ignore[attr-defined]
    # The five rows of web_site.fill are keyed under another UIDVALIDITY: not in this mailbox.
    assert "проверено писем — 4, не найдено — 5" in page
    assert "Решение изменится у 2 из 4" in re.sub(r"</?b>", "", page)
    moved = re.findall(r"<tr>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([^<]*)</td>\s*"
                       r"<td[^>]*>([^<]*)<span[^>]*>territory</span></td>\s*<td[^>]*>([^<]*)<span", page)
    assert sorted(moved) == sorted((s, "Орлов М. И. ", "Иванова И. А. ") for s in subjects[1:3])
    assert rules_path(site).read_bytes() == before  # tried, not applied
    shares = dict(re.findall(r'<td class="name" data-label="Менеджер">([^<]+)</td>\s*<td[^>]*>(\d+)\xa0\(', page))
    after = dict(re.findall(r'<td class="name" data-label="Менеджер">([^<]+)</td>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>(\d+)\xa0\(', page))
    assert shares["Орлов Максим Игоревич"] == "2" and after["Орлов Максим Игоревич"] == "0"
    assert int(after["Иванова Ирина Александровна"]) == int(shares.get("Иванова Ирина Александровна", "0")) + 2
    assert '-districts = { "ЦФО" = "ivanova"' in page and '"ЮФО" = "ivanova"' in page

    text = html.unescape(re.search(r'<textarea name="text" hidden>\n?(.*?)</textarea>', answer.text, re.S).group(1))  # type: ignore[union-attr, attr-defined]
    base = re.search(r'name="base" value="([0-9a-f]{64})"', answer.text).group(1)  # type: ignore[union-attr, attr-defined]
    applied = web.post("/rules/apply", data={"csrf": token, "text": text, "base": base})
    assert applied.status_code == 303 and applied.headers["location"] == "/rules/history?done=1"
    assert rules_path(site).read_bytes() == edited_text(before, *MOVED)
    kept = versions(rules_path(site))
    assert [v.who for v in kept] == ["earlier", "volkov"]
    assert kept[0].path.read_bytes() == before and kept[1].path.read_bytes() == rules_path(site).read_bytes()
    history = html.unescape(web.get(applied.headers["location"]).text)
    assert "Новые правила записаны" in history and "Волков" in history
    assert '-districts = { "ЦФО" = "ivanova"' in history and '"ЮФО" = "ivanova"' in history
    assert web.get(f"/rules/history/{kept[0].path.name}").content == before
    assert web.get("/rules/history/..%2Frules.toml").status_code == 404
    (entry,) = site.store.audit.entries(subject="rules")
    assert (entry.who, entry.action) == ("volkov", "rules_apply") and kept[1].path.name in entry.detail
    # The same form again: rules.toml is no longer what the edit was tried against.
    again = web.post("/rules/apply", data={"csrf": token, "text": text, "base": base})
    assert again.status_code == 409 and "изменился после проверки" in again.text
    assert len(versions(rules_path(site))) == 2


def edited_text(data: bytes, old: str, new: str) -> bytes:
    return data.decode("utf-8").replace(old, new).encode("utf-8")


# -- shares ------------------------------------------------------------------------------------


def test_shares_for_a_period_with_charts_for_the_head_and_the_managers(site: Site) -> None:
    for who in (HEAD, IVANOVA):
        web = logged_in(site, who)
        page = html.unescape(web.get("/shares?since=2026-03-01&until=2026-03-03").text)
        assert "Доли: 1–3 марта 2026" in page
        assert "5 заявок" not in page and "<b>3</b> заявки" in page  # two of the five were skipped
        assert page.count('src="data:image/png;base64,') >= 2
        assert "Петров Дмитрий Сергеевич" in page or "Петров Д. С." in page
        assert "Секретная цена" not in page  # totals only, no subjects
    web = logged_in(site, HEAD)
    assert "Доли: 1–28 февраля 2026" in web.get("/shares?preset=last_month").text
    assert "Доли: 1–3 марта 2026" in web.get("/shares?preset=month").text
    wrong = web.get("/shares?since=2026-03-05&until=2026-03-01")
    assert wrong.status_code == 200 and "Начало периода позже его конца" in wrong.text


def test_a_long_periods_day_chart_labels_one_day_in_several() -> None:
    """A month on the shares page had a label under every third bar of 28, running into
    each other (at most seven «16.11» fit across the chart); a 15-day period had fifteen."""
    for days in range(2, 46):
        labels = len(range(0, days, tick_step(days)))
        assert labels <= 7 and (days > 7 or labels == days), days


def test_apply_replaces_the_file_atomically_and_the_worker_takes_it(tmp_path: Path) -> None:
    from samples import demo_department

    from inboxbot.run.rulesholder import RulesHolder
    from inboxbot.tools.rule_versions import StaleEdit, apply, fingerprint

    path = demo_department(tmp_path / "dept")
    path.chmod(0o640)
    holder = RulesHolder(path)  # as the running worker holds them
    before = path.read_bytes()
    new = edited_text(before, *MOVED)
    with pytest.raises(StaleEdit):
        apply(path, new, "volkov", T0, expected=fingerprint(b"another text"))
    assert path.read_bytes() == before and versions(path) == []
    apply(path, new, "volkov", T0, expected=fingerprint(before))
    assert path.read_bytes() == new and path.stat().st_mode & 0o777 == 0o640
    assert holder.refresh() and holder.rules.territory.districts["ЮФО"] == "ivanova"
    leftovers = [p.name for p in (*path.parent.iterdir(), *(path.parent / HISTORY_DIR).iterdir()) if p.name.endswith(".tmp")]
    assert leftovers == []


def test_shares_show_every_named_queue_against_its_target(tmp_path: Path) -> None:
    """Before, the page (as the report) showed the first queue only."""
    from datetime import timedelta

    from test_combined import _text
    from web_site import journal

    from inboxbot.model.decision import Decision

    made = make_site(tmp_path, rules_text=_text("", pools=True))
    try:
        for uid, owner in ((21, "smirnova"), (22, "smirnova"), (23, "smirnova"), (24, "orlov")):
            journal(made.store, uid, Decision("forward", owner, "pharma", ("очередь «pharma»",), pool="pharma"),
                    subject=f"Аптека {uid}", sender=f"a{uid}@apteka.test", seen=T0 + timedelta(hours=uid - 20))  # fmt: skip
        page = html.unescape(logged_in(made, HEAD).get("/shares?since=2026-03-01&until=2026-03-03").text)
    finally:
        made.store.close()
    assert "Очередь «pharma»" in page and "роздано <b>4</b>" in page
    section = page[page.index("Очередь «pharma»"):]
    assert re.search(r"Смирнова О\. В\.</td><td[^>]*>3</td><td[^>]*>75\s%\s/\s50\s%", section), section[:800]
