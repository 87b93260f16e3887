"""ParsedMessage → Facts: who writes (address, company, INN/KPP/OGRN, region, country),
whom they address, which other companies they mention. Pure apart from the lazily
loaded NLP pipeline.

Who the client is (scenario §7): the author of the mail, or — when a colleague of ours
forwards an outside mail (reception@, "пришло на info@") — the author of the forwarded
original. Everything the client wrote (new text, signature, the forwarded original,
their own earlier mail in the quote, their attachments) is "own" text; our managers'
quoted letters and anything naming other companies in an "other" role (their customer,
the brand they resell, their bank) give mentioned companies, never the sender.

Trust order for the sender's INN: signature > body > forwarded original > a requisites
card attached > the client's own quoted mail. An INN is never guessed: a number is taken
only with its label (or inside a requisites block), with valid check digits, not foreign,
and not tied to a company mentioned in an "other" role.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from inboxbot.directory import gazetteer
from inboxbot.directory.names import name_key
from inboxbot.extract import nlp as nlpmod
from inboxbot.extract.nlp import NumberHit, OrgMention, is_public_form
from inboxbot.mail.attachments import attachment_texts
from inboxbot.mail.message import Address, ParsedMessage
from inboxbot.mail.textparts import TextParts, parse_address, split_text
from inboxbot.model.domains import FREE_MAIL_DOMAINS, domain_in
from inboxbot.model.facts import Company, Evidence, Facts, Person, Region, Requisite
from inboxbot.model.requisites import kpp_is_largest_taxpayer, ogrn_region_code

log = logging.getLogger(__name__)


# Text the NER reads per part: the head of the new text (greeting, self-introduction) and
# the signature. Slovnet costs ~1 ms per 150 characters.
HEAD_NER_CHARS = 200
SIG_NER_CHARS = 300
# Own text that is regex-scanned at most (a 200 kB pasted price list is not requisites).
SCAN_CHARS = 60_000
# Quoted history read at most: it gives mentioned companies and, rarely, the client's own
# earlier INN; a thread of twenty letters is not worth reading whole for each reply.
QUOTE_CHARS = 6_000

# Trust of each kind of text for the sender's identity.
_WEIGHT = {"signature": 1.0, "body": 0.9, "forwarded": 0.85, "attachment": 0.8, "subject": 0.5, "header": 0.3, "quote": 0.4}


# --- segments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text the facts come from: [start, end) of `text`; `own` when the
    client wrote it; `sig` when it is a signature (also inside a forwarded original)."""

    source: str
    text: str
    start: int
    end: int
    own: bool
    ner: bool = False
    sig: bool = False
    detail: str = ""

    @property
    def body(self) -> str:
        return self.text[self.start : self.end]

    def evidence(self, start: int, end: int) -> Evidence:
        return Evidence(self.source, self.text[start:end], start, end, self.detail)

    @property
    def weight(self) -> float:
        return _WEIGHT["signature"] if self.sig else _WEIGHT.get(self.source, 0.3)


@dataclass(frozen=True, slots=True)
class Found:
    """What the pipeline found in one segment (offsets into segment.text)."""

    segment: Segment
    orgs: tuple[OrgMention, ...]
    numbers: tuple[NumberHit, ...]
    rejected: tuple[NumberHit, ...]
    persons: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class View:
    """The client's side of a mail: who, and which texts are theirs."""

    client: Address | None
    forwarded_by: Address | None
    parts: TextParts
    segments: tuple[Segment, ...]
    notes: tuple[str, ...] = ()


def _same_party(a: Address | None, b: Address | None, free: Sequence[str]) -> bool:
    """Same person or same company domain (a free-mail domain says nothing)."""
    if a is None or b is None:
        return False
    if a.email == b.email:
        return True
    return a.domain == b.domain and not domain_in(a.domain, free)


def _text_segments(
    text: str, parts: TextParts, *, source: str, own: bool, client: Address | None, internal: Sequence[str], free: Sequence[str]
) -> list[Segment]:
    """Segments of one split text: new text and signature under `source` (body for the
    mail itself, forwarded for an original), quotes as their author makes them."""
    segs: list[Segment] = []
    new_end = min(parts.new.end, parts.new.start + SCAN_CHARS)
    if not parts.new.empty:
        segs.append(Segment(source, text, parts.new.start, new_end, own, ner=own))
    if parts.signature and not parts.signature.empty:
        segs.append(Segment("signature" if source == "body" else source, text, parts.signature.start, parts.signature.end, own, ner=own, sig=True))
    for quote in parts.quotes:
        author = quote.author
        mine = own and author is not None and not domain_in(author.domain, internal) and _same_party(author, client, free)
        end = min(quote.part.end, quote.part.start + QUOTE_CHARS)
        segs.append(Segment("quote", text, quote.part.start, end, mine, detail="ours" if author and domain_in(author.domain, internal) else ""))
    fw = parts.forwarded
    if fw is not None:
        fw_own = own and (fw.sender is None or _same_party(fw.sender, client, free) or domain_in(fw.sender.domain, free))
        segs.extend(_text_segments(text, fw.body, source="forwarded", own=fw_own, client=client, internal=internal, free=free))
    return segs


_ROBOT_SENDER = re.compile(r"^(?:no-?reply|do-?not-?reply|robot|mailer|notify|notification|forms?|site|web|wordpress|tilda|bitrix)\b", re.IGNORECASE)


def _author(msg: ParsedMessage) -> Address | None:
    """From, unless a website's robot sent the mail on a client's behalf (a web form):
    then the Reply-To the form filled in."""
    sender = msg.sender
    if sender is not None and msg.reply_to and _ROBOT_SENDER.match(sender.email.partition("@")[0]):
        return msg.reply_to[0]
    return sender


