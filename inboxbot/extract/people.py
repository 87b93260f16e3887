"""The people of a mail: whom the client addresses (greetings), who signs (the sender),
and whom else the client names, each once, with the evidence of where it was written."""

from __future__ import annotations

import re

from inboxbot.extract.analysis import Analysis
from inboxbot.extract.extracted import Extracted
from inboxbot.extract.personnames import CYRILLIC, GREETING, is_person_name, name_words, normalize_person
from inboxbot.model.facts import Evidence, Person

_RU_NAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_ADDRESSEE_PATTERNS = (
    # «Ольга Викторовна, добрый день!», «Дмитрий, здравствуйте»
    re.compile(rf"^[ \t]*(?:(?:уважаем\w+|дорог\w+)\s+)?(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})\s*[,!]\s*{GREETING}", re.IGNORECASE | re.MULTILINE),
    # «Добрый день, Ирина!», «Здравствуйте, Андрей Николаевич.»
    re.compile(rf"{GREETING}\s*,\s*(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})\s*[!.,]", re.IGNORECASE),
    # «Уважаемый Андрей Николаевич», «Уважаемая Елена Павловна!»
    re.compile(rf"(?:уважаем\w+|дорог\w+)\s+(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})", re.IGNORECASE),
    # «прошу передать Ирине Ивановой», «для Ольги Викторовны», «вниманию Елены Павловны»
    re.compile(rf"(?i:переда(?:ть|йте)|перенаправ\w+|для|вниманию|адресовано|в\s+адрес)\s+(?P<name>{_RU_NAME}(?:\s+{_RU_NAME}){{0,2}})"),
    # "Dear Mr. Volkov", "Hello Alexey", "Attn: Olga Smirnova"
    re.compile(r"(?:Dear|Hello|Hi|Attn\.?:?|Attention:?)\s+(?P<name>(?:(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)"),
    # "Здравствуйте, коллеги" is no name; "Добрый день, Mr. Volkov" is.
    re.compile(rf"{GREETING}\s*,\s*(?P<name>(?:Mr|Ms|Mrs)\.?\s+[A-Z][a-z]+)", re.IGNORECASE),
)
_LATIN_TITLE = re.compile(r"^(?:Mr|Ms|Mrs|Miss|Dr)\.?\s+")
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


def extract_people(a: Analysis) -> Extracted[tuple[Person, ...]]:
    """Addressees, then the sender, then everyone else the client names."""
    people: list[Person] = []

    def add(name: str | None, written: str, role: str, ev: Evidence) -> None:
        if not name:
            return
        words = name_words(name)
        for i, p in enumerate(people):
            other = name_words(p.name)
            if words <= other:
                return  # «Виктор» after «Виктор Шестопалов», «Шестопалов Виктор» again
            if other < words and p.role == role:
                people[i] = Person(name=name, text=written, role=role, evidence=ev)
                return
        people.append(Person(name=name, text=written, role=role, evidence=ev))

    # Addressees: greetings in the client's new text and the subject.
    for f in a.founds:
        seg = f.segment
        if not seg.own or seg.sig or seg.source not in ("body", "forwarded", "subject"):
            continue
        for pattern in _ADDRESSEE_PATTERNS:
            for m in pattern.finditer(seg.body):
                written = m.group("name")
                name = _addressee_name(written)
                if name:
                    s = m.start("name") + seg.start
                    add(name, written, "addressee", seg.evidence(s, s + len(written)))
    # The sender: who signs (a name line, or what the NER calls a person), and From's
    # display name.
    for f in a.founds:
        seg = f.segment
        if not (seg.own and seg.sig):
            continue
        spans = list(f.persons)
        for m in _SIG_NAME_LINE.finditer(seg.body):
            written = m.group("name")
            if is_person_name(written) or (not CYRILLIC.search(written) and not _TITLE_WORDS.search(written)):
                s = m.start("name") + seg.start
                spans.append((s, s + len(written)))
        for s, e in sorted(set(spans), key=lambda span: (span[0], -span[1])):
            written = seg.text[s:e]
            if _STREET_BEFORE.search(seg.text[max(seg.start, s - 12) : s]):
                continue
            name = normalize_person(written) if CYRILLIC.search(written) else written
            add(name or written, written, "sender", seg.evidence(s, e))
    client = a.view.client
    if client is not None and client.name and is_person_name(client.name):
        name = normalize_person(client.name) or client.name
        add(name, client.name, "sender", Evidence("header", client.name))
    # Everyone else the client names in the new text.
    for f in a.founds:
        seg = f.segment
        if not seg.own or seg.sig or seg.source not in ("body", "forwarded"):
            continue
        for s, e in f.persons:
            written = seg.text[s:e]
            if _STREET_BEFORE.search(seg.text[max(seg.start, s - 12) : s]):
                continue
            name = normalize_person(written) if CYRILLIC.search(written) else written
            add(name or written, written, "mentioned", seg.evidence(s, e))
    return Extracted(tuple(people))


def _addressee_name(written: str) -> str | None:
    written = written.strip()
    if _LATIN_TITLE.match(written) or not CYRILLIC.search(written):
        if written.lower() in ("all", "team", "there", "colleagues", "sir", "madam"):
            return None
        return written
    return normalize_person(written)
