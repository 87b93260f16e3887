"""The role an organisation plays where the client names it: their own company
(«наша компания …», «… просит»), someone else (their customer, the brand they resell,
their bank), or neither."""

from __future__ import annotations

import re

from inboxbot.extract.orgs import OrgMention
from inboxbot.extract.segments import Segment

# Words before an organisation that make it the writer's own.
_SELF_BEFORE = re.compile(
    r"(?:плательщик\w*|покупател[ьяю]|грузополучател\w*|получател[ьяю]|от имени|от лица|"
    r"(?:наша|нашей|наше|нашего)\s+(?:компани\w+|организаци\w+|фирм\w+|предприяти\w+|учреждени\w+)|"
    r"\bмы\b|\bя\b|пиш[уе]м?\s+(?:вам\s+)?(?:с|из|от)|обращаемся\s+(?:от|из)|представля\w+\s+(?:интересы\s+)?|работаю\s+в|"
    r"(?:сч[её]т\w*|сч[её]т-оферт\w*|договор\w*|кп|коммерческое предложение|предложение|документы|накладн\w+|отгрузк\w+)\s+(?:на|для)|"
    r"выстав\w+\s+(?:сч[её]т\s+)?(?:на|для)|реквизит\w*|карточк\w+|потребност\w+|заявк\w+|"
    r"^\s*заказчик|наименование(?:\s+организации)?|организация|компания|полное\s+наименование|"
    r"сокращ[её]нное\s+наименование)"
    r"[\s:—–\-,]*$",
    re.IGNORECASE,
)
# Words before an organisation that make it someone else: whom the writer resells, serves,
# belongs to, banks with.
_OTHER_BEFORE = re.compile(
    r"(?:дилер\w*|дистрибьютор\w*|дистрибутор\w*|представител\w+|партн[её]р\w*|"
    r"продукци\w+|товар\w*|бренд\w*|марк[аиуе]|производств\w+|производител\w+|поставщик\w*|"
    r"для|по\s+заказу|в\s+интересах|заказчик\w+|клиент\w*|покупател(?:ей|ям|ями|ях)|конечн\w+\s+\w+|"
    r"работаем\s+с|сотрудничаем\s+с|поставляем|поставля\w+|отгружаем|сет[иь]\w*|магазин\w*|маркетплейс\w*|"
    r"входим\s+в|входит\s+в|в\s+составе|в\s+состав|групп\w+\s+компаний|гк|холдинг\w*|дочерн\w+|"
    r"банк\w*|в\s+банке|аналог\w*|как\s+у|конкурент\w*|упаковк\w+\s+для|тендер\w*|аукцион\w*|"
    r"рекомендовал\w*|по\s+рекомендации|от\s+компании|из\s+компании|контрагент\w*|учредител\w*|"
    r"ранее\s+(?:работали|закупали)\s+(?:у|в)|закупали\s+у|у\s+нас\s+(?:в|на))"
    r"[\s:—–\-,]*(?:[а-яё-]+\s+){0,2}$",
    re.IGNORECASE,
)
# After an organisation: the verbs of a writer presenting itself («… просит», «… направляет»).
_SELF_AFTER = re.compile(
    r"^[^.!?\n]{0,40}?\b(?:просит|просим|направляет|направляем|сообщает|сообщаем|планирует|"
    r"приглашает|рассматривает|нуждается|заинтересован\w*|закупает|проводит|ищет|требуется|нужн[ыо]|"
    r"is looking|are looking|would like|requests|needs|is interested)\b",
    re.IGNORECASE,
)
_OTHER_AFTER = re.compile(r"^[\s,]*(?:—|–|-|\()?\s*(?:наш\w*\s+(?:заказчик|клиент|покупател|партн)|является\s+нашим)", re.IGNORECASE)
# «нужны коробки для ООО „Ромашка“ (ИНН …)»: a bare «для» says nothing of whose company it
# is, but its INN does — requisites are given for the one to invoice, the payer. A third
# party comes with its noun («для нашего заказчика …», «для клиента …»), which
# _OTHER_BEFORE reads.
_END_CUSTOMER = re.compile(r"конечн\w+\s+(?:покупател|получател|заказчик|потребител)\w*[\s:—–\-,]*$", re.IGNORECASE)
_BARE_FOR = re.compile(r"(?:^|\s)для\s*$", re.IGNORECASE)
_INN_AFTER = re.compile(r"^\s*(?:\(|,|—|–|-)?\s*ИНН\b", re.IGNORECASE)
BANK_LINE = re.compile(r"^\s*(?:банк|bank|в\s+банке|наименование\s+банка|бик|к/с|р/с)", re.IGNORECASE)


def org_context(seg: Segment, org: OrgMention, *, sig_is_self: bool = True) -> str:
    """self | other | neutral for an organisation in an own segment."""
    text = seg.text
    line_start = text.rfind("\n", seg.start, org.start) + 1
    line_start = max(line_start, seg.start)
    before = text[max(line_start, org.start - 80) : org.start]
    line_end = text.find("\n", org.end)
    after = text[org.end : line_end if line_end >= 0 else seg.end]
    line = text[line_start : org.start]
    if BANK_LINE.match(line) or re.search(r"\bбанк\w*\b", line, re.IGNORECASE):
        return "other"
    # Only the clause the org stands in: «…, а для нашего заказчика АО …» ends at the comma.
    clause = re.split(r"[.!?;]\s|\(|\)", before)[-1]
    if _OTHER_AFTER.match(after):
        return "other"
    if _END_CUSTOMER.search(clause):
        return "other"  # «для конечного покупателя ООО …»: not «Покупатель: ООО …»
    if _SELF_BEFORE.search(clause):
        return "self"
    if _BARE_FOR.search(clause) and _INN_AFTER.match(after):
        return "self"
    if _OTHER_BEFORE.search(clause):
        return "other"
    if _SELF_AFTER.match(after):
        return "self"
    if seg.sig and sig_is_self:
        return "self"
    return "neutral"
