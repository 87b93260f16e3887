"""The client base searched in the whole mail: which clients the mail names, and which of
them is the sender.

The extracted company (extract.company) is what the writer calls themselves; a client is
often named otherwise — without the legal form, in an oblique case, only in the subject,
by initials, in the other alphabet, by a former name — and then only the base's own forms
find it (directory.client_dictionary). Each hit is a sender or a merely mentioned company
by where it stands and what stands before it: the signature, the display name, the subject
and «от …», «беспокоят из …», «компания …» make a sender; «как у …», «для …», «клиент …»
make a mentioned one, as does plain running text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inboxbot.directory.client import Client
from inboxbot.directory.client_dictionary import ClientDictionary, FormHit
from inboxbot.directory.name_forms import Token, tokens
from inboxbot.extract.segments import QUOTE_CHARS
from inboxbot.mail.message import Address
from inboxbot.mail.textparts import TextParts
from inboxbot.model.domains import domain_in
from inboxbot.model.facts import Evidence, NamedClient

if TYPE_CHECKING:  # the analysis loads spaCy; routing reads this module's `describe` without it
    from inboxbot.extract.analysis import Analysis

# How far a hit is trusted as the sender, by where it stands.
_WEIGHT = {"signature": 3.0, "header": 2.5, "subject": 2.0, "body": 2.0, "quote": 1.0, "attachment": 1.0}
# A hit through a nested, short or initials form counts a little less than the name itself.
_KIND_PENALTY = {"inner": 0.5, "short": 0.2, "initials": 0.3}
# Two clients closer than this as the sender: the mail does not say which.
_AMBIGUOUS_WITHIN = 0.25

_QUOTE_OPEN = "«\"„“'"
# A legal form or a generic word between the cue and the name: «для фабрики Волжанка».
_LEGAL = r"(?:ооо|оао|зао|пао|ао|ип|гк|тд|фгуп|гуп|муп|llc|ltd|фабрик\w*|компани\w*|групп\w*|завод\w*|комбинат\w*|торгов\w+\s+дом\w*)"
# Words before a name that make it someone else: the writer's customer, supplier, a model.
_OTHER_BEFORE = re.compile(
    r"(?:\bкак\s+(?:и\s+)?(?:у|в|для|на)|\bаналогичн\w*|\bдля|\bвместо|\bзаказчик\w*|\bклиент\w*|\bпокупател\w*|"
    r"\bпоставщик\w*|\bпартн[её]р\w*|\bконкурент\w*|\bпо\s+заказу|\bсовместно\s+с|\bчерез|\bу\s+(?:нашего|наших)\s+\w+|"
    r"\bв\s+адрес|\bпосредник\w*|\bдилер\w*)\s*[«\"„“]?\s*(?:" + _LEGAL + r"\s*[«\"„“]?\s*)?$",
    re.IGNORECASE,
)
# Words before a name that make it the writer's own company.
_SELF_BEFORE = re.compile(
    r"(?:\bот|\bиз|\bсо?|\bкомпани[яи]|\bорганизаци[яи]|\bнаш[аеи]?|\bмы|\bпредставля\w+|\bприветствует|"
    r"\bбеспоко\w+|\bпиш\w+|\bобраща\w+|\bзвон\w+|\bэто|\bбывш\w*\.?|\bранее|\bпрежн\w+\s+названи\w+|\bнас|"
    # a self-introduction by position: «Агроном АПХ „Заречье“», «менеджер по закупкам ООО …»
    r"\b(?:менеджер|агроном|директор|бухгалтер|инженер|снабженец|закупщик|специалист|начальник|руководител|"
    r"технолог|заведующ|кладовщик|секретар|юрист|экономист|логист|товаровед)\w*(?:\s+[а-яё]+){0,3}?)"
    r"[\s,:—–-]*[«\"„“]?\s*(?:" + _LEGAL + r"\s*[«\"„“]?\s*)?(?:[^\n]{0,60}\(\s*(?:бывш\w*\.?|ранее)\s*[«\"„“]?\s*)?$",
    re.IGNORECASE,
)
_SELF_AFTER = re.compile(r"^\W{0,3}(?:беспоко\w+|обраща\w+|просит|благодарит|направляет|сообщает|запрашивает)\b", re.IGNORECASE)
# «С …» / «из …» make a sender only with a verb of calling in the same sentence
# («С Вологодского молочного комбината беспокоят»), not in «работаем с …».
_FROM_ONLY = re.compile(r"(?:\bсо?|\bиз)\s*[«\"„“]?\s*(?:" + _LEGAL + r"\s*[«\"„“]?\s*)?$", re.IGNORECASE)
_CALLING = re.compile(r"беспоко|пиш|обраща|звон|представля", re.IGNORECASE)
# A line or sentence that opens with the legal form and the name is the writer introducing
# themselves («ООО „УФК“ (фасуем мёд) — нужны коробки», «Добрый день! ИП Гарипов Р.И.,
# Казань, …»): others are named inside a sentence.
_LINE_OPENS = re.compile(r"(?:^|[.!?]\s+)[\s>]*(?:ооо|оао|зао|пао|ао|ип|фгуп|гуп|муп|гбу\w*|мбу\w*|llc|ltd)(?:\s+[а-яa-z]{2,4}){0,2}\s*[«\"„“]?\s*$", re.IGNORECASE)
_SIGN_OFF = re.compile(r"^[\s>]*(?:с уважением|с наилучшими|всего доброго|best regards|kind regards|regards|--)", re.IGNORECASE)
_NAME_START = re.compile(r"[A-ZА-ЯЁa-z]")
_QUOTE_HEADER = re.compile(r"^[>\s]*(?:от|from|отправитель)\s*:.*$", re.IGNORECASE | re.MULTILINE)

# Where a hit stood, in the words of the explanation.
PLACE_WORDS = {
    "subject": "в теме письма",
    "body": "в тексте письма",
    "signature": "в подписи",
    "header": "в имени отправителя",
    "quote": "в заголовке цитаты",
    "attachment": "во вложении",
}


@dataclass(frozen=True, slots=True)
class MailText:
    """One text of the mail to search: its source (as in Evidence) and, for an
    attachment, its file name."""

    source: str
    text: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ClientMention:
    """A client of the base named in the mail: as `role` sender or mentioned, with how far
    it is trusted as the sender, the form of the base that matched and where it stands."""

    client: Client
    role: str
    weight: float
    score: float
    kind: str
    form: str
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class ClientSearch:
    """The sender's client (None when no client or more than one claims it), the other
    clients close to it as the sender, and every client merely mentioned."""

    sender: ClientMention | None
    rivals: tuple[ClientMention, ...]
    mentioned: tuple[ClientMention, ...]


NOTHING = ClientSearch(None, (), ())


def describe(m: NamedClient) -> str:
    """«"Вологодский молочный комбинат" в теме письма → клиент из базы (clients.csv, строка 12)»."""
    place = PLACE_WORDS.get(m.evidence.source, "в письме")
    if m.evidence.source == "attachment" and m.evidence.detail:
        place = f"{place} «{m.evidence.detail}»"
    how = {"former": f", прежнее название {_quoted(m.form)}", "alt": f", другое написание {_quoted(m.form)}"}
    near = "" if m.score >= 100 else f", написание близкое к {_quoted(m.form)}"
    return f"{_quoted(m.evidence.text)} {place} → клиент из базы {m.name} ({m.file}, строка {m.line}{how.get(m.kind, '')}{near})"


def named(m: ClientMention) -> NamedClient:
    """A mention as the fact extraction hands on (the base's row by file and line)."""
    return NamedClient(m.client.name, m.client.inn, m.client.file, m.client.line, m.form, m.kind, m.score, m.evidence, m.client.region_code)


def named_clients(a: Analysis, dictionary: ClientDictionary) -> tuple[NamedClient, ...]:
    """The clients of the base this mail names as its sender, best first (more than one:
    equally likely, none decides); the client's attachments are searched only when the
    texts name no sender (they were read by the analysis already)."""
    view = a.view
    texts = mail_texts(a.msg.subject, view.client, view.parts, a.settings.internal)
    # The quoted history is long and counts half (it is the client's earlier mail or ours):
    # read, like the attachments, only when what the client writes now names no sender.
    now = [t for t in texts if t.source != "quote"]

    def attached() -> list[MailText]:
        quoted = [t for t in texts if t.source == "quote"]
        return quoted + [MailText("attachment", f.segment.body, f.segment.detail) for f in a.founds if f.segment.source == "attachment"]

    found = search_clients(dictionary, now, attached)
    close = (found.sender,) if found.sender is not None else found.rivals
    return tuple(named(m) for m in close if m is not None)


def _quoted(text: str) -> str:
    return text if text.startswith(("«", '"')) or text.endswith(("»", '"')) else f"«{text}»"


def search_clients(dictionary: ClientDictionary, texts: Iterable[MailText], more: Callable[[], Iterable[MailText]] | None = None) -> ClientSearch:
    """Every client the texts name, and the sender among them; `more` (attachments'
    texts, costly to read) is searched only when the texts name no sender."""
    mentions = [m for t in texts for m in _mentions(dictionary, t)]
    if more is not None and not any(m.role == "sender" for m in mentions):
        mentions.extend(m for t in more() for m in _mentions(dictionary, t))
    return _decide(mentions)


def _mentions(dictionary: ClientDictionary, item: MailText) -> list[ClientMention]:
    out: list[ClientMention] = []
    offset = 0
    signed = -99  # the line of the last sign-off («С уважением,»): a signature follows it
    for n, line in enumerate(item.text.split("\n")):
        if _SIGN_OFF.match(line):
            signed = n
        # A hit must start with a capital or a Latin letter (_mention): a line without one
        # names nobody, and most lines of running text are cut short here.
        toks = list(tokens(line)) if _NAME_START.search(line) else []
        if toks:
            source = "signature" if item.source in ("body", "quote") and n - signed <= 5 else item.source
            for hit in dictionary.match(toks):
                m = _mention(dictionary, item, source, line, offset, toks, hit)
                if m is not None:
                    out.append(m)
        offset += len(line) + 1
    return out


def _mention(
    dictionary: ClientDictionary, item: MailText, source: str, line: str, offset: int, toks: Sequence[Token], hit: FormHit
) -> ClientMention | None:
    """One hit read in its line: None when it cannot be a company's name there («Восток»
    in running text, a lower-case word)."""
    start, end = toks[hit.first].start, _span_end(line, toks, hit.first, hit.last)
    first = toks[hit.first].raw
    before, after = line[max(0, start - 80) : start], line[end : end + 40]
    quoted = bool(before.rstrip()) and before.rstrip()[-1] in _QUOTE_OPEN
    # A name in running text is capitalised (or Latin, or the line is in capitals).
    if not (first[0].isupper() or first.isascii() or line.isupper()):
        return None
    if _inside_longer_name(line, toks, hit.first, hit.last):
        return None
    role = _role(source, before, after, line)
    if hit.form.weak and not quoted and role != "sender":
        return None  # «Восток» in running text is a direction, not the company
    if hit.form.weak and source in ("body", "quote") and not quoted and not _SELF_BEFORE.search(before):
        return None
    client = dictionary.clients[hit.form.owner]
    # The quote is the client's earlier mail or ours: a third of the trust of the same place now.
    trust = _WEIGHT.get(source, 1.0) * (0.5 if item.source == "quote" else 1.0)
    weight = (trust - _KIND_PENALTY.get(hit.form.kind, 0.0)) * hit.score / 100
    if role == "sender" and source in ("body", "quote") and (_SELF_BEFORE.search(before) or _LINE_OPENS.search(before)):
        weight += 1.0
    evidence = Evidence(item.source, line[start:end], offset + start, offset + end, item.detail)
    return ClientMention(client, role, round(weight, 2), hit.score, hit.form.kind, hit.form.text, evidence)


def _inside_longer_name(line: str, toks: Sequence[Token], first: int, last: int) -> bool:
    """A form matched inside quotes that hold more words of a name: «Солнечный берег» is
    not the client «Солнечный», «Новый Восток» not «Восток» (a quoted name is one name)."""
    start, end = toks[first].start, toks[last].end
    opened = max(line.rfind(q, 0, start) for q in "«„“")
    if line[:start].count('"') % 2:
        opened = max(opened, line.rfind('"', 0, start))
    if opened < 0 or any(q in line[opened + 1 : start] for q in "»”"):
        return False
    closes = [i for i in (line.find(q, end) for q in "»“”\"") if i >= 0]
    closed = min(closes) if closes else len(line)
    return any(t.keys for t in toks if opened < t.start and t.end <= closed and (t.end <= start or t.start >= end))


def _span_end(line: str, toks: Sequence[Token], first: int, last: int) -> int:
    """Where the name ends in the line: after the generic words that follow its last key
    («Камской мебельной ф-ки») and a closing quote its opening one asks for."""
    end = toks[last].end
    for tok in toks[last + 1 :]:
        if tok.keys or tok.raw.lower() in _LEGAL_WORDS or line[end : tok.start].strip():
            break
        end = tok.end
    opened = any(ch in line[toks[first].start : end] for ch in "«„“")
    if opened and end < len(line) and line[end] in "»”\"":
        end += 1
    return end


_LEGAL_WORDS = frozenset({"ооо", "оао", "зао", "пао", "ао", "ип", "llc", "ltd"})


def _role(source: str, before: str, after: str, line: str) -> str:
    if _OTHER_BEFORE.search(before):
        return "mentioned"
    if _LINE_OPENS.search(before):
        return "sender"
    if _FROM_ONLY.search(before) and source == "body":
        return "sender" if _CALLING.search(line) else "mentioned"
    if source in ("signature", "header", "subject") or _SELF_BEFORE.search(before) or _SELF_AFTER.search(after):
        return "sender"
    if source == "quote" and _QUOTE_HEADER.match(line):
        return "sender"
    if source == "attachment":
        return "sender"  # an order form or card the client attached names the client
    return "mentioned"


def _row(m: ClientMention) -> tuple[str, int]:
    """The client's row: a stored base reads a new Client object on every look-up, so
    object identity would make one client its own rival."""
    return m.client.file, m.client.line


def _decide(mentions: Sequence[ClientMention]) -> ClientSearch:
    best: dict[tuple[str, int], ClientMention] = {}
    extra: dict[tuple[str, int], float] = {}
    for m in mentions:
        if m.role != "sender":
            continue
        key = _row(m)
        have = best.get(key)
        if have is None or m.weight > have.weight:
            if have is not None:
                extra[key] = extra.get(key, 0.0) + 0.3
            best[key] = m
        else:
            extra[key] = extra.get(key, 0.0) + 0.3  # named again as the sender: surer
    ranked = sorted(best.values(), key=lambda m: -(m.weight + extra.get(_row(m), 0.0)))
    senders = {_row(m) for m in ranked}
    mentioned: list[ClientMention] = []
    seen: set[tuple[str, int]] = set()
    for m in mentions:
        if m.role == "mentioned" and _row(m) not in senders and _row(m) not in seen:
            seen.add(_row(m))
            mentioned.append(m)
    if not ranked:
        return ClientSearch(None, (), tuple(mentioned))
    top = ranked[0].weight + extra.get(_row(ranked[0]), 0.0)
    rivals = tuple(m for m in ranked[1:] if m.weight + extra.get(_row(m), 0.0) >= top - _AMBIGUOUS_WITHIN)
    if rivals:
        return ClientSearch(None, (ranked[0], *rivals), tuple(mentioned))
    return ClientSearch(ranked[0], (), tuple(mentioned))


def mail_texts(subject: str, client: Address | None, parts: TextParts, internal: Sequence[str]) -> list[MailText]:
    """What a reader sees of who writes: the subject, the client's display name (not ours),
    the new text, the signature and the «От: …» lines of the quote that are not ours."""
    texts = [MailText("subject", subject)]
    if client is not None and client.name and not domain_in(client.domain, internal):
        texts.append(MailText("header", client.name))
    texts.append(MailText("body", parts.new_text))
    texts.append(MailText("signature", parts.signature_text))
    texts.append(MailText("quote", _without_ours(parts.quoted_text[:QUOTE_CHARS], internal)))
    return [t for t in texts if t.text.strip()]


def _without_ours(quoted: str, internal: Sequence[str]) -> str:
    """The quoted history with the «От: …» lines of our own letters blanked (the client's
    own «От:» lines name the client as the writer)."""
    def ours(line: str) -> bool:
        low = line.lower()
        return any(f"@{d.lower()}" in low or f".{d.lower()}" in low for d in internal)

    return "\n".join("" if _QUOTE_HEADER.match(line) and ours(line) else line for line in quoted.split("\n"))