def client_view(msg: ParsedMessage, internal: Sequence[str], free: Sequence[str]) -> View:
    """Decide whose mail this is and cut it into segments."""
    sender = _author(msg)
    parts = split_text(msg.text, msg.subject)
    notes: list[str] = []
    is_internal = sender is not None and domain_in(sender.domain, internal)
    if is_internal:
        for fw in msg.forwarded:  # an original attached as message/rfc822
            if fw.sender is not None and not domain_in(fw.sender.domain, internal):
                fw_parts = split_text(fw.text, fw.subject)
                segs = _text_segments(fw.text, fw_parts, source="forwarded", own=True, client=fw.sender, internal=internal, free=free)
                segs = [replace(s, source="forwarded", detail=s.detail or "message/rfc822") if s.source != "quote" else s for s in segs]
                segs.append(Segment("subject", fw.subject, 0, len(fw.subject), True))
                return View(fw.sender, sender, fw_parts, tuple(segs), tuple(notes))
        fw_text = parts.forwarded
        if fw_text is not None and fw_text.sender is not None and not domain_in(fw_text.sender.domain, internal):
            segs = _text_segments(msg.text, fw_text.body, source="forwarded", own=True, client=fw_text.sender, internal=internal, free=free)
            segs.append(Segment("subject", fw_text.subject, 0, len(fw_text.subject), True))
            return View(fw_text.sender, sender, fw_text.body, tuple(segs), tuple(notes))
        notes.append("письмо от нашего сотрудника, пересланного внешнего письма в нём нет")
        segs = _text_segments(msg.text, parts, source="body", own=False, client=sender, internal=internal, free=free)
        return View(sender, None, parts, tuple(segs), tuple(notes))
    segs = _text_segments(msg.text, parts, source="body", own=True, client=sender, internal=internal, free=free)
    segs.append(Segment("subject", msg.subject, 0, len(msg.subject), True))
    for fw in msg.forwarded:
        fw_own = fw.sender is None or _same_party(fw.sender, sender, free)
        fw_parts = split_text(fw.text, fw.subject)
        fsegs = _text_segments(fw.text, fw_parts, source="forwarded", own=fw_own, client=sender, internal=internal, free=free)
        segs.extend(replace(s, detail=s.detail or "message/rfc822") for s in fsegs)
    return View(sender, None, parts, tuple(segs), tuple(notes))


# --- contexts -------------------------------------------------------------------------

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
_BANK_LINE = re.compile(r"^\s*(?:банк|bank|в\s+банке|наименование\s+банка|бик|к/с|р/с)", re.IGNORECASE)


def _context(seg: Segment, org: OrgMention, *, sig_is_self: bool = True) -> str:
    """self | other | neutral for an organisation in an own segment."""
    text = seg.text
    line_start = text.rfind("\n", seg.start, org.start) + 1
    line_start = max(line_start, seg.start)
    before = text[max(line_start, org.start - 80) : org.start]
    line_end = text.find("\n", org.end)
    after = text[org.end : line_end if line_end >= 0 else seg.end]
    line = text[line_start : org.start]
    if _BANK_LINE.match(line) or re.search(r"\bбанк\w*\b", line, re.IGNORECASE):
        return "other"
    # Only the clause the org stands in: «…, а для нашего заказчика АО …» ends at the comma.
    clause = re.split(r"[.!?;]\s|\(|\)", before)[-1]
    if _OTHER_AFTER.match(after):
        return "other"
    if _SELF_BEFORE.search(clause):
        return "self"
    if _OTHER_BEFORE.search(clause):
        return "other"
    if _SELF_AFTER.match(after):
        return "self"
    if seg.sig and sig_is_self:
        return "self"
    return "neutral"


# --- analysis of segments ----------------------------------------------------------------


def _analyse(nlp: Any, segs: Sequence[Segment]) -> list[Found]:
    """Run the pipeline once over segments that share a text and are contiguous parts of
    it (new text + signature): one NER call per mail instead of one per part. Segments
    without NER are processed one by one with the light pipeline."""
    if not segs:
        return []
    text = segs[0].text
    start, end = min(s.start for s in segs), max(s.end for s in segs)
    ner = any(s.ner for s in segs)
    # Names sit in the greeting and the signature: the NER reads the head of each text
    # part and the signature whole, not a long order list in between.
    ranges = [(s.start - start, _head_end(s) - start) for s in segs if s.ner]
    doc = nlpmod.analyse(text[start:end], ner=ner, ner_ranges=ranges, nlp=nlp)
    persons = _merge_adjacent([(e.start_char + start, e.end_char + start) for e in doc.ents if e.label_ == "PER"], text) if ner else ()
    orgs = [replace(o, start=o.start + start, end=o.end + start) for o in nlpmod.org_mentions(doc)]
    if ner:
        orgs.extend(_ner_orgs(doc, start, orgs))
    numbers = [replace(n, start=n.start + start, end=n.end + start) for n in doc._.requisites]
    rejected = [replace(n, start=n.start + start, end=n.end + start) for n in doc._.rejected]
    notes = tuple(doc._.notes)
    found: list[Found] = []
    for seg in segs:
        lo, hi = seg.start, seg.end
        seg_orgs = tuple(o for o in orgs if lo <= o.start and o.end <= hi)
        if seg.own and seg.source in ("body", "forwarded") and not seg.sig:
            seg_orgs = tuple(sorted(seg_orgs + tuple(_intro_orgs(seg)), key=lambda o: o.start))
        found.append(
            Found(
                seg,
                seg_orgs,
                tuple(n for n in numbers if lo <= n.start and n.end <= hi),
                tuple(n for n in rejected if lo <= n.start and n.end <= hi),
                tuple(p for p in persons if lo <= p[0] and p[1] <= hi),
                notes if seg is segs[0] else (),
            )
        )
    return found


def _head_end(seg: Segment) -> int:
    """Where the NER stops reading a part: a signature up to SIG_NER_CHARS, other text
    up to HEAD_NER_CHARS, cut at a line end so no name is split."""
    limit = SIG_NER_CHARS if seg.sig else HEAD_NER_CHARS
    if seg.end - seg.start <= limit:
        return seg.end
    cut = seg.text.rfind("\n", seg.start, seg.start + limit)
    return cut if cut > seg.start + limit // 3 else seg.start + limit


def _ner_orgs(doc: Any, shift: int, known: Sequence[OrgMention]) -> list[OrgMention]:
    """Slovnet's ORG spans that no legal form or quotes found: candidates only when the
    writer claims them («это компания Ромашка-Опт»), see `_company`."""
    result: list[OrgMention] = []
    for ent in doc.ents:
        if ent.label_ != "ORG" or len(ent.text) < 4 or (ent.text.isupper() and len(ent.text) < 5):
            continue
        s, e = ent.start_char + shift, ent.end_char + shift
        if any(o.start < e and s < o.end for o in known):
            continue
        text = ent.text.strip(" «»\"“”„")
        result.append(OrgMention(text, s, e, None, text, False, "ner"))
    return result


