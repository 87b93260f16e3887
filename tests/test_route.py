"""Routing: every condition and their interplay, with small hand-built mails and Facts and a
real in-memory store as the history."""

from __future__ import annotations

import itertools
from dataclasses import FrozenInstanceError, replace
from datetime import UTC, date, datetime
from email.header import Header
from email.utils import formataddr, parseaddr
from pathlib import Path

import pytest
from samples import RULES, demo_department

from inboxbot.mail.message import ParsedMessage, parse
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Company, Evidence, Facts, Person, Region, Requisite
from inboxbot.model.records import MessageKey
from inboxbot.route.conditions.addressed import AddressedOptions
from inboxbot.route.conditions.catalog import CONDITIONS
from inboxbot.route.conditions.pool import FallbackOptions
from inboxbot.route.conditions.sector import SegmentOptions
from inboxbot.route.decide import decide
from inboxbot.route.describe import describe_company, describe_region
from inboxbot.rules.load import load_rules
from inboxbot.rules.model import Absence, Rules, RuleSpec
from inboxbot.rules.options import KINDS, declared
from inboxbot.store.factory import memory_store
from inboxbot.store.interfaces import Store

JUNE = "Mon, 09 Jun 2025 10:00:00 +0300"
_ids = itertools.count(1)


# --- builders -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_rules() -> Rules:
    return load_rules(RULES)


@pytest.fixture()
def rules(base_rules: Rules) -> Rules:
    """The example rules without not_a_request (tested on its own below), so these tests
    depend on routing only."""
    return replace(base_rules, rules=tuple(r for r in base_rules.rules if r.when != "not_a_request"))


@pytest.fixture()
def journal() -> Store:
    return memory_store()


def mail(
    *,
    frm: str = "Иван Кузьмин <kuzmin@gmail.com>",
    to: str = "sales@severkarton.test",
    cc: str | None = None,
    subject: str = "Заявка на коробки",
    date: str | None = JUNE,
    body: str = "Добрый день! Нужны коробки 400х300х200, 1000 шт.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
) -> ParsedMessage:
    lines = [f"From: {_encode_address(frm)}", f"To: {to}", f"Subject: {Header(subject, 'utf-8').encode()}"]
    if cc:
        lines.append(f"Cc: {cc}")
    if date:
        lines.append(f"Date: {date}")
    lines.append(f"Message-ID: <{message_id or f'm{next(_ids)}@client.example'}>")
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + " ".join(f"<{r}>" for r in references.split()))
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return parse("\n".join(lines).encode("utf-8"))


def _encode_address(value: str) -> str:
    """RFC 2047 for a display name, as mail programs send it."""
    name, address = parseaddr(value)
    return formataddr((name, address), charset="utf-8") if name else address


def inn_req(value: str, source: str = "signature") -> Requisite:
    return Requisite("inn", value, Evidence(source, f"ИНН {value}"), labelled=True)


def company(name: str, form: str | None = "ООО", inn: str | None = None, *, public: bool = False) -> Company:
    return Company(name=name, core=name, legal_form=form, inn=inn, public_sector=public)


def with_inn(name: str, inn: str, source: str = "signature", form: str | None = "ООО") -> Facts:
    return Facts(company=company(name, form, inn), requisites=(inn_req(inn, source),))


def region(code: str, district: str, how: str = "phone", name: str = "") -> Region:
    return Region(code=code, name=name, district=district, how=how, evidence=Evidence("signature", f"тел. код {code}"))


def addressee(text: str, source: str = "body") -> Person:
    return Person(name=text, text=text, role="addressee", evidence=Evidence(source, text))


