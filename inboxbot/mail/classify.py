"""Is this mail a request at all? Auto-replies, bounces, read receipts, mailing lists, the
bot's own mail, internal chatter and cold offers to us are not. Pure.

The costs are lopsided: a skipped real request is a lost customer, a forwarded newsletter
costs a manager two seconds. So every "not a request" verdict that rests on wording (not
on a header a machine sets) is overruled when the new text asks us for something, and an
internal mail that forwards an external one is a request. Only the bot's own mail is
skipped unconditionally: forwarding it again would loop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from inboxbot.mail.asks import ACKNOWLEDGEMENT, asks_us, listings, new_text, without_listings
from inboxbot.mail.message import ParsedMessage
from inboxbot.mail.signals import (
    DOUBT,
    NO_REPLY_SENDER,
    SERVICE_DOMAINS,
    SKIP,
    Signal,
    listed,
    phishing_signals,
    pitch_signals,
    robot_signals,
    total,
)
from inboxbot.model.domains import domain_in
from inboxbot.model.subjects import FORWARD_SUBJECT, PLAIN_REPLY_SUBJECT

KINDS = ("request", "auto_reply", "bounce", "read_receipt", "bulk", "own", "internal", "offer", "spam")


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: str  # one of KINDS
    reason: str  # Russian, one line: «автоответ (заголовок Auto-Submitted: auto-replied)»
    signals: tuple[Signal, ...] = ()  # the weighted signs the wording verdicts rest on
    doubt: str = ""  # a request that may not be one: the warning line for the forward
    by_header: bool = False  # a header a mail server or robot sets says so, not a subject or wording

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown verdict kind {self.kind!r}; valid: {', '.join(KINDS)}")

    @property
    def is_request(self) -> bool:
        return self.kind == "request"


# --- machine signals -------------------------------------------------------------------

BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|delivery (?:status notification|failure|has failed)|mail delivery failed|"
    r"failure notice|недоставлен|не доставлен|не удалось доставить|ошибка доставки",
    re.IGNORECASE,
)
_RECEIPT_SUBJECT = re.compile(
    r"^(?:прочитано|прочтено|read|read receipt|уведомление о прочтении|return receipt)\s*[:(]", re.IGNORECASE
)
AUTO_SUBJECT = re.compile(
    r"автоматический ответ|автоответ|out of (?:the )?office|auto[- ]?reply|automatic reply|autoresponse|"
    r"я в отпуске|нахожусь в отпуске|нет на месте|отсутствую",
    re.IGNORECASE,
)
_AUTO_BODY = re.compile(
    r"я в отпуске|нахожусь в отпуске|буду в отпуске|в отпуске (?:до|с)\b|нахожусь в командировке|"
    r"буду отсутствовать|отсутствую (?:в офисе|до|с)|не смогу ответить|вернусь \d|вернусь в офис|"
    r"out of (?:the )?office|on (?:annual )?leave|on vacation|limited access to (?:my )?e-?mail|"
    r"это автоматическ|автоматическое сообщение|this is an automatic",
    re.IGNORECASE,
)
# Robots of e-procurement platforms and EDO operators (tender digests, «вам поступил документ»).
# A customer's own «извещение о закупке» sent to us is a lead, not a robot: no such subjects here.
ROBOT_DOMAINS = frozenset(
    ["zakupki.gov.ru", "b2b-center.ru", "roseltorg.ru", "sberbank-ast.ru", "rts-tender.ru", "fabrikant.ru", "tektorg.ru", "etp-ets.ru", "etpgpb.ru", "otc.ru", "tender.pro", "zakazrf.ru", "lot-online.ru", "etp.zakazrf.ru", "torgi.gov.ru", "tenderplan.ru", "tenderguru.ru", "tendery.ru", "rostender.info", "bicotender.ru", "zakupki.kontur.ru", "diadoc.ru", "kontur.ru", "sbis.ru", "tensor.ru", "taxcom.ru", "astral.ru", "1c-edo.ru", "esphere.ru", "edo.ru", "synerdocs.ru", "korus.ru"]
)
_ROBOT_SUBJECT = re.compile(
    r"новые (?:закупки|тендеры)|подборка (?:закупок|тендеров)|по вашим ключевым словам|"
    r"(?:вам )?поступил (?:новый )?документ|приглашение к (?:обмену|электронному документообороту)|"
    r"оператор(?:а)? ЭДО|уведомление о поступлении (?:нового )?(?:электронного )?документа|"
    r"новые (?:торги|извещения)|по вашему (?:фильтру|поисковому запросу)|результаты (?:поиска|мониторинга) (?:закупок|тендеров)",
    re.IGNORECASE,
)
_SUBSCRIPTION = re.compile(r"отписаться|по вашему (?:фильтру|поисковому запросу)|по вашим ключевым словам|unsubscribe", re.IGNORECASE)
# Asking us for our offer is the opposite of an offer.
_ASK_OFFER = re.compile(
    r"(?:пришлите|вышлите|направьте|предоставьте|подготовьте|просим|прошу|ждём|ждем)\W+(?:\w+\W+){0,3}"
    r"(?:кп|коммерческое предложение|коммерческого предложения|предложение|прайс|цены|счёт|счет)",
    re.IGNORECASE,
)
_SPAM = re.compile(
    r"казино|ставки на спорт|выигрыш|криптовалют|bitcoin|заработок от|пассивный доход|viagra|"
    r"ваш (?:аккаунт|ящик) (?:заблокирован|будет удал)|подтвердите (?:пароль|учётную запись)",
    re.IGNORECASE,
)
# Forward blocks and «пришло на info@» are unmistakable; «пересылаю» in a reply («Re:») is
# more often «I am forwarding you the contract» to the client, so it counts only outside replies.
_FORWARD_STRONG = re.compile(
    r"пересылаемое сообщение|forwarded message|начало переадресованного|begin forwarded|переадресованное|"
    r"пришл[оа] на (?:почту |ящик |адрес )?\S*@|пришл[оа] на info",
    re.IGNORECASE,
)
_FORWARD_WEAK = re.compile(r"пересылаю|переслал[а]?|forwarding", re.IGNORECASE)
_FROM_LINE = re.compile(r"^\s*(?:От|From|Отправитель)\s*:.*?([\w.+-]+@[\w.-]+\.\w+)", re.IGNORECASE | re.MULTILINE)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _content_params(msg: ParsedMessage) -> str:
    return (msg.header("content-type") or "").lower()


def _part_types(msg: ParsedMessage) -> set[str]:
    return {a.content_type.lower() for a in msg.attachments}


# --- the verdict -----------------------------------------------------------------------


def classify(
    msg: ParsedMessage,
    *,
    internal_domains: Sequence[str],
    bot_addresses: Sequence[str],
    loop_headers: Sequence[str],
    shared_addresses: Sequence[str] = (),
) -> Verdict:
    """Decide whether a mail is a request to forward, and if not, what it is and why."""
    sender = msg.sender.email if msg.sender else ""
    body = new_text(msg.text)
    # The body only: an auto-reply's subject echoes the original («Автоответ: Заказ»).
    ask = asks_us(_asking_text(msg, sender, body))

    # 1. Our own mail. Unconditional: re-forwarding it would loop.
    for name in loop_headers:
        if msg.header(name) is not None:
            return Verdict("own", f"собственное письмо бота (заголовок {name})")
    bots = {a.lower() for a in bot_addresses}
    if sender in bots:
        return Verdict("own", f"собственное письмо бота (отправитель {sender})")
    if sender and sender in {a.lower() for a in shared_addresses}:
        return Verdict("own", f"письмо из общего ящика самому себе (отправитель {sender})")

    # 2. Machine reports: nobody wrote these.
    verdict = _report(msg, sender)
    if verdict is not None:
        return verdict

    # 3. Auto-replies: headers set by mail servers, or the out-of-office wording — unless
    # the text also asks for something («я в отпуске, но прошу выставить счёт»).
    verdict = _auto_reply(msg, body)
    if verdict is not None:
        if ask and not _acknowledges(verdict, body):
            return Verdict("request", f"запрос: есть просьба («{_short(ask, 40)}»), хотя похоже на автоответ")
        return verdict

    # 4. Mailing lists. A reply in a thread sent through a helpdesk that stamps
    # Precedence: bulk on everything still counts when it asks for something.
    verdict = _bulk(msg)
    if verdict is not None:
        if ask and msg.in_reply_to and PLAIN_REPLY_SUBJECT.match(msg.subject):
            return Verdict(
                "request", f"запрос: ответ в переписке с просьбой («{_short(ask, 40)}»), хотя {verdict.reason}"
            )
        return verdict

    # 5. Internal mail, unless a colleague forwards an external one.
    if sender and domain_in(sender.rpartition("@")[2], internal_domains):
        return _internal(msg, sender, internal_domains)

    # 6. Robots of procurement platforms and EDO operators. Their companies buy packaging
    # too, so a mail from the domain that plainly asks for something stays a request.
    strict_ask = asks_us(_asking_text(msg, sender, body), strict=True) or asks_us(msg.subject, strict=True)
    domain = sender.rpartition("@")[2]
    if domain and domain_in(domain, tuple(ROBOT_DOMAINS)) and not strict_ask:
        return Verdict("spam", f"уведомление торговой площадки или оператора ЭДО ({domain})")
    robot = _ROBOT_SUBJECT.search(msg.subject)
    if robot and not ask:
        return Verdict("spam", f"уведомление площадки или ЭДО (тема: «{_short(robot.group(), 40)}»)")

    # 7. Offers to us and spam: wording only, so a request phrase always wins.
    spam = _SPAM.search(f"{msg.subject}\n{body}")
    if spam and not ask:
        return Verdict("spam", f"спам («{_short(spam.group(), 40)}»)")
    return _scored(msg, sender, body, ask, strict_ask)


def _asking_text(msg: ParsedMessage, sender: str, body: str) -> str:
    """The text to look for the sender's request in: a digest robot's tender listings
    (several, with a robot's sign besides) are the customers' words, not the sender's."""
    if listings(body) < 2:
        return body
    domain = sender.rpartition("@")[2]
    robot = (
        bool(NO_REPLY_SENDER.match(sender))
        or (bool(domain) and domain_in(domain, tuple(ROBOT_DOMAINS)))
        or bool(_ROBOT_SUBJECT.search(msg.subject))
        or bool(_SUBSCRIPTION.search(body))
    )
    return without_listings(body) if robot else body


def _scored(msg: ParsedMessage, sender: str, body: str, ask: str | None, strict_ask: str | None) -> Verdict:
    """Pitches to us, robots' notices, phishing: a sum of named signals. Skip only when
    it reaches SKIP and nothing asks us for anything; from DOUBT up, forward with a warning."""
    plain = "запрос: нет признаков автоответа, рассылки, служебного или внутреннего письма"
    asks_offer = bool(_ASK_OFFER.search(body))
    pitch = [] if asks_offer else pitch_signals(f"{msg.subject}\n{body}", has_ask=bool(strict_ask))
    has_pdf = any(a.content_type.lower() == "application/pdf" or a.filename.lower().endswith(".pdf") for a in msg.attachments)
    other = [
        *robot_signals(
            sender,
            f"{msg.subject}\n{body}",
            bool(sender) and domain_in(sender.rpartition("@")[2], tuple(SERVICE_DOMAINS)),
            listings=listings(body),
        ),
        *phishing_signals(f"{msg.subject}\n{body}", has_pdf=has_pdf),
    ]
    signals = tuple(pitch + other)
    score = total(signals)
    if not signals or score < DOUBT:
        return Verdict("request", plain)
    phishing = any(s.name.startswith("счёт на оплату") for s in signals)
    # «Счёт на …» is a client's request word, and the phishing mail's own bait.
    if strict_ask and not (phishing and re.match(r"сч[её]т", strict_ask, re.IGNORECASE)):
        return Verdict("request", f"запрос: есть просьба («{_short(strict_ask, 40)}»); {listed(signals)}", signals)
    if score >= SKIP:
        if pitch and total(pitch) >= max(total(other), DOUBT):
            first = pitch[0].evidence
            return Verdict("offer", f"предложение нам, а не запрос («{first}»); {listed(signals)}", signals)
        if phishing:
            return Verdict("spam", f"похоже на фишинг: счёт на оплату по ссылке; {listed(signals)}", signals)
        return Verdict("spam", f"служебное уведомление робота; {listed(signals)}", signals)
    doubt = "возможно, не заявка: " + ", ".join(s.describe() for s in signals)
    return Verdict("request", f"{plain}; {listed(signals)} — меньше {SKIP:g}, письмо не пропущено", signals, doubt)


def _report(msg: ParsedMessage, sender: str) -> Verdict | None:
    ctype = _content_params(msg)
    parts = _part_types(msg)
    if "disposition-notification" in ctype or "message/disposition-notification" in parts:
        return Verdict("read_receipt", "уведомление о прочтении (disposition-notification)")
    if BOUNCE_SENDERS.match(sender):
        return Verdict("bounce", f"отчёт о недоставке (отправитель {sender})")
    if msg.content_type == "multipart/report" or "message/delivery-status" in parts:
        return Verdict("bounce", "отчёт о недоставке (multipart/report, delivery-status)")
    return_path = (msg.header("return-path") or "").strip()
    # A subject alone is weak («Заказ не доставлен» is a client's complaint): only with a
    # null sender, or Postfix's exact wording.
    if (_BOUNCE_SUBJECT.search(msg.subject) and return_path == "<>") or msg.subject.startswith(
        "Undelivered Mail Returned to Sender"
    ):
        return Verdict("bounce", f"отчёт о недоставке (тема «{_short(msg.subject)}»)")
    if return_path == "<>" and not msg.header("auto-submitted"):
        # RFC 5321: only delivery reports go out with a null reverse path (auto-replies
        # too, but they carry Auto-Submitted and are handled next).
        return Verdict("bounce", "отчёт о недоставке (пустой Return-Path <>)")
    if (
        _RECEIPT_SUBJECT.match(msg.subject)
        and len(new_text(msg.text).strip()) < 400
        and not asks_us(new_text(msg.text))
    ):
        return Verdict("read_receipt", f"уведомление о прочтении (тема «{_short(msg.subject)}»)")
    return None


def _acknowledges(verdict: Verdict, body: str) -> bool:
    """A ticket system's acknowledgement, marked auto by a header, with nothing asked
    before the acknowledgement: whatever asks after it is the original it quotes, in
    whatever form the robot quotes it. Only a header, no wording: a client's MUA sets none."""
    ack = ACKNOWLEDGEMENT.search(body)
    return ack is not None and verdict.by_header and not asks_us(body[: ack.start()])


def _auto_reply(msg: ParsedMessage, body: str) -> Verdict | None:
    auto = (msg.header("auto-submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return Verdict("auto_reply", f"автоответ (заголовок Auto-Submitted: {auto.split(';')[0]})", by_header=True)
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        if msg.header(name) is not None:
            return Verdict("auto_reply", f"автоответ (заголовок {name.title()})", by_header=True)
    precedence = (msg.header("precedence") or "").strip().lower()
    if precedence == "auto_reply":
        return Verdict("auto_reply", "автоответ (заголовок Precedence: auto_reply)", by_header=True)
    subject = AUTO_SUBJECT.search(msg.subject)
    if subject:
        return Verdict("auto_reply", f"автоответ (тема «{_short(msg.subject)}»)")
    wording = _AUTO_BODY.search(body)
    if wording and len(body.strip()) < 800:
        return Verdict("auto_reply", f"автоответ («{_short(wording.group(), 40)}…» без просьбы)")
    return None


def _bulk(msg: ParsedMessage) -> Verdict | None:
    for name in ("list-id", "list-unsubscribe"):
        if msg.header(name) is not None:
            return Verdict("bulk", f"рассылка (заголовок {'List-Id' if name == 'list-id' else 'List-Unsubscribe'})")
    precedence = (msg.header("precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk"):
        return Verdict("bulk", f"рассылка (заголовок Precedence: {precedence})")
    return None


def _internal(msg: ParsedMessage, sender: str, internal_domains: Sequence[str]) -> Verdict:
    """A colleague's mail: a request only when it forwards an external sender's mail."""
    for inner in msg.forwarded:
        origin = inner.sender.email if inner.sender else ""
        if origin and not domain_in(origin.rpartition("@")[2], internal_domains):
            return Verdict("request", f"запрос: сотрудник {sender} переслал вложенное письмо от {origin}")
    head = msg.text[:3000]
    forward = (
        bool(FORWARD_SUBJECT.match(msg.subject))
        or bool(_FORWARD_STRONG.search(head))
        or (bool(_FORWARD_WEAK.search(head)) and not PLAIN_REPLY_SUBJECT.match(msg.subject))
    )
    if forward:
        quoted = msg.text[len(new_text(msg.text)) :]
        origins = [m.group(1).lower() for m in _FROM_LINE.finditer(quoted)]
        external = [o for o in origins if not domain_in(o.rpartition("@")[2], internal_domains)]
        if external:
            return Verdict("request", f"запрос: сотрудник {sender} переслал письмо от {external[0]}")
        if not origins:
            # «Пришло на info@, пересылаю» with the sender's line lost: the colleague says
            # it came from outside, and losing a request is worse than a stray forward.
            return Verdict("request", f"запрос: сотрудник {sender} пересылает письмо (отправитель не указан)")
        return Verdict("internal", f"внутренняя переписка (пересылка письма сотрудника {origins[0]})")
    return Verdict("internal", f"внутренняя переписка (отправитель {sender}, не пересылка внешнего письма)")