def _merge_adjacent(spans: list[tuple[int, int]], text: str) -> tuple[tuple[int, int], ...]:
    """Slovnet cuts «Кириллова Наталья Андреевна» into two PER spans; join spans that only
    a space separates."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and text[merged[-1][1] : s].strip(" \t") == "" and s - merged[-1][1] <= 2:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return tuple(merged)


# «Пельменная мануфактура, закупки.» — a company introducing itself without form or quotes.
_INTRO = re.compile(
    r"(?:^|[.!]\s+)(?P<name>[А-ЯЁA-Z][\w-]+(?:\s+[\w-]+){0,3}),\s*(?:отдел\s+)?"
    r"(?:закупк\w*|снабжени\w*|отдел\s+закупок|purchasing|procurement)\b"
    # A web form or a card: «Компания: Ромашка-Опт», "Company: Baltic Pack".
    r"|^[ \t]*(?:компания|организация|наименование(?:\s+организации)?|название\s+компании|company)"
    r"[ \t]*:[ \t]*(?P<label_name>[^\n,;:]{2,80}?)[ \t]*(?:[,;]|$)",
    re.MULTILINE | re.IGNORECASE,
)


def _intro_orgs(seg: Segment) -> list[OrgMention]:
    result: list[OrgMention] = []
    for m in _INTRO.finditer(seg.body):
        group = "name" if m.group("name") else "label_name"
        name = m.group(group).strip()
        if not name or _is_person_name(name) or _GREETING_RE.match(name) or any(ch in name for ch in "«»\"„“"):
            continue  # quoted names and legal forms are found by the pipeline itself
        if group == "name" and not name[0].isupper():
            continue
        s = m.start(group) + seg.start
        result.append(OrgMention(name, s, s + len(name), None, name, False, "intro"))
    return result


# --- the sender's company and requisites ---------------------------------------------------


@dataclass(slots=True)
class _Candidate:
    org: OrgMention
    found: Found
    context: str
    score: float
    inn: NumberHit | None = None
    kpp: NumberHit | None = None
    ogrn: NumberHit | None = None


def _lines_between(text: str, a: int, b: int) -> int:
    return text.count("\n", min(a, b), max(a, b))


def _pair_numbers(found: Found, orgs: Sequence[OrgMention]) -> dict[int, int]:
    """number index → org index: the organisation an identifier belongs to — the nearest
    one before it on the same line or up to three lines above (a card), or right after
    it on the same line ("ИНН 7707083893 ООО «Ромашка»" is rare but seen)."""
    text = found.segment.text
    result: dict[int, int] = {}
    for ni, num in enumerate(found.numbers):
        best: tuple[int, int] | None = None
        for oi, org in enumerate(orgs):
            if org.end <= num.start:
                lines = _lines_between(text, org.end, num.start)
                if lines <= 3:
                    # A requisites line after an unrelated sentence is not the org's.
                    dist = num.start - org.end
                    if best is None or dist < best[0]:
                        best = (dist, oi)
        if best is None:
            for oi, org in enumerate(orgs):
                if org.start >= num.end and _lines_between(text, num.end, org.start) == 0:
                    best = (org.start - num.end, oi)
                    break
        if best is not None:
            result[ni] = best[1]
    return result


_REQ_CARD = re.compile(r"реквизит|карточк|card|details|анкет|rekv|requisit|kartochk", re.IGNORECASE)
_REQ_IN_ATTACHMENT = re.compile(
    r"(?:реквизит\w*|карточк\w*)[^.\n]{0,40}(?:во?\s+вложени|прилага|приложени|прикрепл|в\s+файле)"
    r"|(?:во?\s+вложени\w*|прилага\w*|в\s+файле)[^.\n]{0,20}(?:реквизит|карточк)",
    re.IGNORECASE,
)


def _merge_same(candidates: list[_Candidate]) -> list[_Candidate]:
    """One candidate per company name: «ООО „Альфа“, ИНН …» in the body and «ООО „Альфа“»
    in the signature are the same company, seen twice (which adds to its score)."""
    merged: dict[str, _Candidate] = {}
    for cand in candidates:
        key = name_key(cand.org.core) or f"#{id(cand)}"
        have = merged.get(key)
        if have is None:
            merged[key] = cand
            continue
        keep, other = (have, cand) if have.score >= cand.score else (cand, have)
        keep.score += 0.5
        for kind in ("inn", "kpp", "ogrn"):
            if getattr(keep, kind) is None and getattr(other, kind) is not None:
                setattr(keep, kind, getattr(other, kind))
        merged[key] = keep
    return list(merged.values())


def _near(found: Found, hit: NumberHit, inn: NumberHit) -> bool:
    """Whether a KPP/OGRN stands within three lines of the INN (in the same text)."""
    text = found.segment.text
    if not (0 <= inn.start < len(text) and text[inn.start : inn.end] == inn.value):
        return False
    return _lines_between(text, inn.end, hit.start) <= 3


_OTHER_NUMBER = re.compile(
    r"заказчик\w*|клиент\w*|конечн\w+|получател\w+\s+(?!платеж)|поставщик\w*|банк\w*|производител\w*|"
    r"контрагент\w*|покупател(?:ей|я\s+нашего)|партн[её]р\w*",
    re.IGNORECASE,
)


def _other_number_context(f: Found, num: NumberHit) -> bool:
    """«ИНН заказчика 3601006669», «ИНН банка …»: someone else's identifier."""
    text = f.segment.text
    line_start = max(text.rfind("\n", 0, num.start) + 1, f.segment.start)
    return bool(_OTHER_NUMBER.search(text[max(line_start, num.start - 60) : num.start]))


def _attachment_is_card(name: str, text: str, own_text: str) -> bool:
    """An attachment whose identifiers are the sender's: a requisites card by name or
    heading, or one the mail says carries the requisites."""
    return bool(_REQ_CARD.search(name) or _REQ_CARD.search(text[:300]) or _REQ_IN_ATTACHMENT.search(own_text))


def _base_score(seg: Segment, org: OrgMention, context: str) -> float:
    score = seg.weight
    if org.legal_form:
        score += 1.0
    elif org.source == "quoted":
        score += 0.2
    if context == "self":
        score += 1.5
    elif context == "neutral" and not org.legal_form:
        score -= 1.0  # a bare quoted name with no role is most often a product or brand
    return score


# --- regions and country -----------------------------------------------------------------

_FOREIGN_WORDS: tuple[tuple[str, str], ...] = (
    (r"Узбекистан\w*|Uzbekistan|Ташкент\w*|Tashkent|Самарканд\w*|Samarkand|Бухар\w+|Bukhara|Uzbek", "UZ"),
    (r"Казахстан\w*|Kazakhstan|Алматы|Almaty|Астан\w+|Astana|Шымкент\w*|Караганд\w+|Kazakh", "KZ"),
    (r"Беларус\w*|Белорусси\w+|Belarus|Минск\w*|Minsk|Гомел\w+|Брест\w*", "BY"),
    (r"Кыргызстан\w*|Киргизи\w+|Kyrgyzstan|Бишкек\w*|Bishkek", "KG"),
    (r"Армени\w+|Armenia|Ереван\w*|Yerevan", "AM"),
    (r"Азербайджан\w*|Azerbaijan|Баку|Baku", "AZ"),
    (r"Таджикистан\w*|Tajikistan|Душанбе|Dushanbe", "TJ"),
    (r"Грузи[яи]|Georgia|Тбилиси|Tbilisi", "GE"),
    (r"Китай|Китая|China|Shanghai|Shenzhen|Guangzhou|Beijing", "CN"),
    (r"Турци\w+|Turkey|Türkiye|Istanbul|Стамбул\w*", "TR"),
    (r"Германи\w+|Germany|Deutschland", "DE"),
    (r"Монголи\w+|Mongolia|Улан-Батор\w*|Ulaanbaatar", "MN"),
)
_FOREIGN_RE = tuple((re.compile(rf"\b(?:{p})\b"), c) for p, c in _FOREIGN_WORDS)
_PHONE_COUNTRY = (
    ("998", "UZ"), ("996", "KG"), ("995", "GE"), ("994", "AZ"), ("992", "TJ"), ("993", "TM"),
    ("380", "UA"), ("375", "BY"), ("374", "AM"), ("373", "MD"), ("372", "EE"), ("371", "LV"),
    ("370", "LT"), ("86", "CN"), ("90", "TR"), ("49", "DE"), ("976", "MN"),
)  # fmt: skip
_INTL_PHONE = re.compile(r"(?<![\d+])\+\s?(\d{1,3})[\s(-]*(\d)")


