"""The not-a-request classifier: the sample corpus, small hand-made cases, and the MIME
torture corpus (it must never raise)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest
from samples import CORPUS, MIME_CORPUS, mime_corpus_files

from inboxbot.mail.asks import asks_us, new_text
from inboxbot.mail.classify import KINDS, Verdict, classify
from inboxbot.mail.message import parse

SETTINGS: dict[str, list[str]] = {
    "internal_domains": ["severkarton.test"],
    "bot_addresses": ["sales-bot@severkarton.test"],
    "loop_headers": ["X-SK-Triage", "X-Inboxbot"],
    "shared_addresses": ["sales@severkarton.test", "zakaz@severkarton.test"],
}


def verdict(raw: bytes) -> Verdict:
    return classify(parse(raw), **SETTINGS)  # type: ignore[arg-type]


def mail(
    body: str = "",
    *,
    subject: str = "Вопрос",
    sender: str = "Иван Петров <ivan@client.ru>",
    to: str = "sales@severkarton.test",
    cc: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attach: bytes | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = "<t1@client.ru>"
    for key, value in (headers or {}).items():
        msg[key] = value
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    if attach is not None:
        msg.add_attachment(attach, maintype="message", subtype="rfc822", filename="original.eml")  # type: ignore[arg-type]
    return msg.as_bytes()


# --- the sample corpus -----------------------------------------------------------------


def _corpus_cases() -> list[tuple[str, str]]:
    labels = CORPUS / "labels.json"
    if not labels.is_file():  # fail loudly: a missing corpus must not pass as zero tests
        return [("labels.json missing", "forward")]
    return sorted((name, item["expected_action"]) for name, item in json.loads(labels.read_text("utf-8")).items())


@pytest.mark.parametrize(("name", "expected"), _corpus_cases())
def test_sample_corpus(name: str, expected: str) -> None:
    path = CORPUS / name
    assert path.is_file(), f"sample corpus missing: {path}"
    result = verdict(path.read_bytes())
    assert ("forward" if result.is_request else "skip") == expected, result
    assert "\n" not in result.reason and result.reason


def test_sample_corpus_kinds() -> None:
    kinds = {name: verdict((CORPUS / name).read_bytes()).kind for name, _ in _corpus_cases()}
    assert kinds["002-pakmarket-novosti.eml"] == "bulk"
    assert kinds["015-avtootvet-kofe-haus.eml"] == "auto_reply"
    assert kinds["025-undelivered-mailbox-full.eml"] == "bounce"
    assert kinds["028-bot-petlya-belyy-medved.eml"] == "own"
    assert kinds["029-podbor-personala-predlozhenie.eml"] == "offer"


# --- hand-made cases -------------------------------------------------------------------

REQUEST = "Добрый день! Просим выставить счёт на короба 400х300х300 — 2 000 шт.\n\nИван"

CASES: list[tuple[str, bytes, str]] = [
    # auto-replies
    ("auto-submitted", mail("Я в отпуске до 28 июля.", headers={"Auto-Submitted": "auto-replied"}), "auto_reply"),
    ("auto-generated", mail("Ваше письмо получено.", headers={"Auto-Submitted": "auto-generated"}), "auto_reply"),
    ("auto-submitted no", mail(REQUEST, headers={"Auto-Submitted": "no"}), "request"),
    ("x-autoreply", mail("Спасибо, ваше письмо получено.", headers={"X-Autoreply": "yes"}), "auto_reply"),
    ("x-autorespond", mail("Thank you", headers={"X-Autorespond": "1"}), "auto_reply"),
    ("subject avtootvet", mail("Меня нет на месте.", subject="Автоматический ответ: Заказ"), "auto_reply"),
    ("subject out of office", mail("I am away.", subject="Out of Office: order"), "auto_reply"),
    ("vacation body", mail("Здравствуйте! Я в отпуске до 4 августа, вернусь 5 августа."), "auto_reply"),
    (
        "vacation with redirect",
        mail("Я в отпуске до 4.08. По срочным вопросам прошу обращаться к Анне: anna@client.ru"),
        "auto_reply",
    ),
    (
        "vacation but a request",
        mail("Я в отпуске до понедельника, но прошу выставить счёт на стрейч 500/20 — 30 рулонов."),
        "request",
    ),
    (
        "auto header but an order",
        mail("Заказ поставщику № 118: короб 600х400х400 — 500 шт.", headers={"Auto-Submitted": "auto-generated"}),
        "request",
    ),
    # bounces and receipts
    ("mailer-daemon", mail("could not be delivered", sender="MAILER-DAEMON@mx.client.ru"), "bounce"),
    ("postmaster", mail("Mailbox full", sender="postmaster@client.ru", subject="Delivery failure"), "bounce"),
    ("null return-path", mail("Сообщение не доставлено", headers={"Return-Path": "<>"}), "bounce"),
    (
        "undelivered subject",
        mail(
            "Your message...", sender="Mail Delivery System <mds@mx.ru>", subject="Undelivered Mail Returned to Sender"
        ),
        "bounce",
    ),
    (
        "complaint is not a bounce",
        mail("Заказ № 55 не доставлен, просим разобраться.", subject="Заказ не доставлен"),
        "request",
    ),
    (
        "receipt subject",
        mail("Ваше сообщение было прочитано 12.07.2025 10:14.", subject="Прочитано: Заявка"),
        "read_receipt",
    ),
    ("read subject", mail("Your message was read.", subject="Read: order"), "read_receipt"),
    # bulk
    ("list-unsubscribe", mail("Новинки недели", headers={"List-Unsubscribe": "<https://x.ru/u>"}), "bulk"),
    ("list-id", mail("Обсуждение", headers={"List-Id": "<pack.lists.example>"}), "bulk"),
    ("precedence bulk", mail("Акция!", headers={"Precedence": "bulk"}), "bulk"),
    ("precedence junk", mail("Акция!", headers={"Precedence": "junk"}), "bulk"),
    (
        "helpdesk reply in thread",
        mail(
            "Просим выставить счёт на 10 рулонов.",
            subject="Re: КП на стрейч",
            headers={"Precedence": "bulk", "In-Reply-To": "<kp1@severkarton.test>"},
        ),
        "request",
    ),
    # own mail
    ("bot sender", mail("Письмо переслано автоматически.", sender="sales-bot@severkarton.test"), "own"),
    ("loop header", mail(REQUEST, headers={"X-Inboxbot": "forwarded"}), "own"),
    ("shared box to itself", mail(REQUEST, sender="sales@severkarton.test"), "own"),
    # internal
    (
        "manager reply-all",
        mail(
            "Сергей, добрый день! Счёт во вложении.\n\nОт: Лунёв Сергей <s.lunev@donpak.ru>\nПрошу выставить счёт",
            sender="Сидоров Алексей <a.sidorov@severkarton.test>",
            subject="RE: Счёт на стрейч",
            to="s.lunev@donpak.ru",
            cc="sales@severkarton.test",
        ),
        "internal",
    ),
    (
        "manager sends contract in a reply",
        mail(
            "Пересылаю договор, подпишите.\n\nОт: Лунёв Сергей <s.lunev@donpak.ru>\nПришлите договор",
            sender="a.sidorov@severkarton.test",
            subject="Re: договор",
            cc="sales@severkarton.test",
        ),
        "internal",
    ),
    ("colleague question", mail("Коллеги, кто сегодня дежурит?", sender="e.kuznetsova@severkarton.test"), "internal"),
    (
        "reception forward text",
        mail(
            "Пришло на info@, пересылаю.\n\n-------- Пересылаемое сообщение --------\n"
            "От: Егор <smolin@yandex.ru>\nКому: info@severkarton.test\n\nНужен гофрокартон.",
            sender="reception@severkarton.test",
            subject="Fwd: упаковка",
        ),
        "request",
    ),
    (
        "forward as attachment",
        mail(
            "См. вложение",
            sender="reception@severkarton.test",
            subject="Fwd: заявка",
            attach=mail(REQUEST, sender="Ольга <olga@shop.ru>"),
        ),
        "request",
    ),
    (
        "forward without the original's sender line",
        mail("Пришло на info@severkarton.test, пересылаю: нужны коробки 20 шт.", sender="reception@severkarton.test"),
        "request",
    ),
    (
        "internal forward of internal mail",
        mail(
            "---------- Forwarded message ---------\nFrom: Волков <a.volkov@severkarton.test>\n\nПлан на июль",
            sender="i.ivanova@severkarton.test",
            subject="Fwd: план",
        ),
        "internal",
    ),
    ("subdomain is internal too", mail("Обед в 13:00", sender="it@mx.severkarton.test"), "internal"),
    # offers, robots, spam
    (
        "staffing agency",
        mail(html="<p>Кадровое агентство «Профи» подберёт менеджеров.</p>", subject="Подбор персонала"),
        "offer",
    ),
    ("carrier", mail("Предлагаем услуги по грузоперевозкам по РФ. Будем рады сотрудничеству."), "offer"),
    ("seo", mail("Выведем ваш сайт в ТОП: SEO продвижение сайта под ключ."), "offer"),
    ("supplier", mail("Мы являемся производителем стрейч-плёнки и готовы поставить её по выгодной цене."), "offer"),
    ("kp for you", mail("Коммерческое предложение для вашей компании во вложении.", subject="КП"), "offer"),
    (
        "client asks for kp",
        mail("Просим направить коммерческое предложение на гофрокороба.", subject="Запрос КП"),
        "request",
    ),
    ("client asks kp short", mail("Пришлите КП на скотч 48 мм, пожалуйста.", subject="КП"), "request"),
    (
        "offer that also orders",
        mail("Предлагаем сотрудничество. Заодно просим выставить счёт на 100 коробок."),
        "request",
    ),
    ("edo robot", mail("Вам поступил документ от ООО «Ромашка»", sender="noreply@diadoc.ru"), "spam"),
    (
        "tender digest",
        mail("Новые закупки по вашим ключевым словам: упаковка", subject="Новые закупки по вашим ключевым словам"),
        "spam",
    ),
    ("procurement platform", mail("Извещение", sender="robot@b2b-center.ru"), "spam"),
    (
        "buyer at a robot's company",
        mail("Просим выставить счёт на 200 коробов 600х400х400.", sender="zakupki@kontur.ru"),
        "request",
    ),
    ("casino", mail("Казино онлайн — бонус 200%!"), "spam"),
    ("pitch asks if we need", mail("Вам нужны опытные менеджеры? Кадровое агентство подберёт за 14 дней."), "offer"),
    (
        "customer tender invitation",
        mail("ГБУЗ «Больница № 3» приглашает принять участие в запросе котировок на поставку коробок."),
        "request",
    ),
    ("webinar invitation", mail("Приглашаем вас на вебинар об упаковке для маркетплейсов."), "offer"),
    # plain requests
    ("plain request", mail(REQUEST), "request"),
    ("price question", mail("Сколько стоит рулон ВПП 1,5 м?"), "request"),
    ("english inquiry", mail("Hello, we need 10,000 cartons. Please send your offer.", subject="Inquiry"), "request"),
    ("empty mail", mail(""), "request"),
]


@pytest.mark.parametrize(("name", "raw", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cases(name: str, raw: bytes, expected: str) -> None:
    result = verdict(raw)
    assert result.kind == expected, result
    assert result.reason and "\n" not in result.reason


def test_reason_names_the_evidence() -> None:
    assert verdict(mail("x", headers={"Auto-Submitted": "auto-replied"})).reason == (
        "автоответ (заголовок Auto-Submitted: auto-replied)"
    )
    assert verdict(mail("x", headers={"List-Unsubscribe": "<u>"})).reason == "рассылка (заголовок List-Unsubscribe)"
    assert verdict(mail("x", sender="sales-bot@severkarton.test")).reason == (
        "собственное письмо бота (отправитель sales-bot@severkarton.test)"
    )


def test_verdict_validates_kind() -> None:
    assert Verdict("request", "x").is_request
    assert not Verdict("bulk", "x").is_request
    with pytest.raises(ValueError, match="valid: request"):
        Verdict("newsletter", "x")
    assert len(KINDS) == 9


def test_helpers() -> None:
    assert new_text("Спасибо!\n\nОт: Иван <i@x.ru>\nПрошу счёт").strip() == "Спасибо!"
    assert new_text("Да.\n\n> прошу счёт").strip() == "Да."
    assert asks_us("По срочным вопросам прошу обращаться к Анне.") is None
    assert asks_us("Прошу выставить счёт.") == "Прошу"
    assert asks_us("Минимальный заказ 10 шт.", strict=True) is None


# --- the MIME torture corpus -----------------------------------------------------------


def test_mime_corpus_is_there() -> None:
    assert len(mime_corpus_files()) == 272


@pytest.mark.parametrize("path", mime_corpus_files(), ids=lambda p: str(p.relative_to(MIME_CORPUS)))
def test_mime_corpus_never_raises(path: Path) -> None:
    assert path.is_file(), f"missing: {path}"
    result = verdict(path.read_bytes())
    assert result.kind in KINDS and result.reason
