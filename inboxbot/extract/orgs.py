"""Organisations named in a text: the `legal_orgs` component (a legal form extended over
the name it opens or closes), the `quoted_names` component (a quoted proper name that
something marks as an organisation), and the `OrgMention` value objects read back from a
processed Doc together with what the statistical NER found."""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from inboxbot.extract.docext import doc_text
from inboxbot.extract.forms import (
    ABBREVIATIONS,
    BRAND_WORDS,
    FOREIGN_SUFFIXES,
    FULL_FORMS,
    LATIN_PREFIXES,
    PUBLIC_OPENERS,
    is_public_form,
    public_form,
)
from inboxbot.extract.quotes import OPENER_RE, match_quote

# The components' names in the pipeline.
LEGAL_ORGS = "legal_orgs"
QUOTED_NAMES = "quoted_names"


@dataclass(frozen=True, slots=True)
class OrgMention:
    """An organisation named in the text: [start, end) of the whole name as written."""

    text: str
    start: int
    end: int
    legal_form: str | None
    core: str
    quoted: bool
    source: str  # legal | quoted | ner


_QUALIFIER = re.compile(
    # «ГБУ РС(Я) «…»»: Республика Саха (Якутия) is abbreviated with its bracket.
    r"(?:[ \t]+(?:[А-ЯЁ]{2,3}\([А-ЯЁ]\)|[А-ЯЁA-Z][А-ЯЁа-яёA-Za-z-]*|г\.|им\.|города|городского|округа|района|"
    r"области|края|республики|№\s*\d+|\d+)){0,5}?[ \t]*(?=[«„“\"'])"
)
_BARE_WORD = re.compile(r"[ \t]+((?:[А-ЯЁA-Z0-9][\w&+.-]*|и|and|&)(?=[\s,;:!?()]|$))")
_STOP_WORDS = frozenset(
    ["ИНН", "КПП", "ОГРН", "ОГРНИП", "БИК", "Тел", "Тел.", "Телефон", "Адрес", "Email", "E-mail", "Моб", "С", "Спасибо", "Добрый", "Здравствуйте", "Прошу", "Просим", "Нужны", "Нужно", "Нам", "Мы", "Для", "В", "На", "По", "Из", "И"]
)
_INITIALS = re.compile(r"[ \t]+([А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)[ \t]+([А-ЯЁ]\.[ \t]?[А-ЯЁ]\.?|[А-ЯЁ][а-яё]+[ \t]+[А-ЯЁ][а-яё]+(?:вич|вна|ична|чна|оглы|кызы))")


# An unquoted name of a state or municipal institution: «МБДОУ детский сад № 5»,
# «МБОУ СОШ № 12» — lower-case words allowed, up to punctuation or a verb.
_PUBLIC_BARE = re.compile(
    r"(?:[ \t]+(?!(?:просит|просим|направляет|сообщает|планирует|проводит|приглашает|г\.|ИНН|КПП)\b)"
    r"(?:№[ \t]*\d+|[А-ЯЁа-яё][А-ЯЁа-яё-]*|\d+)){1,6}"
)


def _extend_name(text: str, start: int, anchor_end: int, form: str | None) -> tuple[int, str, bool] | None:
    """From a legal-form anchor, find where the name ends: (end, core name, quoted)."""
    if form == "ИП":
        m = _INITIALS.match(text, anchor_end)
        if m:
            return m.end(), f"{m.group(1)} {m.group(2)}", False
    m = _QUALIFIER.match(text, anchor_end)
    if m:
        q = match_quote(text, m.end())
        if q and q[1] and (q[1][0].isalnum()):
            return q[0], q[1], True
    if is_public_form(form):
        bare = _PUBLIC_BARE.match(text, anchor_end)
        if bare:
            return bare.end(), bare.group(0).strip(), False
    # Unquoted: capitalised words up to punctuation («ООО Ромашка, ИНН …»).
    end = anchor_end
    words: list[str] = []
    while len(words) < 4:
        w = _BARE_WORD.match(text, end)
        if not w or w.group(1) in _STOP_WORDS or w.group(1).rstrip(".") in _STOP_WORDS:
            break
        words.append(w.group(1))
        end = w.end()
    while words and words[-1] in ("и", "and", "&"):
        words.pop()
    if not words:
        return None
    core = " ".join(words).rstrip(".")
    end = text.index(words[-1], anchor_end) + len(words[-1])
    if core.endswith(".") and not re.search(r"\b[А-ЯЁ]\.$", core):
        end -= 1
    return end, core, False


_LATIN_NAME_BEFORE = re.compile(
    r"((?:[A-ZÀ-ÖØ-Þ0-9][\w&'.-]*[ \t]+(?:(?:&|and|of|de|und)[ \t]+)?){1,5})$"
)