def _phone_countries(text: str) -> list[tuple[str, int, int]]:
    """(ISO code, start, end) of foreign international numbers; +7 7xx is Kazakhstan."""
    found: list[tuple[str, int, int]] = []
    for m in re.finditer(r"(?<![\d+])\+\s?(\d[\d\s()\-]{7,18}\d)", text):
        digits = re.sub(r"\D", "", m.group(1))
        if digits.startswith("77") and len(digits) == 11:
            found.append(("KZ", m.start(), m.end()))
            continue
        if digits.startswith("7"):
            continue
        for prefix, code in _PHONE_COUNTRY:
            if digits.startswith(prefix):
                found.append((code, m.start(), m.end()))
                break
    return found


def _region(code: str, how: str, evidence: Evidence | None, confidence: float) -> Region | None:
    """A region candidate, or None for a code that names no subject (00, 99 …)."""
    info = gazetteer.region_by_code(code)
    if info is None:
        return None
    return Region(code=code, name=info.name, district=info.district, how=how, evidence=evidence, confidence=confidence)


# --- people -------------------------------------------------------------------------------

_RU_NAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_GREETING = r"(?:добрый\s+(?:день|вечер)|доброе\s+утро|доброго\s+(?:дня|времени\s+суток)|здравствуйте|привет|приветствую)"
_ADDRESSEE_PATTERNS = (
    # «Ольга Викторовна, добрый день!», «Дмитрий, здравствуйте»
    re.compile(rf"^[ \t]*(?:(?:уважаем\w+|дорог\w+)\s+)?(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})\s*[,!]\s*{_GREETING}", re.IGNORECASE | re.MULTILINE),
    # «Добрый день, Ирина!», «Здравствуйте, Андрей Николаевич.»
    re.compile(rf"{_GREETING}\s*,\s*(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})\s*[!.,]", re.IGNORECASE),
    # «Уважаемый Андрей Николаевич», «Уважаемая Елена Павловна!»
    re.compile(rf"(?:уважаем\w+|дорог\w+)\s+(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})", re.IGNORECASE),
    # «прошу передать Ирине Ивановой», «для Ольги Викторовны», «вниманию Елены Павловны»
    re.compile(rf"(?i:переда(?:ть|йте)|перенаправ\w+|для|вниманию|адресовано|в\s+адрес)\s+(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})"),
    # "Dear Mr. Volkov", "Hello Alexey", "Attn: Olga Smirnova"
    re.compile(r"(?:Dear|Hello|Hi|Attn\.?:?|Attention:?)\s+(?P<name>(?:(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"),
    # "Здравствуйте, коллеги" is no name; "Добрый день, Mr. Volkov" is.
    re.compile(rf"{_GREETING}\s*,\s*(?P<name>(?:Mr|Ms|Mrs)\.?\s+[A-Z][a-z]+)", re.IGNORECASE),
)
_LATIN_TITLE = re.compile(r"^(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+")
_GREETING_RE = re.compile(_GREETING, re.IGNORECASE)
# A signature line that is a person: «Громова Елизавета», «Никонова Е. В.», «Е. В. Никонова».
_SIG_NAME_LINE = re.compile(
    rf"^[ \t]*(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}}|{_RU_NAME}\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.?|[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?{_RU_NAME}|"
    r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})[ \t,]*$",
    re.MULTILINE,
)
_TITLE_WORDS = re.compile(
    r"\b(?:Manager|Director|Head|Officer|Specialist|Purchasing|Procurement|Sales|Department|Team|"
    r"Regards|Best|Kind|Company|Limited|Trading|Group|Export|Import|Logistics|Chief|Assistant|Buyer)\b"
)
_STREET_BEFORE = re.compile(r"(?:ул|ш|пр|им|пер|просп|бул|пл|наб|г)\.\s*$|(?:улиц\w|шоссе|проспект\w*|переул\w+|имени)\s+$", re.IGNORECASE)


@lru_cache(maxsize=20_000)
def _name_parses(word: str) -> tuple[Any, ...]:
    from inboxbot.directory.names import morph as _morph

    return tuple(p for p in _morph().parse(word) if {"Name", "Surn", "Patr"} & set(str(p.tag).replace(" ", ",").split(",")))  # type: ignore[attr-defined]


def normalize_person(name: str) -> str | None:
    """A Russian name in any case → nominative («Ирине Ивановой» → «Ирина Иванова»,
    «Ольги Викторовны» → «Ольга Викторовна»); None unless every word is a first name,
    patronymic or surname (or initials). Latin names come back as written."""
    words = name.split()
    if not words:
        return None
    if not re.search(r"[А-ЯЁа-яё]", name):
        return name.strip()
    parses = [_name_parses(w.lower()) for w in words]
    if not all(parses):
        return None
    # The case and gender all words share: the first word's likeliest reading decides.
    for first in parses[0]:
        case = first.tag.case
        gender = first.tag.gender
        if case is None:
            continue
        result: list[str] = []
        for options in parses[: len(words)]:
            match = next((p for p in options if p.tag.case == case and (gender is None or p.tag.gender in (gender, None))), None)
            if match is None:
                break
            wanted = {"nomn", "sing"}
            inflected = match.inflect(wanted) or match
            result.append("-".join(part.capitalize() for part in inflected.word.split("-")))
        else:
            if not any("Name" in str(p.tag) for options in parses for p in options[:1]) and len(words) == 1:
                continue
            return " ".join(result)
    return None


def _name_words(name: str) -> frozenset[str]:
    """Words of a name for comparison: «Никонова Е. В.» = «Никонова Е.В» = «никонова е в»."""
    return frozenset(w for w in re.split(r"[\s.]+", name.lower().replace("ё", "е")) if w)


def _is_person_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 3 and all(_name_parses(w.lower().strip(".,")) for w in words if len(w.strip(".")) > 1)


# --- the extractor ---------------------------------------------------------------------------

