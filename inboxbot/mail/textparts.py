"""A mail's plain text → what the writer wrote now, their signature, the quoted history
and a forwarded original. Pure; every part is a span of the original text.

Why spans and not copies: facts found later (an INN, a name) keep offsets into the very
text the explanation quotes, so "ИНН … из подписи" can point at the place.

The layout rules are the ones mail clients actually produce:
* quote headers: "-----Original Message-----", Outlook's "От: … / Отправлено: …" block,
  "On … wrote:", Gmail's "пн, 1 июл. 2025 г. в 11:48, X <y>:", Yandex's
  "01.07.2025, 11:48, "X" <y>:", and ">"-prefixed lines;
* forward headers: "-------- Пересылаемое сообщение --------", "---------- Forwarded
  message ---------", "Begin forwarded message:", or an Outlook header block in a mail
  whose subject says "Fwd:"; the block's own От/Тема/Дата lines are read, so the client
  can be the original sender and not the colleague who forwarded it;
* signatures: "-- ", a closing formula («С уважением», "Best regards"), or a trailing
  block of short lines that look like a name, a position, a company, a phone or an address.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass

from inboxbot.mail.message import Address
from inboxbot.model.subjects import QUOTE_FORWARD_SUBJECT


@dataclass(frozen=True, slots=True)
class Part:
    """A span [start, end) of the original text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]

    @property
    def empty(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class Quote:
    """One quoted block of history: its span (header included) and, when the header
    names one, who wrote it."""

    part: Part
    author: Address | None = None
    # The name a header gives without an address (Outlook's «От: Котов Иван» for someone in
    # its address book): only the same name as the sender's can tell whose letter it is.
    author_name: str = ""


@dataclass(frozen=True, slots=True)
class Forwarded:
    """A forwarded original inside the text: its header lines as read, and its own body
    split the same way (offsets are into the outer text too)."""

    part: Part
    sender: Address | None
    subject: str
    date: str
    body: TextParts


@dataclass(frozen=True, slots=True)
class TextParts:
    text: str
    new: Part
    signature: Part | None = None
    quotes: tuple[Quote, ...] = ()
    forwarded: Forwarded | None = None

    @property
    def new_text(self) -> str:
        return self.new.of(self.text).strip()

    @property
    def signature_text(self) -> str:
        return self.signature.of(self.text).strip() if self.signature else ""

    @property
    def quoted_text(self) -> str:
        return "\n".join(q.part.of(self.text).strip() for q in self.quotes)


# --- markers ---------------------------------------------------------------------------

_FORWARD_MARKER = re.compile(
    r"^[ \t>]*(?:-{2,}|_{2,}|={2,})?\s*(?:Пересылаемое сообщение|Пересланное сообщение|"
    r"Перенаправленное сообщение|Forwarded message|Forwarded Message|Original Message follows)"
    r"\s*(?:-{2,}|_{2,}|={2,})?\s*$"
    r"|^[ \t]*Begin forwarded message:\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_ORIGINAL_MARKER = re.compile(
    r"^[ \t>]*-{2,}\s*(?:Original Message|Исходное сообщение|Оригинальное сообщение|"
    r"Reply message|Ответное сообщение)\s*-{2,}\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# "On Mon, 1 Jul 2025 at 11:48, X <y> wrote:", "1 июля 2025 г., 11:48 пользователь X написал:"
_WROTE_LINE = re.compile(
    r"^[ \t>]*(?:On\b.{0,200}\bwrote|.{0,200}\b(?:написал|написала|написал\(а\)|пишет))\s*:\s*$",
    re.IGNORECASE | re.MULTILINE,
)
# Gmail/Yandex Russian: "пн, 1 июл. 2025 г. в 11:48, X <y>:" / "01.07.2025, 11:48, "X" <y>:"
_DATED_ADDRESS_LINE = re.compile(
    r"^[ \t]*[^\n]{0,80}?\d{1,2}:\d{2}[^\n]{0,160}?<?[\w.+-]+@[\w.-]+\.\w+>?\s*:\s*$",
    re.MULTILINE,
)
_HEADER_KEYS = {
    "from": ("от", "от кого", "from", "отправитель"),
    "sent": ("отправлено", "sent", "дата", "date", "датa"),
    "to": ("кому", "to", "получатель"),
    "cc": ("копия", "cc"),
    "subject": ("тема", "subject"),
}
_HEADER_LINE = re.compile(
    r"^[ \t>*]*(От кого|От|From|Отправитель|Отправлено|Sent|Дата|Date|Кому|To|Получатель|Копия|Cc|"
    r"Тема|Subject)\*?[ \t]*:[ \t]*(.*)$",
    re.IGNORECASE,
)
_CHEVRON = re.compile(r"^[ \t]*>", re.MULTILINE)

# Lines that open a signature. «Спасибо» only as a line of its own: "Спасибо, что …"
# mid-text is not a closing.
_CLOSING = re.compile(
    r"^[ \t]*(?:с уважением|с наилучшими пожеланиями|всего (?:доброго|хорошего)|"
    r"best regards|kind regards|warm regards|regards|sincerely|cheers|yours (?:truly|faithfully|sincerely)|"
    r"(?:заранее )?спасибо|благодарю|(?:с )?благодарностью|хорошего дня|удачного дня)"
    r"[\s,.!]*(?:[A-ZА-ЯЁ][^\n]{0,60})?$",
    re.IGNORECASE | re.MULTILINE,
)
_DASHES = re.compile(r"^(?:--|—|–|__+|-{3,})[ \t]*$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^[ \t]*(?:Отправлено (?:с|из)|Sent from|Get Outlook|Отправлено через)\b[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)


# --- signature-like lines --------------------------------------------------------------

_NAME_WORD = r"[A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?"
_SIG_LINE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE if i >= 3 else 0)
    for i, p in enumerate(
        (
            # a name: «Иван Петров», «Петров Иван Сергеевич», «Никонова Е. В.», "John Smith"
            rf"^{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}[,.]?$",
            rf"^{_NAME_WORD}\s+[A-ZА-ЯЁ]\.\s?[A-ZА-ЯЁ]\.?$|^[A-ZА-ЯЁ]\.\s?[A-ZА-ЯЁ]\.\s?{_NAME_WORD}$",
            # a legal-form line («ООО «Байкал Продукт»», "Samarkand Textile LLC")
            (
                r"^(?:ООО|ОАО|ЗАО|ПАО|АО|НАО|ИП|ТД|ГК|[ГМФ][А-ЯЁ]{1,5}У[А-ЯЁ]?|ФГУП|ГУП|МУП|АНО)\b|"
                r"\b(?:LLC|Ltd\.?|GmbH|JSC|Inc\.?|LLP|Co\.)$|[«»„“\"]"
            ),
            # positions and departments
            (
                r"\b(?:менеджер|директор|специалист|начальник|руководитель|заведующ|бухгалтер|"
                r"управляющ|инженер|логист|снабжен|закуп|отдел|служба|manager|director|head of|"
                r"purchas|procurement|sales|assistant|ассистент|секретар|юрист|кладовщ|технолог|"
                r"экономист|заместитель|зам\.|генеральн|коммерческ|администратор|офис)"
            ),
            # contacts: phones, mail, web, messengers
            (
                r"(?:тел|моб|факс|phone|tel|mob|fax|whatsapp|telegram|viber)\b|"
                r"\+?\d[\d ()\-]{6,}\d|[\w.+-]+@[\w-]+\.\w|www\.|https?://"
            ),
            # addresses and requisites
            (
                r"^(?:г\.|город|ул\.|пр\.|пр-т|д\.|обл\.|край|республика|россия|russia|адрес|address)|"
                r"\b(?:ул\.|улица|проспект|пр-т|шоссе|ш\.|пер\.|д\.\s*\d|г\.\s*[А-ЯЁ]|обл\.|область|край)|"
                r"\b(?:ИНН|КПП|ОГРН|ОГРНИП|БИК|р/с|к/с|р/сч|расч|корр|банк|ОКПО|ОКВЭД|INN|VAT|TIN)\b|"
                r"^\d{6},"
            ),
        )
    )
)
_MAX_SIG_LINE = 90
_MAX_SIG_LINES = 14


_REQUISITES_START = re.compile(r"^(?:ИНН|КПП|ОГРН|ОГРНИП|БИК|р/с|к/с|INN|VAT|TIN)\b", re.IGNORECASE)


def _is_sig_line(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_SIG_LINE or stripped.endswith("?"):
        return False
    # Prose and list items belong to the request even when they name a street or a
    # company («Доставка на производство в Туле, ул. Демонстрации, 8.»).
    if stripped[0] in "-•*–—" and not _DASHES.match(stripped):
        return False
    if stripped[-1] in ".!" and len(stripped.split()) >= 5 and not _REQUISITES_START.match(stripped):
        return False
    return any(p.search(stripped) for p in _SIG_LINE_PATTERNS)


# --- API -------------------------------------------------------------------------------


def split_text(text: str, subject: str = "") -> TextParts:
    """Split a mail's text. Never raises; an empty text gives an empty `new` part.
    `subject` helps tell a forward ("Fwd: …") from a reply that quotes in the same layout."""
    return _split(text, 0, len(text), subject, depth=0)


def _split(text: str, start: int, end: int, subject: str, depth: int) -> TextParts:
    cut = _first_marker(text, start, end, forward_subject=bool(QUOTE_FORWARD_SUBJECT.match(subject)))
    new_end = cut[0] if cut else end
    forwarded: Forwarded | None = None
    quotes: list[Quote] = []
    if cut:
        pos, kind, header_end = cut
        if kind == "forward" and depth < 3:
            forwarded = _forwarded(text, pos, header_end, end, depth)
        else:
            quotes.extend(_quote_blocks(text, pos, header_end, end))
    # Content before the first marker is "new"; strip the trailing blank lines.
    while new_end > start and text[new_end - 1].isspace():
        new_end -= 1
    sig = _signature(text, start, new_end)
    new = Part(start, sig.start if sig else new_end)
    return TextParts(text=text, new=new, signature=sig, quotes=tuple(quotes), forwarded=forwarded)


def _first_marker(text: str, start: int, end: int, *, forward_subject: bool) -> tuple[int, str, int] | None:
    """(offset of the marker line, "forward" | "quote", offset where its header ends)."""
    found: list[tuple[int, str, int]] = []
    for m in _FORWARD_MARKER.finditer(text, start, end):
        found.append((m.start(), "forward", _skip_header_lines(text, m.end(), end)))
        break
    for m in _ORIGINAL_MARKER.finditer(text, start, end):
        # Outlook forwards ("FW: …") with the same "-----Original Message-----" line it
        # quotes replies with: the subject tells them apart, as for its header block.
        found.append((m.start(), "forward" if forward_subject else "quote", _skip_header_lines(text, m.end(), end)))
        break
    block = _outlook_block(text, start, end)
    if block:
        kind = "forward" if forward_subject else "quote"
        found.append((block[0], kind, block[1]))
    for pattern in (_WROTE_LINE, _DATED_ADDRESS_LINE):
        wrote = pattern.search(text, start, end)
        if wrote:
            found.append((wrote.start(), "quote", wrote.end()))
    chevron = _CHEVRON.search(text, start, end)
    if chevron:
        found.append((chevron.start(), "quote", chevron.start()))
    if not found:
        return None
    found.sort(key=lambda f: (f[0], f[1] != "forward"))
    pos, kind, header_end = found[0]
    # A forward marker right after an "-----Original-----" style line is still a forward.
    return pos, kind, header_end


def _outlook_block(text: str, start: int, end: int) -> tuple[int, int] | None:
    """An Outlook/Thunderbird header block: a From/От line within a run of at least two
    header lines (От + Отправлено/Дата/Кому/Тема). Returns (block start, block end)."""
    lines = _lines(text, start, end)
    i = 0
    while i < len(lines):
        ls, le = lines[i]
        m = _HEADER_LINE.match(text[ls:le])
        if not m:
            i += 1
            continue
        j = i
        keys: set[str] = set()
        while j < len(lines):
            hm = _HEADER_LINE.match(text[lines[j][0] : lines[j][1]])
            if not hm:
                break
            keys.add(_header_key(hm.group(1)))
            j += 1
        if "from" in keys and len(keys) >= 2:
            return ls, lines[j - 1][1]
        i = max(j, i + 1)
    return None


def _header_key(word: str) -> str:
    word = word.lower()
    for key, words in _HEADER_KEYS.items():
        if word in words:
            return key
    return word


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        result.append((pos, stop))
        pos = stop + 1
    return result


def _skip_header_lines(text: str, pos: int, end: int) -> int:
    """After a marker line: skip blank lines and header lines; return where the body starts."""
    last = pos
    for ls, le in _lines(text, pos, end):
        line = text[ls:le]
        if not line.strip():
            if last > pos:  # the blank line after the headers ends them
                return le
            continue
        if _HEADER_LINE.match(line):
            last = le
            continue
        return ls
    return max(last, pos)


def _read_headers(text: str, start: int, end: int) -> dict[str, str]:
    headers: dict[str, str] = {}
    for ls, le in _lines(text, start, end):
        m = _HEADER_LINE.match(text[ls:le])
        if m:
            headers.setdefault(_header_key(m.group(1)), m.group(2).strip().strip("*").strip())
    return headers


def parse_address(value: str) -> Address | None:
    """"Егор Смолин <smolin.egor@yandex.ru>", "smolin@x.ru", "Егор Смолин [mailto:x@y.ru]"
    → Address; None without an e-mail address."""
    value = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", value)
    name, addr = email.utils.parseaddr(value)
    if "@" not in addr:
        m = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", value)
        if not m:
            return None
        addr = m.group(0)
        name = value[: m.start()].strip(" <\"'")
    return Address(name.strip().strip("\"'"), addr.strip().lower())


# Earlier letters told apart in one quoted history; the rest of a longer thread stays in the last.
_MAX_QUOTE_BLOCKS = 8


def _quote_blocks(text: str, pos: int, header_end: int, end: int) -> list[Quote]:
    """The quoted history cut at every letter header inside it, so that each earlier letter
    keeps its own author: the client's first letter quoted under our manager's answer is
    the client's, not ours."""
    blocks: list[Quote] = []
    while True:
        nxt = None if len(blocks) == _MAX_QUOTE_BLOCKS - 1 else _next_header(text, max(header_end, pos + 1), end)
        blocks.append(_quote(text, pos, header_end, nxt[0] if nxt else end))
        if nxt is None:
            return blocks
        pos, header_end = nxt


def _next_header(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The next letter header in [start, end): (where it starts, where its body starts).
    Chevrons alone do not start a letter (a deeper ">>" is the same letter's quote)."""
    found: list[tuple[int, int]] = []
    for marker in (_ORIGINAL_MARKER, _FORWARD_MARKER):
        m = marker.search(text, start, end)
        if m:
            found.append((m.start(), _skip_header_lines(text, m.end(), end)))
    block = _outlook_block(text, start, end)
    if block:
        found.append(block)
    for pattern in (_WROTE_LINE, _DATED_ADDRESS_LINE):
        m = pattern.search(text, start, end)
        if m:
            found.append((m.start(), m.end()))
    return min(found) if found else None


def _author_line(text: str, pos: int, end: int) -> tuple[Address, int] | None:
    """A "01.07.2025, 11:48, "X" <y>:" or "X <y> wrote:" line opening [pos, end) (blank
    lines skipped): its address and where the line ends. Yandex and Gmail head a forwarded
    original with it instead of From/Date lines."""
    while pos < end and text[pos] in " \t\r\n":
        pos += 1
    while pos > 0 and text[pos - 1] in " \t":
        pos -= 1
    for pattern in (_DATED_ADDRESS_LINE, _WROTE_LINE):
        m = pattern.match(text, pos, end)
        if m:
            address = parse_address(m.group(0).rstrip(": \n"))
            if address is not None:
                return address, m.end()
    return None


def _quote(text: str, pos: int, header_end: int, end: int) -> Quote:
    author: Address | None = None
    header = text[pos:header_end]
    headers = _read_headers(text, pos, header_end)
    if "from" in headers:
        author = parse_address(headers["from"])
        if author is None:
            return Quote(Part(pos, end), None, headers["from"].strip(" \"'"))
    elif header:
        author = parse_address(header.rstrip(": \n"))
        if author is None:
            return Quote(Part(pos, end), None, _wrote_name(header))
    return Quote(Part(pos, end), author)


_WROTE_TAIL = re.compile(r"\s*(?:написал\(а\)|написала|написал|пишет|wrote)\s*:\s*$", re.IGNORECASE)
_WROTE_HEAD = re.compile(r"^(?:\d{1,2}:\d{2}\s*)?(?:пользователь\s+)?", re.IGNORECASE)


def _wrote_name(header: str) -> str:
    """The writer's name in an address-less «02.07.2025 14:50, Голубев Артём пишет:» or
    «1 июля 2025 г., 11:48 пользователь X написал:» line ("" when there is none): what
    follows the date after the last comma."""
    line = header.strip().lstrip("> \t").splitlines()[0] if header.strip() else ""
    if not _WROTE_TAIL.search(line):
        return ""
    name = _WROTE_TAIL.sub("", line).rsplit(",", 1)[-1].strip()
    name = _WROTE_HEAD.sub("", name).strip(" \"'")
    return name if name and not any(ch.isdigit() for ch in name) else ""


def _forwarded(text: str, pos: int, header_end: int, end: int, depth: int) -> Forwarded:
    headers = _read_headers(text, pos, header_end)
    sender = parse_address(headers.get("from", ""))
    if sender is None:
        line = _author_line(text, header_end, end)
        if line is not None:
            sender, header_end = line
    body = _split(text, header_end, end, headers.get("subject", ""), depth + 1)
    return Forwarded(
        part=Part(pos, end),
        sender=sender,
        subject=headers.get("subject", ""),
        date=headers.get("sent", ""),
        body=body,
    )


def _signature(text: str, start: int, end: int) -> Part | None:
    """Where the signature of the span [start, end) starts, or None."""
    if end <= start:
        return None
    lines = _lines(text, start, end)
    # 1. An explicit separator or a closing formula, the last one in the span, with at most
    # _MAX_SIG_LINES non-blank lines after it (a "Спасибо" line on top of a long text is
    # not a closing).
    for pattern in (_DASHES, _CLOSING, _SENT_FROM):
        last = None
        for m in pattern.finditer(text, start, end):
            last = m
        if last is not None and last.start() > start:
            tail = [ln for ln in text[last.end() : end].split("\n") if ln.strip()]
            if len(tail) <= _MAX_SIG_LINES:
                return Part(last.start(), end)
    # 2. A trailing block of signature-like lines, kept only if it holds at least one
    # name, phone or legal-form line and leaves a body above it. It may start inside the
    # last paragraph ("Реквизиты во вложении.\nИрина"); a blank line is crossed only
    # towards a short paragraph made wholly of such lines.
    paragraphs: list[list[int]] = [[]]
    for idx in range(len(lines) - 1, -1, -1):
        ls, le = lines[idx]
        if text[ls:le].strip():
            paragraphs[-1].append(idx)  # bottom-up within the paragraph
        elif paragraphs[-1]:
            paragraphs.append([])
    first = len(lines)
    for k, para in enumerate(p for p in paragraphs if p):
        suffix: list[int] = []
        for idx in para:
            if not _is_sig_line(text[lines[idx][0] : lines[idx][1]]):
                break
            suffix.append(idx)
        if k == 0:
            if not suffix:
                return None
            first = suffix[-1]
            if len(suffix) < len(para):
                break
        elif len(suffix) == len(para) and len(para) <= 4:
            first = suffix[-1]
        else:
            break
    if first >= len(lines) or first == 0:
        return None
    if len([1 for ls, le in lines[first:] if text[ls:le].strip()]) > _MAX_SIG_LINES:
        return None
    block = [text[ls:le].strip() for ls, le in lines[first:]]
    strong = any(p.search(b) for b in block for p in _SIG_LINE_PATTERNS[:3]) or any(
        _SIG_LINE_PATTERNS[4].search(b) for b in block
    )
    if not strong:
        return None
    # The body must keep some text of its own (an all-signature mail has no request).
    body = text[start : lines[first][0]].strip()
    if not body:
        return None
    return Part(lines[first][0], end)
