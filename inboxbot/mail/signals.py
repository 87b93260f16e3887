"""Named, weighted signals that a mail is not a request to us: a pitch to us (a supplier
offering its goods, services or price list), a robot's notice (procurement platform, EDO
operator, bank, ticket system), a no-reply sender, a phishing «счёт на оплату» with a
link. Pure.

The verdict is a sum, read asymmetrically (a skipped request is a lost client): skip only
at SKIP or more; from DOUBT up the mail is still forwarded, with a warning line. A
first-person description of what the writer makes («Мы производим сыр») weighs little:
it is how clients introduce themselves, and a mail that also asks about our goods (a
need, a price, a quote) is a request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SKIP = 1.0
DOUBT = 0.3


@dataclass(frozen=True, slots=True)
class Signal:
    """One sign found: its name (Russian, for the decision trail), weight and evidence."""

    name: str
    weight: float
    evidence: str = ""

    def describe(self) -> str:
        quote = f" «{self.evidence}»" if self.evidence else ""
        return f"{self.name}{quote} (+{self.weight:g})"


def total(signals: Sequence[Signal]) -> float:
    return round(sum(s.weight for s in signals), 2)


def listed(signals: Sequence[Signal]) -> str:
    """«признаки: … ; сумма 1.3» for the trail."""
    return "признаки: " + ", ".join(s.describe() for s in signals) + f"; сумма {total(signals):g}"


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# A supplier selling to us: an offer of its goods or services.
PITCH = re.compile(
    r"\bпредлагаем\b|\bпредлагает\b|готовы (?:поставить|предложить|поставлять|оказать)|"
    r"коммерческое предложение (?:для вас|для вашей|вашей компании)|предложение о сотрудничестве|"
    r"\bоказываем\b|наши услуги|услуги по\b|кадров\w+ агентств|подбор\w* персонал|подбер[её]м|"
    r"\bseo\b|продвижени\w+ сайт|раскрутк|лидогенерац|увеличим (?:продажи|прибыль)|базы? клиентов|"
    r"грузоперевозк|перевозк\w+ груз|транспортн\w+ услуг|логистическ\w+ услуг|лизинг|факторинг|"
    r"скидк\w+ (?:для новых|на первый)|приглашаем (?:вас )?на (?:вебинар|выставк|конференц|форум|семинар)|вебинар|"
    r"ответьте на (?:это )?письмо,? (?:и|чтобы)",
    re.IGNORECASE,
)
# How clients introduce themselves, and suppliers too: weak on its own.
SELF_DESCRIPTION = re.compile(
    r"\bмы (?:производим|выпускаем|изготавливаем|являемся (?:производителем|поставщиком|дистрибьютором))|"
    r"наша компания (?:занимается|производит|является)|\bwe (?:manufacture|produce|are a (?:manufacturer|supplier))",
    re.IGNORECASE,
)
# Their price list or catalogue sent to us.
PRICE_LIST_TO_US = re.compile(
    r"(?:направляем|высылаем|отправляем|прилагаем|во вложении|в приложении)\W+(?:\w+\W+){0,2}"
    r"(?:наш\w*\s+)?(?:прайс|каталог|презентаци)|(?:наш|актуальный)\w*\s+прайс[- ]?лист\w*\s+(?:во вложении|прилага)",
    re.IGNORECASE,
)
# Robots' wording: ticket systems, procurement platforms, EDO operators, banks.
ROBOT_WORDING = re.compile(
    r"обращение (?:№\s*\S+\s+)?зарегистрировано|ваше обращение (?:принято|№)|номер (?:вашего )?обращения|"
    r"протокол подведения итогов|протокол рассмотрения заявок|итоги (?:закупки|торгов)|"
    r"уведомление о поступлении (?:документа|электронного документа)|поступил новый документ|"
    r"не отвечайте на (?:это|данное) письмо|письмо сформировано автоматически|do not reply to this",
    re.IGNORECASE,
)
NO_REPLY_SENDER = re.compile(
    r"^(?:no-?reply|do-?not-?reply|noreply\w*|robot|notify|notifications?|mailer|bounce\w*|info-noreply)[@+.]",
    re.IGNORECASE,
)
# Banks and ticket systems whose robots write to a sales mailbox.
SERVICE_DOMAINS = frozenset(
    ["sberbank.ru", "sber.ru", "alfabank.ru", "tinkoff.ru", "tbank.ru", "vtb.ru", "tochka.com", "modulbank.ru",
     "raiffeisen.ru", "psbank.ru", "zendesk.com", "freshdesk.com", "usedesk.ru", "omnidesk.ru", "helpdeskeddy.com",
     "okdesk.ru", "atlassian.net"]
)
# Phishing: an invoice to pay behind a link.
INVOICE = re.compile(r"сч[её]т(?:а)? на оплату|оплатите сч[её]т|сч[её]т\s*№\s*\S+\s+от|неоплаченн\w+ сч[её]т|задолженност", re.IGNORECASE)
LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
LINK_CALL = re.compile(r"(?:скачать|просмотреть|открыть|получить|посмотреть)\s+(?:сч[её]т|документ|файл)|по ссылке", re.IGNORECASE)


def pitch_signals(text: str, *, has_ask: bool) -> list[Signal]:
    """The pitch signals of the new text and subject. A self-description counts only
    when nothing in the mail asks us for anything."""
    found: list[Signal] = []
    pitch = PITCH.search(text)
    if pitch:
        found.append(Signal("предложение нам", 1.0, _short(pitch.group())))
    price = PRICE_LIST_TO_US.search(text)
    if price:
        found.append(Signal("нам прислали свой прайс или каталог", 0.7, _short(price.group())))
    own = SELF_DESCRIPTION.search(text)
    if own and not has_ask:
        found.append(Signal("описание своего производства", 0.3, _short(own.group())))
    return found


def robot_signals(sender: str, text: str, service_domain: bool) -> list[Signal]:
    """A no-reply sender, a bank's or ticket system's domain, a robot's wording."""
    found: list[Signal] = []
    if NO_REPLY_SENDER.match(sender):
        found.append(Signal("адрес робота", 0.4, sender))
    if service_domain:
        found.append(Signal("домен банка или системы заявок", 0.6, sender.rpartition("@")[2]))
    wording = ROBOT_WORDING.search(text)
    if wording:
        found.append(Signal("служебное уведомление", 0.7, _short(wording.group())))
    return found


def phishing_signals(text: str, *, has_pdf: bool) -> list[Signal]:
    """«Счёт на оплату» to open by a link, not attached: the usual phishing."""
    invoice = INVOICE.search(text)
    link = LINK.search(text)
    if not invoice or not link or has_pdf:
        return []
    found = [Signal("счёт на оплату по ссылке", 0.7, _short(invoice.group()))]
    call = LINK_CALL.search(text)
    if call:
        found.append(Signal("призыв открыть ссылку", 0.3, _short(call.group())))
    return found