def _extend_left(text: str, anchor_start: int) -> tuple[int, str] | None:
    """For a suffix form ("Samarkand Textile LLC", "Müller Verpackung GmbH"): the
    capitalised Latin words right before it."""
    window_start = max(0, anchor_start - 80)
    m = _LATIN_NAME_BEFORE.search(text, window_start, anchor_start)
    if not m:
        return None
    core = m.group(1).strip(" ,")
    if not re.search(r"[A-Za-zÀ-ÿ]", core):
        return None
    return m.start(1), core


_PUBLIC_PHRASE = re.compile(
    r"[А-ЯЁа-яё]+(?:[ \t]+[а-яё-]+(?:ое|ый))*[ \t]+(?:учреждение|предприятие)(?:[ \t]+[а-яё]+(?:ия|ы|и|его|ого|ой|ей))*",
    re.IGNORECASE,
)


@Language.factory(LEGAL_ORGS)
class LegalOrgs:
    """Organisations anchored by a legal form → `doc.spans["orgs"]`."""

    def __init__(self, nlp: Language, name: str) -> None:
        # PhraseMatchers hash each token once; a token Matcher with IN/REGEX predicates
        # cost 3 µs per token (1.5 ms for a 2 kB mail) for the same anchors.
        self.forms = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        make = nlp.make_doc
        self.forms.add("ABBR", [make(f) for f in sorted(set(ABBREVIATIONS) | set(BRAND_WORDS))])
        self.forms.add("LATIN_PREFIX", [make(f) for f in LATIN_PREFIXES])
        self.forms.add("SUFFIX", [make(f) for f in FOREIGN_SUFFIXES])
        for form, words in FULL_FORMS:
            self.phrases.add(f"FULL_{form}", [make(" ".join(words))])
        self.phrases.add("PUBLIC", [make(w) for w in PUBLIC_OPENERS])

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        found: list[Span] = []
        for match_id, s, e in [*self.forms(doc), *self.phrases(doc)]:
            rule = doc.vocab.strings[match_id]
            span = doc[s:e]
            start = span.start_char
            form: str | None
            if rule == "PUBLIC":
                # «Федеральное государственное бюджетное … учреждение высшего образования»:
                # adjectives, the institution noun, its genitive tail.
                public = _PUBLIC_PHRASE.match(text, start)
                if public is None:
                    continue
                span = doc.char_span(start, public.end(), alignment_mode="expand") or span
            if rule == "SUFFIX":
                left = _extend_left(text, start)
                if left is None:
                    continue
                name_start, core = left
                form = span[0].text.rstrip(".")
                org = doc.char_span(name_start, start + len(form), label="ORG", alignment_mode="expand")
                quoted = False
            else:
                anchor_end = span.end_char
                if rule.startswith("FULL_"):
                    form = rule[5:]
                elif rule == "PUBLIC":
                    form = public_form([t.text for t in span]) or None
                else:
                    form = span.text
                ext = _extend_name(text, start, anchor_end, form)
                if ext is None:
                    continue
                end, core, quoted = ext
                org = doc.char_span(start, end, label="ORG", alignment_mode="expand")
                if form in BRAND_WORDS or (form in LATIN_PREFIXES and rule == "LATIN_PREFIX"):
                    # «ТД „Север“», «ГК …» are names, not legal forms; OOO → ООО.
                    form = {"OOO": "ООО", "OAO": "ОАО", "ZAO": "ЗАО", "PAO": "ПАО", "AO": "АО", "IP": "ИП", "TOO": "ТОО"}.get(form or "", None if form in BRAND_WORDS else form)
            if org is None:
                continue
            org._.legal_form = form
            org._.core_name = core
            org._.quoted = quoted
            found.append(org)
        doc.spans["orgs"] = _longest_first(found)
        return doc


