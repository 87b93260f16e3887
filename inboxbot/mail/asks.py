"""Does the sender ask us for something, in their own words? Pure.

A request word counts only when it is the writer's: not in the quoted original (a mail
client's «>» or «пишет:», a ticket robot's «Текст вашего обращения:»), not in a tender
listing a digest robot copies from the customers' notices, and not in phrases that only
look like asks — a ticket acknowledgement («ваша заявка принята»), an instruction about a
document or an account («необходимо подписать документ», «просим оплатить»), a supplier's
invitation to buy from it («если вам нужна упаковка, пишите», «please send us your
inquiry»).
"""

from __future__ import annotations

import re

# Where quoted or forwarded material starts (Outlook, Thunderbird, Gmail, Mail.ru, Yandex).
_QUOTE_START = re.compile(
    r"^(?:>|-{2,}\s*(?:Original Message|Исходное сообщение|Пересылаемое сообщение|Forwarded message"
    r"|Переадресованное сообщение)|(?:От|From)\s*:\s*\S|(?:Начало переадресованного|Begin forwarded)"
    r"|.{0,80}\b(?:пишет|написал[а]?|wrote)\s*:\s*$)",
    re.IGNORECASE | re.MULTILINE,
)


def new_text(text: str) -> str:
    """The part of the body the sender wrote now: everything before the first quote or
    forwarded block."""
    match = _QUOTE_START.search(text)
    return text[: match.start()] if match else text


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


# A ticket system's acknowledgement of the mail it answers.
ACKNOWLEDGEMENT = re.compile(
    r"\bваш[еиау]?\s+(?:обращени[ея]|заявк[аи]|запрос|сообщени[ея]|письмо)\s+(?:№\s*\S+\s+|#\s*\S+\s+|"
    r"(?:под\s+)?номер(?:ом)?\s+\S+\s+)?(?:успешно\s+)?(?:зарегистрирован\w*|принят\w*|получен\w*)|"
    r"\b(?:обращени\w*|заявк\w*|запрос\w*|тикет\w*)\s+(?:присвоен|зарегистрирован\w*\s+под)\s+(?:номер|№)|"
    r"\b(?:обращени\w*|заявк\w*|тикет\w*|ticket)\s*(?:№|#)\s*\S+\s+(?:успешно\s+)?(?:зарегистрирован|принят|создан|открыт)\w*|"
    r"\b(?:обращени|заявк|тикет)\w*\s+(?:успешно\s+)?(?:зарегистрирован|принят|создан)\w*\s+(?:в системе|под номером|с номером|№)|"
    r"\b(?:мы\s+)?(?:получили|зарегистрировали|приняли)\s+ваш\w*\s+(?:обращени|заявк|запрос|письм|сообщени)\w*|\bспасибо за (?:ваше )?обращение|"
    r"\byour (?:request|ticket|message|inquiry|enquiry)\s+(?:#\s*\S+\s+)?(?:has been|was|is)\s+"
    r"(?:received|registered|created|logged)|\bwe have received your (?:request|message|e-?mail|inquiry|enquiry)",
    re.IGNORECASE,
)
# Where a ticket robot starts quoting the original it acknowledges. Only after an
# acknowledgement: a site form's own «Текст обращения:» is the client's text.
_MACHINE_QUOTE = re.compile(
    r"^\s*[-=_*\s]*(?:вы писали|(?:ваше\s+)?исходное\s+(?:письмо|сообщение|обращение)|копия\s+(?:вашего\s+)?(?:обращения|письма|сообщения)|"
    r"(?:тема|subject|сообщение|message)\s*:|текст\s+(?:вашего\s+)?(?:обращения|сообщения|письма|заявки|запроса)|ваш[еа]?\s+(?:сообщение|обращение|"
    r"письмо|запрос|вопрос)|содержание\s+(?:обращения|заявки|запроса)|your\s+(?:message|request)|"
    r"[-_=*]{4,})\s*:?",
    re.IGNORECASE | re.MULTILINE,
)