_LAW = re.compile(r"\b(44|223)\s*[-–—]?\s*ФЗ\b|\bФЗ\s*[-–—№]?\s*(44|223)\b|(?:закон\w*|закупк\w+)\s+(?:№\s*)?(44|223)\b", re.IGNORECASE)
_CYR = re.compile(r"[А-Яа-яЁё]")
_LAT = re.compile(r"[A-Za-z]")
_DEPARTMENT_WORDS = re.compile(
    r"\b(?:закупки|закупок|отдел|снабжение|снабжения|purchasing|procurement|sales|info|office|"
    r"бухгалтерия|приемная|приёмная|канцелярия|секретарь|менеджер|manager|department|dept)\b",
    re.IGNORECASE,
)


class Extractor:
    """Holds the NLP pipeline (loaded once); `extract` is a pure function of the mail."""

    def __init__(self, nlp: Any | None = None) -> None:
        self.nlp = nlp or nlpmod.get_pipeline()

    def extract(
        self,
        msg: ParsedMessage,
        *,
        internal_domains: Sequence[str] = (),
        shared_addresses: Sequence[str] = (),
        free_mail_domains: Sequence[str] | None = None,
        own_company_names: Sequence[str] = (),
    ) -> Facts:
        """Facts about one mail. Never raises: a failure inside is logged and named in
        Facts.notes, and whatever was found before it is still returned where possible."""
        free = tuple(free_mail_domains) if free_mail_domains is not None else FREE_MAIL_DOMAINS
        try:
            return _Run(self.nlp, msg, tuple(internal_domains), tuple(shared_addresses), free, tuple(own_company_names)).facts()
        except Exception as exc:  # a bug met by an odd mail must not lose the mail
            log.exception("extraction failed for %s", msg.message_id)
            return Facts(
                client_address=msg.sender,
                new_text=msg.text[:2000],
                notes=(f"разбор письма не удался: {type(exc).__name__}: {exc}",),
            )


