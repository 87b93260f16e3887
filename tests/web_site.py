"""A department's web pages over a real SQLite journal, for the web tests, the browser
test and bench/bench_web.py: the demo company's rules, local passwords for three
managers, a clock the test moves, and a few journalled requests of each kind."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from samples import demo_department
from starlette.applications import Starlette

from inboxbot.config import ServerSettings
from inboxbot.mail.message import parse
from inboxbot.model.conflicts import Dispute
from inboxbot.model.decision import Decision, Step
from inboxbot.model.ledger import Assignment, ClientKey
from inboxbot.model.records import MessageKey
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.store.factory import open_store
from inboxbot.store.interfaces import Store
from inboxbot.web.app import build
from inboxbot.web.passwords import PasswordFile
from inboxbot.web.settings import WebSettings

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
HEAD = ("a.volkov@severkarton.test", "head-password-1")
PETROV = ("d.petrov@severkarton.test", "petrov-password-1")
IVANOVA = ("i.ivanova@severkarton.test", "ivanova-password-1")
_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF_RE.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Clock:
    now: datetime = T0 + timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    store: Store
    app: Starlette
    clock: Clock
    rows: dict[str, int] = field(default_factory=dict)  # name → row id


def decision(owner: str | None, *, action: str = "forward", rule: str = "territory", reason: str = "") -> Decision:
    return Decision(action=action, owner=owner, rule=rule, reasons=(reason or f"правило {rule}",),
                    trail=(Step("vip", False, "клиент не из списка VIP"), Step(rule, True, reason or "совпало")))  # fmt: skip


def journal(store: Store, uid: int, made: Decision, *, subject: str, sender: str, seen: datetime,
            company: str = "", inn: str = "") -> int:  # fmt: skip
    raw = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <m{uid}@client>\r\n\r\nТекст {uid}\r\n"
    details = {"company": {"name": company, "inn": inn}} if company else None
    key = MessageKey("INBOX", 1, uid)
    entry = store.messages.record_decision(key, parse(raw.encode()), made, details=details, seen_at=seen)
    if made.forwards and made.owner:
        store.messages.mark_forwarded(key, f"fwd{uid}@bot", made.owner, made.rule, at=seen + timedelta(minutes=1))
    store.messages.mark_done(key)
    return entry.id


def fill(store: Store) -> dict[str, int]:
    """Requests of petrov and ivanova, an unassigned one, two skipped; an answer, a ledger entry."""
    rows = {
        "petrov": journal(store, 1, decision("petrov", reason="Вологодская область → Петров"),
                          subject="Коробки для рыбы", sender="buyer@sever-ryba.test", seen=T0,
                          company="ООО «Северная рыба»", inn="3525000006"),
        "ivanova": journal(store, 2, decision("ivanova"), subject="Секретная цена для Ивановой",
                           sender="boss@tayna.test", seen=T0 + timedelta(hours=1),
                           company="АО «Тайна»", inn="7801000005"),
        "triage": journal(store, 3, decision(None, action="triage", rule="triage"), subject="Непонятное письмо",
                          sender="who@nowhere.test", seen=T0 + timedelta(hours=2)),
        "skipped": journal(store, 4, decision(None, action="skip", rule="not_a_request", reason="рассылка"),
                           subject="Выставка упаковки 2026", sender="promo@expo.test", seen=T0 + timedelta(hours=3)),
        "skipped2": journal(store, 5, decision(None, action="skip", rule="not_a_request", reason="рассылка"),
                            subject="Вебинар", sender="news@webinar.test", seen=T0 + timedelta(hours=4)),
    }  # fmt: skip
    store.requests.record_answer(["fwd1@bot"], "petrov", T0 + timedelta(hours=2), "reply")
    store.ledger.claim([Assignment(ClientKey("inn", "3525000006"), "petrov", T0, rule="territory"),
                        Assignment(ClientKey("inn", "7801000005"), "ivanova", T0, rule="territory")])  # fmt: skip
    for dispute in DISPUTES:
        store.conflicts.raise_conflict(dispute, T0)
    return rows


# The disputes the head finds on «Споры»: № 1 over a ledger client, № 2 over a client of the
# client base (the base decides it), № 3 an INN under two managers in the base.
DISPUTES = (
    Dispute("addressed", "ООО «Северная рыба» (ИНН 3525000006)", ("ivanova", "petrov"),
            "клиент ООО «Северная рыба» (ИНН 3525000006) — Петров (по журналу закреплений), а письмо адресовано "
            "Ивановой и ушло ей", "m1@client", (ClientKey("inn", "3525000006"), ClientKey("domain", "sever-ryba.test"))),
    Dispute("addressed", "АО «Агроимпульс» (ИНН 2221555396)", ("petrov", "sidorov"),
            "клиент АО «Агроимпульс» (ИНН 2221555396) — Сидоров (по базе клиентов), а письмо адресовано Петрову "
            "и ушло ему", "m2@client", (ClientKey("inn", "2221555396"),)),
    Dispute("base_twice", "ИНН 7702000019", ("orlov", "smirnova"),
            "ООО «Два берега»: строка 12 — Орлов, строка 40 — Смирнова (clients.csv)",
            keys=(ClientKey("inn", "7702000019"),)),
)  # fmt: skip


def make_site(tmp_path: Path, *, imap: ServerSettings | None = None, rules_text: str | None = None,
              login: tuple[str, ...] = ("local",)) -> Site:  # fmt: skip
    rules = demo_department(tmp_path / "dept", rules_text)
    passwords = PasswordFile(tmp_path / "web-passwords")
    for address, password in (HEAD, PETROV, IVANOVA):
        passwords.set(address, password)
    store = open_store(tmp_path / "journal.sqlite")
    rows = fill(store)
    clock = Clock()
    settings = WebSettings(login=login, passwords=passwords.path, secret="s" * 40)
    return Site(store, build(store, RulesHolder(rules), settings, imap, clock), clock, rows)
