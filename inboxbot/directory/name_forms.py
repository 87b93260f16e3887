"""Name forms: the token sequences under which a client's name is looked for in running text.

A mail names a client the way people talk, not the way the CRM spells it: without the
legal form, in an oblique case («с Вологодского молочного комбината»), with a short form
(«ф-ки», «к-т», «ТД»), by the initials of a long name («ВМК»), in the other alphabet
(«Kubanskie Konservy», «Фреш Лайн»). Both the names and the mail are cut into the same
tokens here, each token reduced to a key that none of these differences change: lower
case, short forms expanded, Latin read as Cyrillic, the normal form (pymorphy3, through
`names.normal_form`) and finally the one shared script of `names.skeleton`. A name form is
then a tuple of keys, and finding a client in a mail is matching tuples (client_dictionary).

Legal forms and generic words («ООО», «фабрика», «группа», «торговый дом») are left out of
both sides, so «ООО Камская мебельная фабрика» and «Камской мебельной ф-ки» are the same
two keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from inboxbot.directory.names import (
    GENERIC_WORDS,
    LEGAL_FORMS,
    innermost_quoted,
    morph,
    normal_form,
    outer_quoted,
    skeleton,
)

# Written short forms, in any case ending: «ф-ки», «к-та», «з-дом».
_SHORT_FORMS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (re.compile(r"ф-к(?:ой|а|и|е|у)"), ("фабрика",)),
    (re.compile(r"к-т(?:ом|а|у|е)?"), ("комбинат",)),
    (re.compile(r"з-д(?:ом|а|у|е)?"), ("завод",)),
    (re.compile(r"т/д"), ("торговый", "дом")),
)
# Token short forms (the same as names.py expands, so both sides agree).
# «МК», «ХК» stay themselves: «Вологодский МК» is the initials of «молочный комбинат» as often
# as a «мясокомбинат» (name forms hold both readings, see client_dictionary).
_TOKEN_SHORT: dict[str, tuple[str, ...]] = {"тд": ("торговый", "дом"), "гк": ("группа",)}
_TOKEN = re.compile(r"(?:ф-к(?:ой|а|и|е|у)|к-т(?:ом|а|у|е)?|з-д(?:ом|а|у|е)?|т/д)(?![0-9a-zа-яё])|[0-9a-zа-яё]+", re.IGNORECASE)
_LATIN = re.compile(r"^[a-z]+$")
_CYRILLIC = re.compile(r"[а-я]")
_GENERIC_PAIRS = frozenset({("торговый", "дом"), ("trading", "house")})
_SKIPPED = LEGAL_FORMS | GENERIC_WORDS

# Latin → Cyrillic, longest spellings first (a reading, not a standard: it only has to
# bring «Kubanskie Konservy» near «Кубанские консервы» before lemmatising).
_LATIN_PAIRS = (
    ("shch", "щ"), ("sch", "щ"), ("iy", "ий"), ("yy", "ый"), ("ij", "ий"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"),
    ("sh", "ш"), ("ts", "ц"), ("tz", "ц"), ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "ё"),
    ("ye", "е"), ("ck", "к"), ("ph", "ф"), ("th", "т"), ("ee", "и"), ("oo", "у"), ("ce", "се"), ("ci", "си"),
    ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"),
    ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"),
    ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"), ("y", "ы"), ("z", "з"),
)  # fmt: skip
_VOWELS = frozenset("aeiouаеёиоуыэюя")
# pymorphy3's first parse of «Старого» is the noun «старое», of «Старый» the adjective:
# every adjective-like ending of a normal form is read as one («старое», «старый» → «старый»).
_ADJECTIVE_END = re.compile(r"(?:ый|ий|ой|ое|ее|ая|яя)$")


def latin_to_cyrillic(word: str) -> str:
    """A lower-case Latin word read as Russian: «kubanskie» → «кубанские», «line» → «лине».
    A «y» after a vowel or at the start is «й» («yoghurt» aside, names are like «Maykop»)."""
    out: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == "y" and (i == 0 or word[i - 1] in _VOWELS) and not word.startswith(("ya", "yu", "yo", "ye"), i):
            out.append("й")
            i += 1
            continue
        for latin, cyr in _LATIN_PAIRS:
            if word.startswith(latin, i):
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(word[i])
            i += 1
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Token:
    """One token of running text: its keys (one, or two for «ТД»; none for a legal form
    or generic word) and where it stands in the text."""

    keys: tuple[str, ...]
    start: int
    end: int
    raw: str


@lru_cache(maxsize=500_000)
def token_keys(raw: str) -> tuple[str, ...]:
    """Keys of one token as written («Камской» → ('kamskii',), «ф-ки» → ('fabrika',), which
    is generic and so → ()); () for legal forms and generic words."""
    low = raw.lower().replace("ё", "е")
    words = next((w for pattern, w in _SHORT_FORMS if pattern.fullmatch(low)), None)
    if words is None:
        if low in _SKIPPED:
            return ()
        words = _TOKEN_SHORT.get(low, (low,))
    if words in _GENERIC_PAIRS:
        return ()
    keys: list[str] = []
    for word in words:
        cyr = latin_to_cyrillic(word) if _LATIN.match(word) and len(word) > 2 else word
        lemma = normal_form(cyr)
        if lemma in GENERIC_WORDS or word in GENERIC_WORDS:
            continue
        keys.append(skeleton(_ADJECTIVE_END.sub("ый", lemma) if len(lemma) > 5 else lemma))
    return tuple(keys)


def tokens(text: str) -> Iterator[Token]:
    """Tokens of `text` with their keys, legal forms and generic words included (with no
    keys) so that spans stay right; the pair «торговый дом» comes out keyless."""
    previous: Token | None = None
    for m in _TOKEN.finditer(text):
        raw = m.group()
        tok = Token(token_keys(raw), m.start(), m.end(), raw)
        if previous is not None and _generic_pair(previous.raw, raw):
            yield Token((), previous.start, previous.end, previous.raw)
            yield Token((), tok.start, tok.end, raw)
            previous = None
            continue
        if previous is not None:
            yield previous
        previous = tok
    if previous is not None:
        yield previous


def _generic_pair(first: str, second: str) -> bool:
    if first[0] not in "тТtT":  # most pairs: no lower-casing needed to say no
        return False
    a, b = first.lower(), second.lower()
    if not (a.startswith(("торгов", "trading")) and b.startswith(("дом", "house"))):
        return False
    return (normal_form(a), normal_form(b)) in _GENERIC_PAIRS

def form_of(name: str) -> tuple[str, ...]:
    """The key tuple of a name as a whole (legal form and generic words left out)."""
    return tuple(key for tok in tokens(name) for key in tok.keys)


# Capital initials that already mean something else in business mail: never a client.
_COMMON_ACRONYMS = frozenset(
    ["ИНН", "КПП", "ОГРН", "БИК", "НДС", "РФ", "СПБ", "МСК", "ЖД", "ТК", "ТЗ", "КП", "ЭДО", "УПД", "ТТН", "ПВЗ", "СНГ", "ЕАЭС", "ЦФО", "ПФО", "СЗФО", "ЮФО", "УФО", "СФО", "ДФО", "ГОСТ", "ТУ", "ОКВЭД", "ОКПО"]
)


# Compound words whose parts count as words in initials: «Магнитогорский хлебокомбинат» → «МХК».
_COMPOUND_INITIALS = {
    "хлебокомбинат": "ХК", "мясокомбинат": "МК", "молокозавод": "МЗ", "хлебозавод": "ХЗ", "маслозавод": "МЗ",
    "птицефабрика": "ПФ", "агрокомплекс": "АК", "теплосеть": "ТС", "водоканал": "ВК",
}  # fmt: skip


def _words(name: str) -> list[str]:
    return [m.group() for m in _TOKEN.finditer(name) if m.group().lower() not in LEGAL_FORMS]


def _initial(word: str) -> str:
    return _COMPOUND_INITIALS.get(normal_form(word.lower().replace("ё", "е")), word[0].upper())


def initials(name: str) -> str | None:
    """The upper-case initials of a long name («Вологодский молочный комбинат» → «ВМК»,
    «Магнитогорский хлебокомбинат» → «МХК»): three to six letters, else None."""
    words = _words(name)
    # A numbered name («Городская клиническая больница № 25») is a kind of institution: its
    # initials («ГКБ») stand for every one of them.
    if any(w[0].isdigit() for w in words):
        return None
    acronym = "".join(_initial(w) for w in words)
    if not 3 <= len(acronym) <= 6 or len(words) < 2:
        return None
    if acronym in _COMMON_ACRONYMS or acronym.lower() in LEGAL_FORMS:
        return None
    return acronym


def abbreviated_forms(name: str) -> list[tuple[str, ...]]:
    """Key tuples of a name with its longest run of ordinary words written as their
    initials, the proper words kept: «Кашинская центральная районная больница» →
    («кашинский», «црб»), «НПО „Восход“» for «Научно-производственное объединение „Восход“»,
    «ГБУ СО „КЦСОН г. Тольятти“». A name of ordinary words only has no such form (its
    initials are `initials`)."""
    text = outer_quoted(name) or name
    inner = innermost_quoted(name)
    inner = inner if inner and inner != text and inner in text else None
    head, _, tail = text.partition(inner) if inner else (text, "", "")
    words = _words(head)
    proper = _words(inner or "")
    forms: list[tuple[str, ...]] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j]) >= 3 and words[j].isalpha() and is_common_word(words[j]):
            j += 1
        if j - i >= 2 and (j - i < len(words) or proper):
            acronym = "".join(_initial(w) for w in words[i:j]).lower()
            rest = " ".join(words[j:] + proper + _words(tail))
            keys = (*form_of(" ".join(words[:i])), skeleton(acronym), *form_of(rest))
            if len(keys) >= 2:
                forms.append(keys)
        i = max(j, i + 1)
    return forms


def is_common_word(word: str) -> bool:
    """Whether a one-word name is also an ordinary Russian word («Восток», «Старт»), which
    running text uses without meaning the company; short words count as common too."""
    return _is_common(word.lower().replace("ё", "е"))


# Each distinct word asked once: building the dictionary of a large base asks about every
# word of every name, and pymorphy3's look-up (≈ 0.1 ms) would dominate the build.
@lru_cache(maxsize=500_000)
def _is_common(low: str) -> bool:
    if len(low) < 4:
        return True
    if not _CYRILLIC.search(low):
        return False
    return bool(morph().word_is_known(low))  # type: ignore[attr-defined]