def valid_inn(prefix: str) -> str:
    """A 10-digit INN with a correct check digit, starting with `prefix` (8 digits)."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    body = (prefix + "00000000")[:9]
    return body + str(sum(int(d) * w for d, w in zip(body, weights, strict=False)) % 11 % 10)


def record(journal: Store, msg: ParsedMessage, decision: Decision) -> None:
    journal.messages.record_decision(
        MessageKey("INBOX", 1, next(_ids)),
        msg,
        decision,
    )


def route(rules: Rules, journal: Store, msg: ParsedMessage, facts: Facts, **kw: object) -> Decision:
    decision = decide(msg, facts, rules, journal.history, **kw)  # type: ignore[arg-type]
    record(journal, msg, decision)
    return decision


def copy_rules(tmp_path: Path, *, clients: str = "", text: tuple[tuple[str, str], ...] = ()) -> Rules:
    body = RULES.read_text(encoding="utf-8")
    for old, new in text:
        assert old in body
        body = body.replace(old, new)
    path = demo_department(tmp_path, body)
    if clients:
        with open(tmp_path / "clients.csv", "a", encoding="utf-8") as f:
            f.write(clients)
    loaded = load_rules(path)
    return replace(loaded, rules=tuple(r for r in loaded.rules if r.when != "not_a_request"))


# --- the table ---------------------------------------------------------------------------------


def test_every_condition_declares_its_options_with_valid_defaults() -> None:
    """One registry: each condition's options are a frozen dataclass whose fields say their
    kind, and whose defaults are what the loader would accept for that kind."""
    assert list(CONDITIONS)[:3] == ["not_a_request", "thread", "repeat"]  # the order `check` lists them in
    for name, condition in CONDITIONS.items():
        assert condition.name == name
        defaults = condition.options()
        for declaration, option in declared(condition.options):
            value = getattr(defaults, declaration.name)
            with pytest.raises(FrozenInstanceError):
                setattr(defaults, declaration.name, value)
            assert option.kind in KINDS, (name, declaration.name)
            if option.kind == "bool":
                assert isinstance(value, bool)
            elif option.kind == "str_list":
                assert isinstance(value, tuple) and all(isinstance(v, str) for v in value)
            elif option.kind == "choice":
                assert value in option.choices
            elif option.kind == "manager":
                assert value is None
    assert CONDITIONS["fallback"].default_action(has_owner=False) == "triage"
    assert CONDITIONS["fallback"].default_action(has_owner=True) == "forward"
    assert CONDITIONS["not_a_request"].default_action(has_owner=False) == "skip"


def test_a_condition_refuses_another_conditions_options(rules: Rules, journal: Store) -> None:
    wrong = RuleSpec("pharma", "segment", "forward", AddressedOptions())
    with pytest.raises(TypeError, match="SegmentOptions"):
        decide(mail(), Facts(), replace(rules, rules=(wrong,)), journal.history)


# --- client_inn / client_domain / client_name ----------------------------------------------------


def test_client_inn_beats_territory(rules: Rules, journal: Store) -> None:
    facts = replace(with_inn("ООО «Тульская пряничная мануфактура»", "7106346026", "body"), region=region("71", "ЦФО"))
    d = decide(mail(), facts, rules, journal.history)
    assert (d.action, d.owner, d.rule) == ("forward", "sidorov", "client_inn")
    assert d.reasons == (
        "ИНН 7106346026 (из текста письма)",
        "ООО «Тульская пряничная мануфактура» — клиент из базы (clients.csv, строка 200)",
        "менеджер клиента — Сидоров",
    )
    assert d.client is not None and d.client.inn == "7106346026" and d.client.line == 200
    assert [s.rule for s in d.trail] == ["thread", "repeat", "addressed", "vip", "public_sector", "client_inn"]
    assert [s.matched for s in d.trail] == [False, False, False, False, False, True]


def test_ip_inn12(rules: Rules, journal: Store) -> None:
    facts = with_inn("ИП Шайхутдинова Альбина Рашитовна", "667191272063", form="ИП")
    d = decide(mail(), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("orlov", "client_inn")
    assert d.reasons[0] == "ИНН ИП 667191272063 (из подписи)"


def test_client_domain_and_subdomain(rules: Rules, journal: Store) -> None:
    for sender in ("zakupki@kareliafish.ru", "a.b@mail.kareliafish.ru"):
        d = decide(mail(frm=sender), Facts(), rules, journal.history)
        assert (d.owner, d.rule) == ("orlov", "client_domain"), sender
        assert d.reasons[0].startswith("домен отправителя ")


def test_free_mail_never_identifies(rules: Rules, journal: Store) -> None:
    d = decide(mail(frm="someone@mail.ru"), Facts(), rules, journal.history)
    assert d.rule == "pool"
    assert "бесплатная почта" in next(s.detail for s in d.trail if s.rule == "client_domain")


def test_client_name_in_genitive(rules: Rules, journal: Store) -> None:
    d = decide(mail(), Facts(company=company("«Алтайских сыров»", None)), rules, journal.history)
    assert (d.owner, d.rule) == ("orlov", "client_name")
    assert "клиент из базы (clients.csv, строка 179)" in d.reasons[0]


def test_new_inn_beats_a_familiar_domain(rules: Rules, journal: Store) -> None:
    """A valid INN the base does not know is a new company, even from a client's domain."""
    inn = valid_inn("50121212")
    facts = replace(with_inn("ООО «Белый медведь Подмосковье»", inn), region=region("50", "ЦФО", "inn"))
    d = decide(mail(frm="opt@whitebear-cosmetics.ru"), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("ivanova", "territory")
    assert any("ИНН" in r and "новая компания" in r for r in d.reasons)
    detail = next(s.detail for s in d.trail if s.rule == "client_domain")
    assert detail == f"ИНН {inn} в базе нет — новая компания, домен не решает"


def test_shared_domain_of_independent_holding_needs_a_name(rules: Rules, journal: Store) -> None:
    d = decide(mail(frm="snab@yugagro.ru"), Facts(), rules, journal.history)
    assert d.rule == "pool"
    assert any("yugagro.ru общий" in r for r in d.reasons)
    d = decide(mail(frm="snab@yugagro.ru"), Facts(company=company("ООО «ЮгАгроХолдинг Дон»")), rules, journal.history)
    assert (d.owner, d.rule) == ("petrov", "client_domain")


def test_ambiguous_name_region_decides_or_rule_option(tmp_path: Path, journal: Store) -> None:
    rows = (
        f"ООО «Сибирский берег»,{valid_inn('54050505')},,,54,Новосибирск,sidorov,,,\n"
        f"ООО «Сибирский берег»,{valid_inn('55050505')},,,55,Омск,orlov,,,\n"
    )
    rules = copy_rules(tmp_path, clients=rows)
    facts = Facts(company=company("ООО «Сибирский берег»"))
    d = decide(mail(), replace(facts, region=region("55", "СФО")), rules, journal.history)
    assert (d.owner, d.rule) == ("orlov", "client_name")
    # No region: on_ambiguous = "next" → says so and goes on (pool here).
    d = decide(mail(), facts, rules, journal.history)
    assert d.rule == "pool"
    assert d.reasons[0].startswith("название ООО «Сибирский берег» подходит нескольким клиентам: ")
    assert "Новосибирск" in d.reasons[0] and "Омск" in d.reasons[0]
    spec = next(r for r in rules.rules if r.id == "client_name")
    for choice, action, owner in (("triage", "triage", None), ("head", "forward", "volkov")):
        changed = replace(spec, options=replace(spec.options, on_ambiguous=choice))
        variant = replace(rules, rules=tuple(changed if r.id == "client_name" else r for r in rules.rules))
        d = decide(mail(), facts, variant, journal.history)
        assert (d.action, d.owner, d.rule) == (action, owner, "client_name")


def test_client_with_unknown_manager_falls_through(tmp_path: Path, journal: Store) -> None:
    rules = copy_rules(tmp_path, clients=f"ООО «Ромашка-Тест»,{valid_inn('77123123')},,,77,Москва,nobody,,romashka-test.ru,\n")
    d = decide(mail(frm="a@romashka-test.ru"), Facts(), rules, journal.history)
    assert d.rule == "territory" and d.owner == "smirnova"  # the client's region still counts
    assert "не описан в правилах" in next(s.detail for s in d.trail if s.rule == "client_domain")


# --- vip / public_sector ---------------------------------------------------------------------------


def test_vip_by_domain(rules: Rules, journal: Store) -> None:
    d = decide(mail(frm="snab@volgohimprom.ru"), Facts(), rules, journal.history)
    assert (d.owner, d.rule) == ("volkov", "vip")
    assert d.reasons[-1] == "VIP-клиент с 2020-11-20 (vip.csv, строка 7) → Волков"


def test_vip_beats_public_sector(rules: Rules, journal: Store) -> None:
    facts = replace(with_inn("ПАО «Волгохимпром»", "3435051172", form="ПАО"), purchase_law="44-ФЗ")
    d = decide(mail(), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("volkov", "vip")


@pytest.mark.parametrize(
    ("facts", "public"),
    [
        (Facts(company=company("ГБУЗ РК «Республиканская детская больница»", "ГБУЗ", public=True)), True),
        (Facts(company=company("ГБУЗ РК «Республиканская детская больница»", "ГБУЗ")), True),
        (Facts(company=company("Министерство здравоохранения Ростовской области", None)), True),
        (Facts(company=company("МУП «Водоканал»", "МУП")), True),
        (Facts(purchase_law="44-ФЗ"), True),
        (Facts(company=company("АО «Ростех-Упак»", "АО"), purchase_law="223-ФЗ"), False),
        (Facts(company=company("АНО «Центр развития»", "АНО")), False),
        (Facts(company=company("ЧОУ «Школа Лидер»", "ЧОУ")), False),
        # a supplier writing about its customer's tender: the ГБУЗ is only mentioned
        (
            Facts(
                company=company("ООО «МедСнаб»"),
                mentioned_companies=(company("ГБУЗ «Городская больница № 3»", "ГБУЗ", public=True),),
                purchase_law="44-ФЗ",
            ),
            False,
        ),
    ],
    ids=["gbuz-flag", "gbuz-form", "ministry", "mup", "44fz", "ao-223", "ano", "chou", "supplier"],
)
def test_public_sector(rules: Rules, journal: Store, facts: Facts, public: bool) -> None:
    d = decide(mail(), replace(facts, region=region("61", "ЮФО")), rules, journal.history)
    assert (d.rule == "public_sector") is public, d.trail
    if public:
        assert d.owner == "kuznetsova" and d.reasons[-1] == "госзаказчики → Кузнецова"
    else:
        assert d.owner == "orlov"


def test_existing_public_client_is_public_sector(rules: Rules, journal: Store) -> None:
    d = decide(mail(), Facts(company=company("«Детский сад № 154»", None)), rules, journal.history)
    assert (d.owner, d.rule) == ("kuznetsova", "public_sector")
    assert d.client is not None and d.client.name.startswith("МАДОУ")


# --- group / territory ---------------------------------------------------------------------------------


def test_new_company_of_one_owner_group(rules: Rules, journal: Store) -> None:
    inn = valid_inn("59040404")
    facts = replace(with_inn("ООО «Молочная страна — Пермь»", inn), region=region("59", "ПФО", "inn"))
    d = decide(mail(frm="zakup@perm.molstrana.ru"), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("ivanova", "group")
    assert d.reasons[-1] == "группа «Молочная страна», политика «один владелец» → Иванова"


def test_group_membership_said_in_text(rules: Rules, journal: Store) -> None:
    body = "Мы входим в ГК «Агроимпульс», новое предприятие в Курске."
    facts = Facts(company=company("ООО «Курский бекон»"), new_text=body, region=region("46", "ЦФО"))
    d = decide(mail(body=body), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("sidorov", "group")
    # a brand named without membership («дистрибьютор …») is not a group member
    body = "Мы дистрибьютор продукции Агроимпульс в Курской области."
    d = decide(mail(body=body), replace(facts, new_text=body), rules, journal.history)
    assert (d.owner, d.rule) == ("ivanova", "territory")


def test_new_company_of_independent_group_goes_by_territory(rules: Rules, journal: Store) -> None:
    inn = "0105367341"
    facts = replace(with_inn("ООО «ЮгАгроХолдинг Адыгея»", inn, "body"), region=region("01", "ЮФО", "inn"))
    d = decide(mail(frm="adygea@yugagro.ru"), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("orlov", "territory")
    assert any("независимая" in r for r in d.reasons)


@pytest.mark.parametrize(
    ("code", "district", "owner"),
    [("77", "ЦФО", "smirnova"), ("50", "ЦФО", "ivanova"), ("52", "ПФО", "ivanova"), ("02", "ПФО", "sidorov"),
     ("59", "ПФО", "petrov"), ("35", "СЗФО", "petrov"), ("54", "СФО", "sidorov"), ("23", "ЮФО", "orlov"),
     ("05", "СКФО", "orlov"), ("25", "ДФО", "sidorov")],
)  # fmt: skip
def test_territory(rules: Rules, journal: Store, code: str, district: str, owner: str) -> None:
    d = decide(mail(), Facts(company=company("ООО «Новая Компания Тест»"), region=region(code, district)), rules, journal.history)
    assert (d.owner, d.rule) == (owner, "territory")


def test_foreign_company(rules: Rules, journal: Store) -> None:
    facts = Facts(company=Company("Samarkand Textile LLC", "Samarkand Textile", "LLC", country="UZ"), country="UZ")
    d = decide(mail(frm="buyer@samtex.uz"), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("smirnova", "territory")
    assert d.reasons[0] == "иностранная компания (UZ), российской регистрации нет"


def test_territory_city_overrides_region(tmp_path: Path, journal: Store) -> None:
    rules = copy_rules(tmp_path, text=(("cities = {}", 'cities = { "Тольятти" = "orlov" }'),))
    facts = Facts(signature="ООО «Волга Тара»\nг. Тольятти, ул. Заводская, 1", region=region("63", "ПФО", "city"))
    assert decide(mail(), facts, rules, journal.history).owner == "orlov"


# --- thread ------------------------------------------------------------------------------------------------


def test_thread_keeps_the_owner_even_a_backup(rules: Rules, journal: Store) -> None:
    first = mail(frm="a@pomor-ryba.ru", date="Wed, 09 Jul 2025 10:00:00 +0300", message_id="first@pomor-ryba.ru")
    d = route(rules, journal, first, Facts())
    assert (d.owner, d.rule, d.base_owner) == ("ivanova", "absence_backup", "petrov")
    # petrov is back; the reply (greeting petrov!) stays with ivanova, who has the thread
    reply = mail(
        frm="a@pomor-ryba.ru", subject="RE: Заявка на коробки", date="Mon, 28 Jul 2025 10:00:00 +0300",
        in_reply_to="first@pomor-ryba.ru", references="first@pomor-ryba.ru",
    )  # fmt: skip
    d = decide(reply, Facts(people=(addressee("Дмитрий Сергеевич"),)), rules, journal.history)
    assert (d.owner, d.rule) == ("ivanova", "thread")
    assert d.trail[0].matched and d.trail[0].detail == "ответ на письмо <first@pomor-ryba.ru>, переданное Иванова"


def test_reply_to_our_managers_own_letter(rules: Rules, journal: Store) -> None:
    quote = (
        "Цена устраивает.\n\nОт: Сидоров Алексей <a.sidorov@severkarton.test>\nОтправлено: 25 июля 2025 г.\n"
        "Сергей, добрый день! Направляю КП.\nС уважением, Сидоров Алексей"
    )
    msg = mail(subject="RE: КП", body=quote, in_reply_to="kp1@severkarton.test", references="kp1@severkarton.test")
    facts = Facts(company=company("ООО «ДонПак Сервис»"), region=region("61", "ЮФО"), quoted=quote.split("\n\n", 1)[1])
    d = decide(msg, facts, rules, journal.history)
    assert (d.owner, d.rule) == ("sidorov", "thread")
    # by the signature alone (no address in the quote)
    quote2 = "Спасибо.\n\n> Направляю КП.\n> С уважением, Алексей Сидоров, ТД «Северный Картон»"
    msg2 = mail(subject="RE: КП", body=quote2, references="kp2@severkarton.test")
    d = decide(msg2, replace(facts, quoted=quote2.split("\n\n", 1)[1]), rules, journal.history)
    assert (d.owner, d.rule) == ("sidorov", "thread")


def test_reply_to_a_newsletter_is_no_thread(rules: Rules, journal: Store) -> None:
    quote = "От: ТД Северный Картон <marketing@severkarton.test>\nНовинки сезона! Ваш менеджер Сидоров Алексей"
    msg = mail(subject="Re: Новинки сезона", body="Интересует стрейч.\n\n" + quote, references="news1@severkarton.test")
    facts = Facts(region=region("61", "ЮФО"), quoted=quote)
    d = decide(msg, facts, rules, journal.history)
    assert (d.owner, d.rule) == ("orlov", "territory")
    assert "marketing@severkarton.test" in next(s.detail for s in d.trail if s.rule == "thread")


def test_bare_re_is_no_thread_but_same_subject_and_sender_is(rules: Rules, journal: Store) -> None:
    d = decide(mail(subject="Re: коробки"), Facts(region=region("35", "СЗФО")), rules, journal.history)
    assert d.rule == "territory"
    assert "одна приставка «Re:»" in d.trail[0].detail
    first = mail(frm="b@kareliafish.ru", subject="Ящики под рыбу")
    route(rules, journal, first, Facts())
    # the client's mail program dropped In-Reply-To; same sender, "Re:" + same subject
    d = decide(mail(frm="b@kareliafish.ru", subject="Re: Ящики под рыбу", date=JUNE), Facts(), rules, journal.history)
    assert (d.owner, d.rule) == ("orlov", "thread")


# --- addressed -----------------------------------------------------------------------------------------------


def test_addressed_by_personal_address(rules: Rules, journal: Store) -> None:
    d = decide(mail(to="d.petrov@severkarton.test", cc="sales@severkarton.test"), Facts(region=region("77", "ЦФО")), rules, journal.history)
    assert (d.owner, d.rule) == ("petrov", "addressed")
    assert d.reasons == ("личный адрес менеджера d.petrov@severkarton.test в поле «Кому» → Петров",)
    d = decide(mail(cc="e.kuznetsova@severkarton.test", date="Mon, 30 Jun 2025 10:00:00 +0300"), Facts(), rules, journal.history)
    assert (d.owner, d.rule) == ("kuznetsova", "addressed")


@pytest.mark.parametrize(
    ("text", "owner"),
    [("Ольга Викторовна", "smirnova"), ("Дима", "petrov"), ("Дмитрию Петрову", "petrov"), ("ИРИНА", "ivanova"),
     ("Ире", "ivanova"), ("Лёша", "sidorov"), ("Леше", "sidorov"), ("Mr. Volkov", "volkov"), ("Olga Smirnova", "smirnova"),
     ("Елене Павловне", "kuznetsova"), ("Максим Игоревич", "orlov")],
)  # fmt: skip
def test_addressed_by_name_forms(rules: Rules, journal: Store, text: str, owner: str) -> None:
    d = decide(mail(date="Mon, 30 Jun 2025 10:00:00 +0300"), Facts(people=(addressee(text),), region=region("38", "СФО")), rules, journal.history)
    assert (d.owner, d.rule) == (owner, "addressed")


def test_not_addressed_by_quote_signature_sender_or_other_names(rules: Rules, journal: Store) -> None:
    facts = Facts(region=region("63", "ПФО"))
    for person in (
        addressee("Ольга Викторовна", "quote"),  # only in the quote
        Person("Ирина", "Ирина", "sender", Evidence("signature", "Ирина")),  # the sender signs «Ирина»
        Person("Сергей Ковалёв", "Сергей Ковалёв", "mentioned", Evidence("body", "Сергей Ковалёв")),
        addressee("Анна Сергеевна"),  # a person we do not employ
    ):
        d = decide(mail(frm="Ирина Котова <kotova@mail.ru>"), replace(facts, people=(person,)), rules, journal.history)
        assert (d.owner, d.rule) == ("petrov", "territory"), person
    # the extractor took the sender's own name for a greeting: still not addressed
    d = decide(mail(frm="Ирина Котова <kotova@mail.ru>"), replace(facts, people=(addressee("Ирина"),)), rules, journal.history)
    assert d.rule == "territory"
    assert "имя самого отправителя" in next(s.detail for s in d.trail if s.rule == "addressed")


def test_greeting_line_when_extraction_found_no_people(rules: Rules, journal: Store) -> None:
    facts = Facts(new_text="Дмитрий Сергеевич, добрый день!\nНужны коробки.", region=region("77", "ЦФО"))
    d = decide(mail(), facts, rules, journal.history)
    assert (d.owner, d.rule) == ("petrov", "addressed")


# --- absence ------------------------------------------------------------------------------------------------------


def test_absence_backup_after_any_rule(rules: Rules, journal: Store) -> None:
    d = decide(mail(to="d.petrov@severkarton.test", date="Fri, 11 Jul 2025 09:00:00 +0300"), Facts(), rules, journal.history)
    assert (d.owner, d.rule, d.base_rule, d.base_owner, d.notify) == ("ivanova", "absence_backup", "addressed", "petrov", ("petrov",))
    assert d.reasons[-1] == "Петров в отпуске 07.07–20.07 → заместитель Иванова"
    assert d.trail[-1].rule == "absence_backup" and d.trail[-1].matched
    assert "11.07.2025 по заголовку Date" in d.trail[-1].detail


def test_public_sector_during_leave(rules: Rules, journal: Store) -> None:
    facts = Facts(company=company("ГБУЗ РК «Республиканская детская больница»", "ГБУЗ", public=True))
    d = decide(mail(date="Mon, 16 Jun 2025 09:12:00 +0300"), facts, rules, journal.history)
    assert (d.owner, d.rule, d.base_rule, d.base_owner) == ("orlov", "absence_backup", "public_sector", "kuznetsova")


@pytest.mark.parametrize(
    ("header", "away"),
    [
        ("Mon, 16 Jun 2025 03:30:00 +0700", False),  # 15.06 23:30 in Moscow
        ("Mon, 16 Jun 2025 02:30:00 +0500", True),  # 16.06 00:30 in Moscow
        ("Sun, 15 Jun 2025 22:30:00 -0300", True),  # 16.06 04:30 in Moscow
        ("Fri, 27 Jun 2025 23:30:00 -0200", False),  # 28.06 04:30 in Moscow
        ("Sat, 28 Jun 2025 01:30:00 +0700", True),  # 27.06 21:30 in Moscow
    ],
)
def test_absence_day_is_the_moscow_date_of_the_date_header(rules: Rules, journal: Store, header: str, away: bool) -> None:
    d = decide(mail(to="e.kuznetsova@severkarton.test", date=header), Facts(), rules, journal.history)
    assert d.owner == ("orlov" if away else "kuznetsova")


def test_no_date_header_uses_received_at(rules: Rules, journal: Store) -> None:
    msg = mail(to="e.kuznetsova@severkarton.test", date=None)
    assert decide(msg, Facts(), rules, journal.history).owner == "kuznetsova"  # no date at all: no substitution
    at = datetime(2025, 6, 20, 8, 0, tzinfo=UTC)
    d = decide(msg, Facts(), rules, journal.history, received_at=at)
    assert (d.owner, d.base_owner) == ("orlov", "kuznetsova")
    assert "по времени получения" in d.trail[-1].detail


def test_backup_also_away(rules: Rules, journal: Store) -> None:
    extra = Absence("ivanova", date(2025, 7, 10), date(2025, 7, 12), "orlov", "на больничном")
    variant = replace(rules, absences=(*rules.absences, extra))
    msg = mail(to="d.petrov@severkarton.test", date="Fri, 11 Jul 2025 09:00:00 +0300")
    d = decide(msg, Facts(), variant, journal.history)  # the example says: then the head
    assert (d.owner, d.base_owner) == ("volkov", "petrov")
    assert d.reasons[-3:] == (
        "Петров в отпуске 07.07–20.07 → заместитель Иванова",
        "Иванова на больничном 10.07–12.07 → заместитель Орлов",
        "заместители тоже отсутствуют → руководитель Волков",
    )
    chained = replace(variant, department=replace(variant.department, backup_chain=True))
    d = decide(msg, Facts(), chained, journal.history)
    assert (d.owner, d.base_owner, d.notify) == ("orlov", "petrov", ("petrov",))


# --- pool -----------------------------------------------------------------------------------------------------------


def test_pool_round_robin_continues_from_history_and_skips_the_absent(rules: Rules, journal: Store) -> None:
    owners = [route(rules, journal, mail(), Facts()).owner for _ in range(6)]
    assert owners == ["ivanova", "petrov", "sidorov", "orlov", "smirnova", "ivanova"]
    august = "Wed, 06 Aug 2025 12:00:00 +0300"  # sidorov is away
    owners = [route(rules, journal, mail(date=august), Facts()).owner for _ in range(5)]
    assert owners == ["petrov", "orlov", "smirnova", "ivanova", "petrov"]
    d = decide(mail(date=august), Facts(), rules, journal.history)
    assert d.pool == "main"
    assert d.reasons[-1] == "пропущены: Сидоров в отпуске до 15.08"
    # a new journal (another run) would start over; the same one carries on
    assert decide(mail(date=august), Facts(), rules, memory_store().history).owner == "ivanova"


def test_pool_weighted_and_least_loaded(rules: Rules, journal: Store) -> None:
    assert rules.pool is not None
    managers = dict(rules.managers)
    managers["orlov"] = replace(managers["orlov"], weight=3.0)
    weighted = replace(rules, pool=replace(rules.pool, method="weighted"), managers=managers)
    now = datetime(2025, 6, 9, 7, 0, tzinfo=UTC)
    owners = [route(weighted, journal, mail(), Facts(), received_at=now).owner for _ in range(7)]
    assert owners.count("orlov") == 3 and set(owners) == set(rules.pool.members)
    least = replace(rules, pool=replace(rules.pool, method="least_loaded"))
    fresh = memory_store()
    route(least, fresh, mail(frm="x@kareliafish.ru"), Facts(), received_at=now)  # orlov +1 (client_domain)
    owners = [route(least, fresh, mail(), Facts(), received_at=now).owner for _ in range(5)]
    assert owners[:4] == ["ivanova", "petrov", "sidorov", "smirnova"]  # orlov already had one
    assert owners[4] == "ivanova"  # all even: round-robin order after the last pool owner


def test_pool_caps_and_duty_days(rules: Rules, journal: Store) -> None:
    managers = dict(rules.managers)
    managers["ivanova"] = replace(managers["ivanova"], daily_cap=1)
    managers["petrov"] = replace(managers["petrov"], duty=(0, 1, 2, 3, 4))  # weekdays only
    variant = replace(rules, managers=managers)
    now = datetime.now(UTC)
    saturday = "Sat, 14 Jun 2025 10:00:00 +0300"
    owners = [route(variant, journal, mail(date=saturday), Facts(), received_at=now).owner for _ in range(5)]
    assert owners == ["ivanova", "sidorov", "orlov", "smirnova", "sidorov"]


def test_everyone_away_falls_back(rules: Rules, journal: Store) -> None:
    away = tuple(Absence(m, date(2025, 6, 1), date(2025, 6, 30), "volkov") for m in ("ivanova", "petrov", "sidorov", "orlov", "smirnova"))
    variant = replace(rules, absences=away)
    d = decide(mail(), Facts(), variant, journal.history)
    assert (d.owner, d.rule) == ("volkov", "fallback")
    assert next(s for s in d.trail if s.rule == "pool").detail.startswith("в пуле сейчас никого: ")
    triage = replace(variant, rules=tuple(replace(r, options=FallbackOptions(owner=None), action="triage") if r.id == "fallback" else r for r in variant.rules))
    d = decide(mail(), Facts(), triage, journal.history)
    assert (d.action, d.owner) == ("triage", None)


def test_disabled_rule_is_in_the_trail(rules: Rules, journal: Store) -> None:
    variant = replace(rules, rules=tuple(replace(r, enabled=False) if r.id == "client_domain" else r for r in rules.rules))
    d = decide(mail(frm="zakupki@kareliafish.ru"), Facts(region=region("10", "СЗФО")), variant, journal.history)
    assert (d.owner, d.rule) == ("petrov", "territory")
    assert any(s.rule == "client_domain" and s.detail == "правило выключено (enabled = false)" for s in d.trail)


def test_segment(rules: Rules, journal: Store) -> None:
    spec = RuleSpec("pharma", "segment", "forward", SegmentOptions(owner="smirnova", keywords=("аптека",), okved=("21.20",)))
    variant = replace(rules, rules=(*rules.rules[:-3], spec, *rules.rules[-3:]))
    assert decide(mail(body="Мы сеть аптек"), Facts(new_text="Мы сеть аптек"), variant, journal.history).owner == "smirnova"
    assert decide(mail(), Facts(new_text="ОКВЭД 21.20.1"), variant, journal.history).owner == "smirnova"
    assert decide(mail(), Facts(new_text="коробки"), variant, journal.history).rule == "pool"


# --- not_a_request ------------------------------------------------------------------------------------------------------


def test_not_a_request_skips(base_rules: Rules, journal: Store) -> None:
    raw = (
        "From: kofe@coffee-house.ru\nTo: sales@severkarton.test\nSubject: Автоматический ответ: Заявка\n"
        "Auto-Submitted: auto-replied\nDate: Mon, 09 Jun 2025 10:00:00 +0300\nMessage-ID: <ar1@coffee-house.ru>\n"
        "Content-Type: text/plain; charset=utf-8\n\nЯ в отпуске до 20 июня.\n"
    ).encode()
    d = decide(parse(raw), Facts(), base_rules, journal.history)
    assert (d.action, d.owner, d.rule) == ("skip", None, "not_a_request")
    assert len(d.reasons) == 1 and d.trail[0].matched


# --- JSON views ---------------------------------------------------------------------------------------------------------


def test_describe_company_and_region(rules: Rules, journal: Store) -> None:
    d = decide(mail(frm="zakupki@kareliafish.ru"), Facts(region=region("78", "СЗФО")), rules, journal.history)
    assert describe_company(Facts(), d, rules) == {
        "name": "ООО «Карельская форель»", "inn": "1001328149", "kpp": "100101001", "ogrn": "1211001580460", "client": True,
    }  # fmt: skip
    described = describe_region(Facts(), d, rules)
    assert described is not None and described["code"] == "10"
    facts = replace(with_inn("ООО «Новая»", "5406248153", "body"), region=region("54", "СФО", "inn", "Новосибирская область"))
    d = decide(mail(), facts, rules, journal.history)
    assert describe_company(facts, d, rules) == {"name": "ООО «Новая»", "inn": "5406248153", "kpp": None, "ogrn": None, "client": False}
    assert describe_region(facts, d, rules) == {"code": "54", "name": "Новосибирская область", "district": "СФО"}
    skipped = Decision(action="skip", owner=None, rule="not_a_request", reasons=("рассылка",))
    assert describe_company(facts, skipped, rules) is None and describe_region(facts, skipped, rules) is None
    assert describe_company(Facts(), decide(mail(), Facts(), rules, journal.history), rules) is None