@dataclass
class _Run:
    """One extraction: the mail, the settings and what has been found so far."""

    nlp: Any
    msg: ParsedMessage
    internal: tuple[str, ...]
    shared: tuple[str, ...]
    free: tuple[str, ...]
    own_names: tuple[str, ...]
    notes: list[str] = field(default_factory=list)

    def facts(self) -> Facts:
        view = client_view(self.msg, self.internal, self.free)
        self.notes.extend(view.notes)
        founds = self._found_all(view.segments)
        founds.extend(self._attachments(view, founds))
        for f in founds:
            self.notes.extend(f.notes)
        ours = self._our_keys(founds)
        company, candidate, mentioned = self._company(view, founds, ours)
        requisites = self._requisites(founds, candidate)
        country, country_ev = self._country(view, founds, company, requisites)
        regions = self._regions(view, founds, candidate, country) if country in (None, "RU") else []
        if regions and country is None:
            country = "RU"
        if company is not None and country not in (None, "RU"):
            company = replace(company, country=country)
        if country_ev is not None and country not in (None, "RU"):
            self.notes.append(f"иностранная компания ({country}): {country_ev.text}")
        self._reject_notes(founds)
        return Facts(
            client_address=view.client,
            forwarded_by=view.forwarded_by,
            company=company,
            mentioned_companies=mentioned,
            requisites=requisites,
            region=regions[0] if regions else None,
            region_candidates=tuple(regions),
            country=country,
            people=self._people(view, founds),
            purchase_law=self._purchase_law(view),
            language=self._language(view),
            new_text=view.parts.new_text,
            signature=view.parts.signature_text,
            quoted=view.parts.quoted_text,
            notes=tuple(dict.fromkeys(self.notes)),
        )

    # -- segments ------------------------------------------------------------------

    def _found(self, seg: Segment) -> Found:
        if seg.detail == "ours":
            # Our own letter in the quote: only our company's name is wanted from it
            # (so the client's mention of us is not taken for the client).
            orgs = tuple(OrgMention(c, seg.start, seg.start, None, c, True, "quoted") for c in nlpmod.quoted_cores(seg.body))
            return Found(seg, orgs, (), (), ())
        return _analyse(self.nlp, [seg])[0]

    def _found_all(self, segments: Sequence[Segment]) -> list[Found]:
        """Findings per segment, in segment order; NER segments of one text in one pass."""
        by_index: dict[int, Found] = {}
        groups: dict[int, list[int]] = {}
        for i, seg in enumerate(segments):
            if seg.ner:
                groups.setdefault(id(seg.text), []).append(i)
            else:
                by_index[i] = self._found(seg)
        for indexes in groups.values():
            for i, f in zip(indexes, _analyse(self.nlp, [segments[i] for i in indexes]), strict=True):
                by_index[i] = f
        return [by_index[i] for i in range(len(segments))]

    def _attachments(self, view: View, founds: Sequence[Found]) -> list[Found]:
        msg = self.msg
        if view.forwarded_by is not None and msg.forwarded and view.client is not None:
            # The original's attachments travel inside it; ours (the forward) add nothing.
            atts = next((fw.attachments for fw in msg.forwarded if fw.sender == view.client), msg.attachments)
        else:
            atts = msg.attachments
        result = attachment_texts(atts)
        self.notes.extend(result.notes)
        own_text = "\n".join(f.segment.body for f in founds if f.segment.own)
        out: list[Found] = []
        for item in result.texts:
            card = _attachment_is_card(item.filename, item.text, own_text)
            seg = Segment("attachment", item.text, 0, min(len(item.text), SCAN_CHARS), own=card, detail=item.filename)
            out.append(self._found(seg))
        return out

    def _our_keys(self, founds: Sequence[Found]) -> set[str]:
        """Name keys of our own company: given (a department name such as «ТД „Северный
        Картон“, отдел продаж» gives its quoted name), or signed in our managers' quoted
        letters."""
        keys = {name_key(n) for n in self.own_names}
        keys.update(name_key(q) for n in self.own_names for q in nlpmod.quoted_cores(n))
        for f in founds:
            if f.segment.detail == "ours":
                keys.update(name_key(o.core) for o in f.orgs)
        keys.discard("")
        return keys

    # -- company -------------------------------------------------------------------

    def _company(self, view: View, founds: Sequence[Found], ours: set[str]) -> tuple[Company | None, _Candidate | None, tuple[Company, ...]]:
        candidates: list[_Candidate] = []
        others: list[tuple[OrgMention, Found]] = []
        for f in founds:
            pairs = _pair_numbers(f, f.orgs)
            for oi, org in enumerate(f.orgs):
                if name_key(org.core) in ours or name_key(org.text) in ours or self._like_our_domain(org.core):
                    continue
                if not f.segment.own:
                    if org.source != "ner":
                        others.append((org, f))
                    continue
                ctx = _context(f.segment, org, sig_is_self=org.source != "ner")
                if org.source == "ner" and ctx != "self":
                    continue  # an NER guess is too noisy to list as a mentioned company
                # A bare quoted name or an NER guess counts only when the writer claims
                # it («пишу с „Алтайских сыров“»); otherwise it is a product or a brand.
                if ctx == "other" or (ctx == "neutral" and org.source in ("quoted", "ner")):
                    others.append((org, f))
                    continue
                cand = _Candidate(org, f, ctx, _base_score(f.segment, org, ctx))
                for ni, num in enumerate(f.numbers):
                    if pairs.get(ni) == oi:
                        kind = "ogrn" if num.kind == "ogrnip" else num.kind
                        if getattr(cand, kind) is None:
                            setattr(cand, kind, num)
                candidates.append(cand)
        candidates = _merge_same(candidates)
        # Identifiers not tied to any organisation in own text: the writer's own when
        # nothing else claims them («Счёт на ИНН 5406248153»).
        loose = self._loose_numbers(founds)
        best = max(candidates, key=lambda c: (c.score + (1.0 if c.inn else 0.0), -c.found.segment.start, -c.org.start), default=None)
        if best is None:
            header = self._company_from_display_name(view)
            if header is not None and "inn" not in loose:
                return header, None, self._mentioned(others, candidates, None, ours)
            if "inn" not in loose:
                return None, None, self._mentioned(others, candidates, None, ours)
            hit, found = loose["inn"]
            name = header.name if header else ""
            org = OrgMention(name, hit.start, hit.start, header.legal_form if header else None, header.core if header else "", False, "inn")
            best = _Candidate(org, found, "self", found.segment.weight, inn=hit)
        if best.inn is None and "inn" in loose:
            best.inn = loose["inn"][0]
        for kind in ("kpp", "ogrn"):
            # A loose KPP/OGRN goes with the sender's INN when it stands next to it.
            if getattr(best, kind) is None and kind in loose and best.inn is not None:
                hit, found = loose[kind]
                if _near(found, hit, best.inn):
                    setattr(best, kind, hit)
        company = self._company_of(best)
        return company, best, self._mentioned(others, candidates, best, ours)

    def _loose_numbers(self, founds: Sequence[Found]) -> dict[str, tuple[NumberHit, Found]]:
        """The best own identifier of each kind that no organisation claims, in trust
        order; two different INNs at the same trust are ambiguous → none."""
        result: dict[str, tuple[NumberHit, Found]] = {}
        for kind in ("inn", "kpp", "ogrn"):
            options: list[tuple[float, int, NumberHit, Found]] = []
            for f in founds:
                if not f.segment.own:
                    continue
                pairs = _pair_numbers(f, f.orgs)
                for ni, num in enumerate(f.numbers):
                    if ("ogrn" if num.kind == "ogrnip" else num.kind) != kind:
                        continue
                    if ni in pairs and f.orgs[pairs[ni]].source in ("legal", "quoted"):
                        continue  # it belongs to that organisation (ours, theirs or another)
                    if _other_number_context(f, num):
                        continue
                    options.append((f.segment.weight + (0.2 if num.labelled else 0.0), num.start, num, f))
            if not options:
                continue
            options.sort(key=lambda o: (-o[0], o[1]))
            top = options[0]
            rivals = {o[2].value for o in options if abs(o[0] - top[0]) < 1e-9}
            if len(rivals) > 1:
                if kind == "inn":
                    self.notes.append("в письме несколько ИНН без названия компании: какой из них отправителя, не ясно")
                continue
            result[kind] = (top[2], top[3])
        return result

    def _company_of(self, cand: _Candidate) -> Company:
        org = cand.org
        seg = cand.found.segment
        evidence: list[Evidence] = []
        if org.text:
            evidence.append(seg.evidence(org.start, org.end))
        for hit in (cand.inn, cand.kpp, cand.ogrn):
            if hit is not None:
                evidence.append(self._evidence_of(hit, cand.found))
        conf = 0.9 if cand.inn is not None else min(0.85, 0.3 + 0.15 * cand.score)
        return Company(
            name=org.text.strip(),
            core=org.core,
            legal_form=org.legal_form,
            inn=cand.inn.value if cand.inn else None,
            kpp=cand.kpp.value if cand.kpp else None,
            ogrn=cand.ogrn.value if cand.ogrn else None,
            evidence=tuple(evidence),
            confidence=round(conf, 2),
            public_sector=is_public_form(org.legal_form),
        )

    def _evidence_of(self, hit: NumberHit, found: Found | None) -> Evidence:
        if found is None:
            return Evidence("body", hit.value, hit.start, hit.end)
        return found.segment.evidence(hit.start, hit.end)

    def _company_from_display_name(self, view: View) -> Company | None:
        """«ГБУ РО ОЦСОН <x@yandex.ru>», "ZooMarket Online purchasing": a display name that
        is not a person's name names the company (weakly)."""
        client = view.client
        if client is None or not client.name or self._is_internal(client):
            return None
        name = client.name.strip().strip("\"'")
        if "@" in name or _is_person_name(name):
            return None
        doc = nlpmod.analyse(re.sub(r"\s+", " ", _DEPARTMENT_WORDS.sub(" ", name)).strip(), ner=False, nlp=self.nlp)
        orgs = nlpmod.org_mentions(doc)
        if orgs:
            org = orgs[0]
            return Company(org.text, org.core, org.legal_form, evidence=(Evidence("header", name, 0, len(name)),), confidence=0.4, public_sector=is_public_form(org.legal_form))
        core = _DEPARTMENT_WORDS.sub(" ", name)
        core = re.sub(r"\s+", " ", core).strip(" ,.-—")
        if not core or _is_person_name(core) or len(core) < 3:
            return None
        form_match = re.match(r"^([А-ЯЁA-Z]{2,6})\b\s*(.*)$", core)
        form: str | None = None
        rest = core
        if form_match and form_match.group(1) in nlpmod.ABBREVIATIONS:
            form, rest = form_match.group(1), form_match.group(2) or core
        return Company(core, rest, form, evidence=(Evidence("header", name, 0, len(name)),), confidence=0.3, public_sector=is_public_form(form))

    def _mentioned(self, others: Sequence[tuple[OrgMention, Found]], candidates: Sequence[_Candidate], best: _Candidate | None, ours: set[str]) -> tuple[Company, ...]:
        seen: set[str] = set()
        if best is not None:
            seen.add(name_key(best.org.core))
        result: list[Company] = []
        pool: list[tuple[OrgMention, Found]] = list(others) + [(c.org, c.found) for c in candidates if c is not best]
        pool.sort(key=lambda p: (p[1].segment.source == "quote", p[1].segment.start, p[0].start))
        for org, f in pool:
            key = name_key(org.core)
            if not key or key in seen or key in ours:
                continue
            seen.add(key)
            pairs = _pair_numbers(f, f.orgs)
            inn = next((f.numbers[ni].value for ni, oi in pairs.items() if f.orgs[oi] == org and f.numbers[ni].kind == "inn"), None)
            result.append(
                Company(
                    name=org.text.strip(),
                    core=org.core,
                    legal_form=org.legal_form,
                    inn=inn,
                    evidence=(f.segment.evidence(org.start, org.end),),
                    confidence=0.5,
                    public_sector=is_public_form(org.legal_form),
                )
            )
        return tuple(result)

    def _like_our_domain(self, core: str) -> bool:
        """«Северный Картон» written by a client is us when our domain spells it
        (severkarton.test): the name's Latin skeleton, spaces dropped, is within a typo or
        two of the domain's first label. Only labels of 6+ letters, so no short word matches."""
        squeezed = name_key(core).replace(" ", "")
        if len(squeezed) < 6:
            return False
        for domain in self.internal:
            label = domain.lower().lstrip("@").split(".")[0]
            if len(label) >= 6 and fuzz.ratio(squeezed, label) >= 85:
                return True
        return False

    def _is_internal(self, addr: Address) -> bool:
        return domain_in(addr.domain, self.internal)

    # -- requisites ------------------------------------------------------------------

    def _requisites(self, founds: Sequence[Found], cand: _Candidate | None) -> tuple[Requisite, ...]:
        sender_hits = [h for h in (cand.inn, cand.kpp, cand.ogrn) if h is not None] if cand else []
        by_hit: dict[int, Found] = {}
        result: list[Requisite] = []
        seen: set[tuple[str, str]] = set()
        if cand is not None:
            for hit in sender_hits:
                key = (hit.kind, hit.value)
                if key not in seen:
                    seen.add(key)
                    result.append(Requisite(hit.kind, hit.value, self._evidence_of(hit, self._found_of(founds, hit)), hit.labelled))
        for f in founds:
            for hit in f.numbers:
                key = (hit.kind, hit.value)
                if key in seen:
                    continue
                seen.add(key)
                by_hit[id(hit)] = f
                result.append(Requisite(hit.kind, hit.value, f.segment.evidence(hit.start, hit.end), hit.labelled))
        return tuple(result)

    @staticmethod
    def _found_of(founds: Sequence[Found], hit: NumberHit) -> Found | None:
        for f in founds:
            if hit in f.numbers:
                return f
        return None

    def _reject_notes(self, founds: Sequence[Found]) -> None:
        words = {
            "checksum": "не проходит проверку контрольных цифр — не использован",
            "foreign": "иностранный идентификатор, не российский ИНН",
            "length": "неверной длины для ИНН — не использован",
            "format": "неверного формата — не использован",
        }
        for f in founds:
            if not f.segment.own:
                continue
            for hit in f.rejected:
                if hit.reason in words:
                    label = (hit.label or hit.kind.upper()).strip()
                    self.notes.append(f"{label} {hit.value} {words[hit.reason]}")

    # -- country and region -------------------------------------------------------------

    def _own_texts(self, founds: Sequence[Found]) -> list[Found]:
        return [f for f in founds if f.segment.own]

    def _country(self, view: View, founds: Sequence[Found], company: Company | None, reqs: Sequence[Requisite]) -> tuple[str | None, Evidence | None]:
        """RU with Russian evidence, an ISO code for a foreign sender, None when unknown.
        A valid Russian INN of the sender outweighs any foreign hint."""
        if company is not None and company.inn:
            return "RU", None
        votes: dict[str, float] = {}
        first_ev: dict[str, Evidence] = {}
        client = view.client
        if client is not None and not domain_in(client.domain, self.free):
            code = gazetteer.country_by_domain(client.domain)
            if code and code != "RU":
                votes[code] = votes.get(code, 0) + 2.0
                first_ev.setdefault(code, Evidence("domain", client.domain))
        for f in self._own_texts(founds):
            seg = f.segment
            if seg.source in ("quote", "attachment"):
                continue
            for code, s, e in _phone_countries(seg.body):
                votes[code] = votes.get(code, 0) + 1.5
                first_ev.setdefault(code, seg.evidence(s + seg.start, e + seg.start))
            for pattern, code in _FOREIGN_RE:
                for m in pattern.finditer(seg.body):
                    votes[code] = votes.get(code, 0) + 1.0
                    first_ev.setdefault(code, seg.evidence(m.start() + seg.start, m.end() + seg.start))
                    break
        if company is not None and company.legal_form in nlpmod.FOREIGN_SUFFIXES:
            for code in votes:
                votes[code] += 0.5
        if not votes:
            return None, None
        code = max(votes, key=lambda c: votes[c])
        # A foreign city named as a delivery destination by a Russian company is not enough.
        if votes[code] < 2.0 and self._russian_evidence(founds, view):
            return "RU", None
        return code, first_ev.get(code)

    def _russian_evidence(self, founds: Sequence[Found], view: View) -> bool:
        for f in self._own_texts(founds):
            if f.segment.source in ("quote",):
                continue
            for ph in gazetteer.find_phones(f.segment.body):
                if ph.region_code:
                    return True
        return False

    def _regions(self, view: View, founds: Sequence[Found], cand: _Candidate | None, country: str | None) -> list[Region]:
        regions: list[Region] = []
        if cand is not None:
            f = cand.found
            if cand.inn is not None:
                r = _region(cand.inn.value[:2], "inn", self._evidence_of(cand.inn, self._found_of(founds, cand.inn) or f), 0.95)
                if r:
                    regions.append(r)
            if cand.kpp is not None and not kpp_is_largest_taxpayer(cand.kpp.value):
                r = _region(cand.kpp.value[:2], "kpp", self._evidence_of(cand.kpp, self._found_of(founds, cand.kpp) or f), 0.9)
                if r:
                    regions.append(r)
            if cand.ogrn is not None:
                r = _region(ogrn_region_code(cand.ogrn.value), "ogrn", self._evidence_of(cand.ogrn, self._found_of(founds, cand.ogrn) or f), 0.85)
                if r:
                    regions.append(r)
        regions.extend(self._gazetteer_regions(view, founds))
        # One candidate per (code, how), trust order kept.
        seen: set[tuple[str, str]] = set()
        unique: list[Region] = []
        for r in regions:
            if (r.code, r.how) not in seen:
                seen.add((r.code, r.how))
                unique.append(r)
        return unique

    def _gazetteer_regions(self, view: View, founds: Sequence[Found]) -> list[Region]:
        own = [f for f in self._own_texts(founds) if f.segment.source != "subject"]
        sig_like = [f for f in own if f.segment.sig or (f.segment.source == "attachment")]
        body_like = [f for f in own if not f.segment.sig and f.segment.source in ("body", "forwarded")]
        phones: list[tuple[Any, Found]] = []
        for f in sig_like + body_like + [f for f in own if f.segment.source == "quote"]:
            for ph in gazetteer.find_phones(f.segment.body):
                if ph.region_code:
                    phones.append((ph, f))
        phone_codes = {ph.region_code for ph, _ in phones}
        # One scan per text: the address pass and the prose pass read the same places.
        places = {id(f): gazetteer.find_places(f.segment.body) for f in sig_like + body_like}

        def place_region(f: Found, place: Any, how: str, confidence: float) -> Region | None:
            if self._place_in_other_context(f, place.start):
                return None
            code = self._resolve_place(place.region_codes, phone_codes)
            if code is None:
                return None
            ev = f.segment.evidence(place.start + f.segment.start, place.end + f.segment.start)
            return _region(code, how, ev, confidence)

        addr: list[Region] = []
        for f in sig_like + body_like:
            for place in places[id(f)]:
                if not (place.in_address or f.segment.sig or f.segment.source == "attachment"):
                    continue
                r = place_region(f, place, "address" if place.in_address else "city", 0.8 if place.in_address else 0.7)
                if r:
                    addr.append(r)
        phone_regions: list[Region] = []
        for ph, f in phones:
            ev = f.segment.evidence(ph.start + f.segment.start, ph.end + f.segment.start)
            r = _region(ph.region_code, "phone", ev, 0.5 if ph.ambiguous else 0.6)
            if r:
                phone_regions.append(r)
        city: list[Region] = []
        for f in body_like:
            for place in places[id(f)]:
                if place.in_address:
                    continue
                r = place_region(f, place, "city", 0.45)
                if r:
                    city.append(r)
        domain: list[Region] = []
        client = view.client
        if client is not None and not domain_in(client.domain, self.free) and not self._is_internal(client):
            info = gazetteer.region_by_domain(client.domain)
            if info is not None:
                domain.append(Region(info.code, info.name, info.district, "domain", Evidence("domain", client.domain), 0.4))
        return addr + phone_regions + city + domain

    @staticmethod
    def _resolve_place(codes: Sequence[str], phone_codes: set[str | None]) -> str | None:
        """A city name shared by several regions is settled by a phone code."""
        if not codes:
            return None
        if len(codes) == 1:
            return codes[0]
        both = [c for c in codes if c in phone_codes]
        return both[0] if len(both) == 1 else None

    @staticmethod
    def _place_in_other_context(f: Found, rel_start: int) -> bool:
        """A place that is where a mentioned company sits («для ГБУЗ … г. Петрозаводска»)
        or a bank's seat is not the sender's."""
        text = f.segment.text
        pos = rel_start + f.segment.start
        line_start = text.rfind("\n", 0, pos) + 1
        line = text[max(line_start, f.segment.start) : pos]
        return bool(_BANK_LINE.match(line) or re.search(r"\bбанк\w*|для\s+(?:нашего\s+)?(?:заказчик|клиент)|филиал\w*\s+банка", line, re.IGNORECASE))

    # -- people, law, language --------------------------------------------------------

    def _people(self, view: View, founds: Sequence[Found]) -> tuple[Person, ...]:
        people: list[Person] = []

        def add(name: str | None, written: str, role: str, ev: Evidence) -> None:
            if not name:
                return
            words = _name_words(name)
            for i, p in enumerate(people):
                other = _name_words(p.name)
                if words <= other:
                    return  # «Виктор» after «Виктор Шестопалов», «Шестопалов Виктор» again
                if other < words and p.role == role:
                    people[i] = Person(name=name, text=written, role=role, evidence=ev)
                    return
            people.append(Person(name=name, text=written, role=role, evidence=ev))

        # Addressees: greetings in the client's new text and the subject.
        for f in founds:
            seg = f.segment
            if not seg.own or seg.sig or seg.source not in ("body", "forwarded", "subject"):
                continue
            for pattern in _ADDRESSEE_PATTERNS:
                for m in pattern.finditer(seg.body):
                    written = m.group("name")
                    name = self._addressee_name(written)
                    if name:
                        s = m.start("name") + seg.start
                        add(name, written, "addressee", seg.evidence(s, s + len(written)))
        # The sender: who signs (a name line, or what the NER calls a person), and From's
        # display name.
        for f in founds:
            seg = f.segment
            if not (seg.own and seg.sig):
                continue
            spans = list(f.persons)
            for m in _SIG_NAME_LINE.finditer(seg.body):
                written = m.group("name")
                if _is_person_name(written) or (not _CYR.search(written) and not _TITLE_WORDS.search(written)):
                    s = m.start("name") + seg.start
                    spans.append((s, s + len(written)))
            for s, e in sorted(set(spans), key=lambda span: (span[0], -span[1])):
                written = seg.text[s:e]
                if _STREET_BEFORE.search(seg.text[max(seg.start, s - 12) : s]):
                    continue
                name = normalize_person(written) if _CYR.search(written) else written
                add(name or written, written, "sender", seg.evidence(s, e))
        client = view.client
        if client is not None and client.name and _is_person_name(client.name):
            name = normalize_person(client.name) or client.name
            add(name, client.name, "sender", Evidence("header", client.name))
        # Everyone else the client names in the new text.
        for f in founds:
            seg = f.segment
            if not seg.own or seg.sig or seg.source not in ("body", "forwarded"):
                continue
            for s, e in f.persons:
                written = seg.text[s:e]
                if _STREET_BEFORE.search(seg.text[max(seg.start, s - 12) : s]):
                    continue
                name = normalize_person(written) if _CYR.search(written) else written
                add(name or written, written, "mentioned", seg.evidence(s, e))
        return tuple(people)

    @staticmethod
    def _addressee_name(written: str) -> str | None:
        written = written.strip()
        if _LATIN_TITLE.match(written) or not _CYR.search(written):
            if written.lower() in ("all", "team", "there", "colleagues", "sir", "madam"):
                return None
            return written
        return normalize_person(written)

    def _purchase_law(self, view: View) -> str | None:
        texts = [view.parts.new_text, view.parts.signature_text, self.msg.subject]
        for text in texts:
            m = _LAW.search(text)
            if m:
                return f"{m.group(1) or m.group(2) or m.group(3)}-ФЗ"
        return None

    @staticmethod
    def _language(view: View) -> str:
        text = view.parts.new_text or view.parts.text[:2000]
        cyr, lat = len(_CYR.findall(text)), len(_LAT.findall(text))
        if cyr == 0 and lat == 0:
            return "ru"
        return "ru" if cyr >= lat * 0.3 else "en"


# --- module-level convenience ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _default_extractor() -> Extractor:
    return Extractor()


def extract_facts(msg: ParsedMessage, **kw: Any) -> Facts:
    """`Extractor().extract(msg, **kw)` with one lazily built, process-wide Extractor."""
    return _default_extractor().extract(msg, **kw)


__all__ = ["Extractor", "client_view", "extract_facts", "normalize_person", "parse_address"]