# Sentences that only redirect («по срочным вопросам прошу обращаться к …») carry request
# verbs without a request; they are removed before looking for one.
_REDIRECT = re.compile(
    r"обращат|обратит|связат|звонит|писать на|пишите на|направля\w* (?:письма|вопросы|почту) на|"
    r"в (?:мо[её]|наше) отсутствие|по срочным|в случае срочн|замещает|contact|urgent|reach me|"
    r"(?:прошу|просим) (?:\w+ )?(?:рассмотреть|ознакомиться|ответить|перезвонить|не отвечать)",
    re.IGNORECASE,
)
# A supplier's invitation to buy from it: «если вам нужна упаковка», «присылайте ваши
# заявки», «please send us your inquiry». Not an ask; a sign of a pitch.
INVITATION = re.compile(
    r"\bесли\s+(?:вам\s+|вашей\s+компании\s+|у\s+вас\s+)?(?:\w+\s+)?(?:нужн|требу|необходим|интерес|понадоб|актуальн)"
    r"(?:(?!пришлите|выставьте|вышлите|направьте|прошу|просим|сообщите|подскажите)[^,.!?;:—–])*|"
    r"\b(?:присылайте|направляйте|ждём|ждем|будем рады|рады)\s+(?:\w+\s+){0,2}?(?:ваш\w*\s+)?"
    r"(?:заяв\w*|запрос\w*|заказ\w*)|"
    r"\bif (?:you|your)\s+(?:\w+\s+)?(?:need|are interested|require|have any)(?!\s+(?:any\s+)?(?:further|more|help|assistance))"
    r"(?:(?!please)[^,.!?;:])*|"
    r"\b(?:please\s+)?(?:send|provide|share|contact)\s+(?:us|me)\s+(?:your|with your|the)\s+(?:\w+\s+)?"
    r"(?:inquiry|inquiries|enquiry|enquiries|requirements?|drawings?|artworks?|specifications?|details|needs|order)|"
    r"\b(?:welcome|look(?:ing)? forward to|await(?:ing)?)\s+(?:your|any)\s+(?:\w+\s+)?(?:inquiry|inquiries|enquiry|order)"
    r"|\b(?:please\s+)?feel free to (?:contact|send|ask|write)\w*(?:\s+(?:us|me))?"
    r"|\blooking forward to (?:cooperat\w+|(?:our|a|the) (?:long[- ]term )?(?:cooperation|business))"
    r"|\b(?:establish|build|start)\w* (?:a )?(?:long[- ]term )?(?:business )?(?:relationship|cooperation)",
    re.IGNORECASE,
)
# Phrases masked before the search: request words that ask for no goods.
_NOT_ASKS = re.compile(
    # A robot's instruction about a document, an account, a payment, a registration.
    r"\b(?:необходимо|нужно|требуется|просим|прошу|вам следует|следует)\s+(?:\w+\s+){0,2}?(?:подписа|подпис[ьи]|"
    r"ознакоми|подтверди|подтвержд|перейти|пройти|войти|авторизова|обнови|оплати|погаси|продли|"
    r"зарегистрир|аккредит|принять (?:документ|или отклонить)|отклони|сменить пароль)\w*|"
    r"\bтребуется\s+(?:ваша\s+)?(?:подпись|подтверждение|действие)|"
    # A pitch's opening: «we would like to introduce our company».
    r"\bwe would like to (?:introduce|offer|recommend|present|take this)|"
    r"\binterested in (?:cooperat|working with|establishing|becoming|being your)\w*|"
    rf"{INVITATION.pattern}",
    re.IGNORECASE,
)
# The sender wants to buy or asks us for prices, an offer, an invoice, a contract.
_ASK = re.compile(
    r"\b(?:прошу|просим|просьба|пожалуйста,? (?:выставьте|пришлите|направьте|вышлите))\b|"
    r"\b(?:выставьте|выставить сч|пришлите|вышлите|направьте|подготовьте|рассчитайте|посчитайте|"
    r"сообщите (?:цен|стоимост|срок|наличи)|подскажите)|"
    r"(?<![Вв]ам )(?<![Вв]ам не )\b(?:нужн[аоы]?|нужен|требуе?тся|необходим[аоы]?)\b|"
    r"\bзапрос\w* (?:котиров|ценов\w+ информац|коммерческ|цен\b|кп\b)|"
    r"\bучасти\w+ в (?:закупке|запросе|тендере|конкурсе|аукционе|отборе)|"
    r"\b(?:хотим|хотели бы|планируем|желаем) (?:заказать|купить|закупить|приобрести|получить)|"
    r"\b(?:сколько стоит|какая цена|какие цены|цен[аы]? на|стоимость|есть ли в наличии|наличие)\b|"
    r"\b(?:заявк[аиу]|заказ|потребност[ьи]|сч[её]т на|сч[её]т по)\b|"
    r"\b(?:please (?:send|quote|provide)|we (?:need|are looking for|would like)|request for (?:quot|price)|"
    r"looking for a supplier|inquiry|rfq|could you (?:please )?(?:quote|send|provide|offer)|how much|quotation for|"
    r"we (?:want|plan|intend) to (?:buy|order|purchase)|(?:we are|i am) interested in)\b|"
    r"\b\d[\d\s.,]*\s?(?:шт|рул|кор|паллет|упак|тыс|т\b|кг|м2|пог)",
    re.IGNORECASE,
)
# Weak request words that cold offers use as well («стоимость услуг», «минимальный заказ»,
# «от 10 рулонов»): they outweigh an auto-reply's wording but not an offer's.
_WEAK_ASK = re.compile(r"^(?:стоимость|наличие|заказ|заявк\w*|потребност\w*|цен[аы]? на|\d.*)$", re.IGNORECASE)