def _longest_first(spans: list[Span]) -> list[Span]:
    """Drop spans inside a longer one; keep text order. «ООО „ТД «Север»“» wins over
    the ТД anchor inside it."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s.end_char - s.start_char), s.start_char)):
        if any(span.start_char >= k.start_char and span.end_char <= k.end_char for k in kept):
            continue
        if any(span.start_char < k.end_char and k.start_char < span.end_char for k in kept):
            continue
        kept.append(span)
    return sorted(kept, key=lambda s: s.start_char)


# Words right before a quoted name that make it an organisation in mail: an organisation
# noun («компания», «завод», «поставщик»), a card's label, the writer's claim («пишу из»).
# Without one a quoted name is as often a title, a product, a ship or a hotel: on
# factRuEval-2016's news the bare pattern made most of the false candidates.
_CUE_BEFORE = re.compile(
    r"(?:\b(?:компани|фирм|завод|фабрик|комбинат|мануфактур|предприяти|организаци|учреждени|производител|"
    r"поставщик|дистрибь?ютор|дилер|холдинг|агрохолдинг|концерн|корпораци|объединени|кооператив|типографи|"
    r"пекарн|хлебозавод|магазин|сет[ьи]|торгов\w*\s+дом|групп\w*\s+компаний|гк|тд|банк|агентств|"
    r"наименовани|получател|плательщик|грузополучател|покупател|заказчик|клиент|партн[её]р|контрагент)\w*"
    r"|\bот\s+(?:имени|лица)|\bпиш[уе]м?\s+(?:вам\s+)?(?:с|из|от)|\bпредставля\w+|\bработа\w+\s+в"
    r"|\bмы|\bнаш\w*"
    # An abbreviation no legal-form list knows: ТОГБУЗ «…», ОГАУЗ «…» (case-sensitive).
    r"|(?-i:\b[А-ЯЁ]{3,}))"
    r"(?:[\s:—–,-]+[а-яё-]+){0,2}?[\s:—–,-]*$",
    re.IGNORECASE,
)


# After the name: an organisation presenting itself («„Х“ просит направить КП»).
_CUE_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:просит|просим|направляет|сообщает|приглашает|объявляет)\b")


def _has_cue(text: str, i: int, end: int) -> bool:
    """An organisation cue in the same line: at most two words before the quote at i, or
    a verb of an organisation speaking right after it."""
    line_start = text.rfind("\n", 0, i) + 1
    return bool(_CUE_BEFORE.search(text, max(line_start, i - 80), i) or _CUE_AFTER.match(text, end))


@Language.component(QUOTED_NAMES)
def quoted_names(doc: Doc) -> Doc:
    """Quoted proper names not already inside an org span → `doc.spans["quoted"]`, when
    they stand in a trusted range (a signature, a display name, a requisites card), after
    an organisation cue, or where the NER also found an organisation."""
    text = doc_text(doc)
    orgs = list(doc.spans["orgs"]) if "orgs" in doc.spans else []
    ner_orgs = [(e.start_char, e.end_char) for e in doc.ents if e.label_ == "ORG"]
    trusted = doc._.trusted_ranges
    found: list[Span] = []
    i = 0
    while True:
        opener = OPENER_RE.search(text, i)
        if opener is None:
            break
        i = opener.start()
        q = match_quote(text, i)
        if q and q[1] and q[1][0].isalnum() and q[1][0] == q[1][0].upper():
            end, core = q
            named = (
                any(s <= i < e for s, e in trusted)
                or any(s < end and i < e for s, e in ner_orgs)
                or _has_cue(text, i, end)
            )
            # A legal-form name inside the quotes («ФГУП «НПО «Восход»»») is the better
            # reading: it keeps the form.
            inside = any(o.start_char <= i < o.end_char or (i <= o.start_char and o.end_char <= end) for o in orgs)
            if named and not inside:
                span = doc.char_span(i, end, label="ORG", alignment_mode="expand")
                if span is not None:
                    span._.core_name = core
                    span._.quoted = True
                    found.append(span)
            i = end
        else:
            i += 1
    doc.spans["quoted"] = found
    return doc


# Slovnet tags a requisites label, a standard or a purchasing abbreviation («направить
# КП») now and then as an organisation.
_NOT_ORGS = frozenset({"ИНН", "КПП", "ОГРН", "ОГРНИП", "БИК", "НДС", "ГОСТ", "ТУ", "ОКПО", "ОКВЭД", "КП", "ТЗ", "НМЦК", "ЭДО"})


def _ner_mentions(doc: Doc, known: list[OrgMention]) -> list[OrgMention]:
    """Slovnet's ORG spans that no legal form or quotes found. Kept, acronyms included
    (РБК, ВТБ, МХК): dropping short upper-case names lost organisations the NER was right
    about; company extraction decides whether one is the sender's (`context.org_context`)."""
    result: list[OrgMention] = []
    for ent in doc.ents:
        text = ent.text.strip(' «»"“”„')
        if ent.label_ != "ORG" or len(text) < 2 or text in _NOT_ORGS or not any(ch.isalpha() for ch in text):
            continue
        s, e = ent.start_char, ent.end_char
        if any(o.start < e and s < o.end for o in known):
            continue
        result.append(OrgMention(text, s, e, None, text, False, "ner"))
    return result


def org_mentions(doc: Doc) -> tuple[OrgMention, ...]:
    """Legal-form, quoted and NER organisations of a processed Doc, in text order."""
    result: list[OrgMention] = []
    for group, source in (("orgs", "legal"), ("quoted", "quoted")):
        if group not in doc.spans:
            continue
        for span in doc.spans[group]:
            result.append(
                OrgMention(
                    text=span.text,
                    start=span.start_char,
                    end=span.end_char,
                    legal_form=span._.legal_form,
                    core=span._.core_name or span.text,
                    quoted=bool(span._.quoted),
                    source=source,
                )
            )
    result.extend(_ner_mentions(doc, result))
    result.sort(key=lambda o: o.start)
    return tuple(result)
