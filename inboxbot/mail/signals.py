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

from inboxbot.mail.asks import ACKNOWLEDGEMENT, INVITATION

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
    r"\bпредлагаем\b|\bпредлагает\b|готовы (?:поставить|предложить|поставлять|оказать)|(?:рады|хотим) предложить|"
    r"коммерческое предложение (?:для вас|для вашей|вашей компании)|предложение о сотрудничестве|"
    r"\bоказываем\b|наши услуги|услуги по\b|кадров\w+ агентств|подбор\w* персонал|подбер[её]м|"
    r"\bseo\b|продвижени\w+ сайт|раскрутк|лидогенерац|увеличим (?:продажи|прибыль)|базы? клиентов|"
    r"грузоперевозк|перевозк\w+ груз|транспортн\w+ услуг|логистическ\w+ услуг|лизинг|факторинг|"
    r"скидк\w+ (?:для новых|на первый)|приглашаем (?:вас )?на (?:вебинар|выставк|конференц|форум|семинар)|вебинар|"
    r"ответьте на (?:это )?письмо,? (?:и|чтобы)|"
    # The English pitch of a foreign supplier.
    r"\bwe would like to (?:introduce|offer|recommend)|\b(?:glad|happy|pleased) to (?:hear|know|learn)(?: that)? you|"
    r"\bwe (?:can|could) (?:offer|supply) (?:you|our|high|all|various|a wide)|\bfactory[- ]direct|"
    r"\b(?:would|are) you (?:be )?interested in (?:our|cooperat|working)|готовы (?:изготовить|произвести)|"
    r"\bour advantages?\b|\b(?:oem|odm)(?:\s*[/&,]\s*(?:oem|odm))*\s+(?:service|orders?)\s+(?:is\s+|are\s+)?(?:welcome|available|accepted|supported)|"
    r"\bwe (?:can|could) (?:also )?(?:provide|offer|do|accept) (?:oem|odm|customi[sz]|free samples?)|"
    r"\bcompetitive prices? (?:and|with) (?:high|good|excellent|best) quality|\bhigh quality (?:and|with) competitive prices?",
    re.IGNORECASE,
)
# How clients introduce themselves, and suppliers too: weak on its own.
SELF_DESCRIPTION = re.compile(
    r"\bмы (?:производим|выпускаем|изготавливаем)|"
    r"\bмы\s*(?:являемся|[—–-])\s*(?:[\w-]+\s+){0,3}?(?:производител|поставщик|дистрибь?ютор|завод|фабрик|экспорт[её]р)\w*|"
    r"\bнаш[аие]?\s+(?:фабрика|завод|производство)\s+(?:находится|расположен\w*|производит|выпускает|работает)|собственн\w+ производств\w+|"
    r"наша компания (?:занимается|производит|является)|\bwe (?:manufacture|produce|speciali[sz]e in)|"
    r"\bwe are (?:a |an |the )?(?:[\w-]+\s+){0,3}(?:manufacturer|factory|supplier|exporter|producer|maker)s?\b|"
    r"\b(?:our|the) (?:main )?products (?:include|are|cover|range)|\d+ years(?: of)? experience|"
    r"\b(?:a|an)\s+(?:[\w-]+\s+){0,3}(?:manufacturer|factory|supplier|exporter|producer)s?\s+(?:of|for|in|from|since|speciali)|"
    r"\bwe (?:have|own) (?:our own |a )(?:factory|production)",
    re.IGNORECASE,
)
# Their price list or catalogue sent to us.
PRICE_LIST_TO_US = re.compile(
    r"(?:направляем|высылаем|отправляем|прилагаем|во вложении|в приложении)\W+(?:\w+\W+){0,2}"
    r"(?:наш\w*\s+)?(?:прайс|каталог|презентаци)|(?:наш|актуальный)\w*\s+прайс[- ]?лист\w*\s+(?:во вложении|прилага)|"
    r"прикрепля\w*\s+(?:наш\w*\s+)?(?:каталог|прайс|презентаци)|ознакомьтесь\s+с\s+нашим\s+(?:каталогом|ассортиментом|прайс)|"
    r"каталог\w*\s+(?:нашей\s+)?(?:продукции\s+)?(?:во вложении|в приложении)|"
    r"\b(?:find|see|check)\s+(?:the\s+)?(?:attached\s+)?our\s+(?:\w+\s+)?(?:catalog|catalogue|price ?list|brochure|company profile)|"
    r"\b(?:attached|enclosed)\s+(?:is|are|please find)\s+our\s+(?:\w+\s+)?(?:catalog|catalogue|price ?list|brochure)",
    re.IGNORECASE,
)
# Robots' wording, one signal per kind: (name, weight, pattern). Each is a sign, none a
# verdict: a client quotes a ticket number or mentions EDO too; two kinds at once, or one
# with a robot's address, make a robot.
ROBOT_KINDS = (
    ("автоподтверждение системы заявок", 0.7, re.compile(
        rf"обращение (?:№\s*\S+\s+)?зарегистрировано|ваше обращение (?:принято|№)|номер (?:вашего )?обращения|{ACKNOWLEDGEMENT.pattern}",
        re.IGNORECASE)),
    ("итоги закупки", 0.7, re.compile(
        r"протокол подведения итогов|протокол рассмотрения заявок|итоги (?:закупки|торгов)", re.IGNORECASE)),
    ("уведомление оператора ЭДО", 0.7, re.compile(
        r"уведомлени\w* о поступлении|поступил\w*\s+(?:вам\s+)?(?:нов\w+\s+|входящ\w+\s+)?(?:электронн\w+\s+)?"
        r"(?:документ|акт сверки|УПД|сч[её]т-фактур)|(?:в|через)\s+(?:систем\w+\s+)?(?:ЭДО|электронного документооборота)|"
        r"оператор\w*\s+ЭДО|приглашени\w*\s+к\s+(?:обмену|ЭДО|электронному документообороту)|ожидает\s+(?:вашей\s+)?подпис|"
        r"направил\w*\s+вам\s+(?:электронн\w+\s+)?документ|\b(?:Диадок|СБИС|Такском|Контур\.ЭДО)\b", re.IGNORECASE)),
    ("уведомление банка", 0.7, re.compile(
        r"\bуважаем\w+ клиент\w*|плат[её]ж\w* (?:исполнен|поступил|отклон)|интернет-банк|расч[её]тно-кассов|выписк\w* по сч[её]ту|тариф\w* (?:на|банка|обслуживания)|"
        r"ваш\w* (?:расч[её]тн\w+ )?сч[её]т\w* (?:пополнен|списан|заблокир|арестован)|(?:зачислени|списани)\w* (?:средств|на сч|со сч)",
        re.IGNORECASE)),
    ("служебное уведомление", 0.7, re.compile(
        r"не отвечайте на (?:это|данное) (?:письмо|сообщение)|(?:письмо|сообщение|рассылка) (?:сформирован|отправлен|создан)\w* автоматически|"
        r"do not reply to this|this (?:e-?mail|message) (?:was|has been|is) (?:sent|generated) automatically",
        re.IGNORECASE)),
    ("рассылка по подписке", 0.4, re.compile(
        r"отписаться|отказаться от (?:рассылки|подписки)|вы получили это письмо,? (?:так как|потому что)|"
        r"по вашему (?:фильтру|поисковому запросу|профилю)|по вашим ключевым словам|\bunsubscribe\b", re.IGNORECASE)),
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
INVOICE = re.compile(r"сч[её]т(?:а)? на оплату|оплатит?е сч[её]т|сч[её]т (?:к оплате|для оплаты)|сч[её]т\s*№\s*\S+\s+от|неоплаченн\w+ сч[её]т|задолженност", re.IGNORECASE)
LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
LINK_CALL = re.compile(
    r"(?:скачать|просмотреть|открыть|получить|посмотреть)\s+(?:сч[её]т|документ|файл)|по ссылке|для просмотра", re.IGNORECASE
)
# A digest robot: several tender listings, each with its own customer.
_CUSTOMER = re.compile(r"\bзаказчик\b\s*[:—–-]?\s*(\S+(?:[ \t]+\S+){0,3})", re.IGNORECASE)


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
    invitation = INVITATION.search(text)
    if invitation:
        found.append(Signal("приглашение присылать заказы", 0.4, _short(invitation.group())))
    own = SELF_DESCRIPTION.search(text)
    if own and not has_ask:
        found.append(Signal("описание своего производства", 0.3, _short(own.group())))
    return found


def robot_signals(sender: str, text: str, service_domain: bool, *, listings: int = 0) -> list[Signal]:
    """A no-reply sender, a bank's or ticket system's domain, each kind of robot's
    wording, a digest of tender listings; a link to open a document counts only beside
    an EDO or bank notice."""
    found: list[Signal] = []
    if NO_REPLY_SENDER.match(sender):
        found.append(Signal("адрес робота", 0.4, sender))
    if service_domain:
        found.append(Signal("домен банка или системы заявок", 0.6, sender.rpartition("@")[2]))
    for name, weight, pattern in ROBOT_KINDS:
        wording = pattern.search(text)
        if wording:
            found.append(Signal(name, weight, _short(wording.group())))
    customers = {" ".join(c.lower().split()) for c in _CUSTOMER.findall(text)}
    if listings >= 2 and len(customers) >= 2:
        found.append(Signal("подборка закупок", 0.7, f"{listings} закупки в письме"))
    call = LINK_CALL.search(text)
    notice = any(s.name in ("уведомление оператора ЭДО", "уведомление банка") for s in found)
    if notice and call and LINK.search(text):
        found.append(Signal("призыв открыть документ по ссылке", 0.3, _short(call.group())))
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