def _mask(match: re.Match[str]) -> str:
    return " " * len(match.group())


def own_words(text: str) -> str:
    """`text` (already the new text) without what a ticket robot quotes after its
    acknowledgement, and with the phrases that ask for no goods blanked out."""
    ack = ACKNOWLEDGEMENT.search(text)
    if ack:
        quote = _MACHINE_QUOTE.search(text, ack.end())
        if quote:
            text = text[: quote.start()]
    return _NOT_ASKS.sub(_mask, ACKNOWLEDGEMENT.sub(_mask, text))


def asks_us(text: str, *, strict: bool = False) -> str | None:
    """The first request phrase in the sender's own words of `text` (already reduced to
    the new text), or None. `strict` ignores words that offers use too (price, order,
    quantities)."""
    for sentence in _sentences(own_words(text)):
        if _REDIRECT.search(sentence):
            continue
        match = next((m for m in _ASK.finditer(sentence) if not (strict and _WEAK_ASK.match(m.group().strip()))), None)
        if match:
            return match.group().strip()
    return None


# --- tender digests ----------------------------------------------------------------------

# What a tender listing carries: its customer, price, deadline, number, law.
_LISTING_MARK = re.compile(
    r"\bНМЦК\b|начальн\w+\s+(?:\(?максимальн\w*\)?\s+)?цен|окончани\w+\s+(?:срока\s+)?подачи|дата\s+окончания|"
    r"срок\s+подачи|заказчик\s*:|организатор\s*:|(?:№|номер)\s+(?:извещения|закупки|лота)|"
    r"способ\s+(?:закупки|определения)|площадка\s*:|\b(?:44|223)-ФЗ\b",
    re.IGNORECASE,
)


def _paragraphs(text: str) -> list[str]:
    # A listing is a block between blank lines or a numbered item («1.», «2)»).
    return [p for p in re.split(r"\n\s*\n|\n(?=\s*\d{1,2}[.)]\s)", text) if p.strip()]


def listings(text: str) -> int:
    """How many tender listings the text holds (blocks with a listing's marks)."""
    return sum(1 for p in _paragraphs(text) if len(_LISTING_MARK.findall(p)) >= 1)


def without_listings(text: str) -> str:
    """`text` without its tender listings: in a digest, the customers' «требуется поставка»
    belongs to the tenders, not to the robot that sends them."""
    return "\n\n".join(p for p in _paragraphs(text) if not _LISTING_MARK.search(p))
