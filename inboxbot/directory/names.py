"""Company names: normalisation to a comparable key and the match score (the blocked index
that finds the best-scoring key among a million is inboxbot.directory.name_index).

A key is what is left of a name once everything that may legitimately differ between two
spellings of the same company is taken out: case, quote style, hyphens, legal form and
generic words («ООО», «Торговый дом», «Фабрика»), common abbreviations («ф-ка», «ТД»),
grammatical case (pymorphy3 normal forms: «Алтайских сыров» → «алтайский сыр») and script
(Cyrillic is transliterated, Latin simplified, so «ZooMarket Online» and «ЗооМаркет Онлайн»
land on nearly the same string). Typos are left to the scorer.

The score punishes extra tokens on purpose: «Альянс» must not match «Альянс Трейд» just
because one contains the other — a different proper name is a different company.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

if TYPE_CHECKING:  # numpy is imported where keys are scored: `inboxbot check` never needs it
    import numpy as np
    import numpy.typing as npt

# --- normalisation ---------------------------------------------------------------------

# Legal forms, Russian and foreign, dropped wherever they stand: «ООО Ромашка» = «Ромашка»;
# a CIS company's local form and its English one name the same company: «ТОО „Dala
# Foods“» (TOO in Latin letters too) = «Dala Foods LLP», «ОсОО …» = «… LLC».
LEGAL_FORMS = frozenset(
    ["ооо", "оао", "зао", "пао", "ао", "нао", "ип", "чп", "пбоюл", "тоо", "too", "осоо", "osoo", "чуп", "чтуп", "чпуп", "тов", "ooo", "oao", "zao", "pao", "одо", "уп", "ано", "ноу", "чоу", "чуз", "нко", "снт", "тсж", "пк", "кфх", "гбу", "гау", "гку", "фгбу", "фгау", "фку", "гбуз", "гауз", "гкуз", "фгбоу", "фгаоу", "гбоу", "гбпоу", "гапоу", "мбу", "мау", "мку", "мбоу", "маоу", "мкоу", "мадоу", "мбдоу", "мдоу", "мбуз", "мбук", "муп", "гуп", "фгуп", "гп", "мп", "llc", "ltd", "inc", "jsc", "ojsc", "cjsc", "pjsc", "gmbh", "ag", "sa", "srl", "bv", "oy", "ab", "plc", "corp", "co", "llp", "limited"]
)
# Spelled-out legal forms, removed before tokenising (lower-case, ё already folded).
_LEGAL_PHRASES = re.compile(
    r"\b(?:общество с ограниченной ответственностью|(?:непубличное |публичное |закрытое |открытое )?"
    r"акционерное общество|индивидуальный предприниматель|крестьянское \(?фермерское\)? хозяйство|"
    r"limited liability company|joint[- ]stock company)\b"
)
# Generic words (normal forms) the scenario allows to drop: «Фабрика „Северная звезда“» =
# «Северная звезда». «торговый дом» only as a pair: «Байховый дом» keeps its «дом».
GENERIC_WORDS = frozenset({"фабрика", "компания", "группа", "group", "company"})
_GENERIC_PAIRS = frozenset({("торговый", "дом"), ("trading", "house")})
# Abbreviations written with punctuation, expanded before tokenising.
_PUNCT_ABBREVIATIONS = (
    (re.compile(r"\bф-ка\b|\bф-ки\b|\bфаб\.(?=\s|$)"), "фабрика"),
    (re.compile(r"\bз-д\b|\bз-да\b"), "завод"),
    (re.compile(r"\bк-т\b|\bкомб\.(?=\s|$)"), "комбинат"),
    (re.compile(r"\bт/д\b|\bт\.д\.(?=\s*[«\"„“])"), "торговый дом"),
    (re.compile(r"\bпр-во\b"), "производство"),
)
# Token abbreviations (after tokenising, before morphology).
_TOKEN_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "тд": ("торговый", "дом"),
    "гк": ("группа",),
    "мк": ("мясокомбинат",),
    "хк": ("хлебокомбинат",),
    "тк": (),  # торговая или транспортная компания: a form, not a name
}
_QUOTES = "«»„“”\"'‘’`"
_INNER_QUOTED = re.compile(r"[«„“\"]([^«»„“”\"]+)[»“”\"]")
_TOKEN = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")

_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    }
)  # fmt: skip
# Latin spellings brought towards what transliterated Cyrillic looks like
# (Nordpack ~ Нордпак → nordpak, PharmaLine ~ ФармаЛайн → farmalain, Cosmetics ~ косметикс).
_LATIN_RULES = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"c(?!h)"), "k"),
    (re.compile(r"q"), "k"),
    (re.compile(r"w"), "v"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"[yj]"), "i"),
)


@lru_cache(maxsize=1)
def morph() -> object:
    import pymorphy3  # loaded lazily: ~0.5 s and 15 MB, not needed by most importers

    return pymorphy3.MorphAnalyzer()




# Case endings of nouns, stripped from words the dictionary does not know (longest first).
_ENDINGS = re.compile(r"(?:ами|ями|ого|его|ому|ему|ой|ей|ом|ем|ам|ям|ах|ях|ов|ев|а|я|у|ю|е|ы|и)$")


@lru_cache(maxsize=500_000)
def normal_form(word: str) -> str:
    """Normal form of a lower-case Cyrillic word: pymorphy3's for dictionary words
    (nominative singular, adjectives masculine: «алтайских» → «алтайский»); for unknown
    words — most brands — the stem without a case ending («агроимпульса» → «агроимпульс»).
    Other words come back unchanged."""
    if not _CYRILLIC.search(word) or len(word) < 3:
        return word
    analyzer = morph()
    if analyzer.word_is_known(word):  # type: ignore[attr-defined]
        parses = analyzer.parse(word)  # type: ignore[attr-defined]
        return str(parses[0].normal_form) if parses else word
    # pymorphy3's guesser is slow (~0.3 ms a word) and erratic on brands: it reads
    # «ФармаЛайн» as the genitive plural of «фармалайна» and «Кубаньсу» as a dative.
    # Stripping one ending is crude but the same on both sides, and the fuzzy score
    # absorbs the rest.
    stem = _ENDINGS.sub("", word)
    return stem if len(stem) >= 4 else word


@lru_cache(maxsize=500_000)
def skeleton(token: str) -> str:
    """One normalised token in the shared Latin script the index compares in."""
    if _CYRILLIC.search(token):
        return token.translate(_TRANSLIT)
    for pattern, repl in _LATIN_RULES:
        token = pattern.sub(repl, token)
    return token


def _fold(text: str) -> str:
    text = text.lower().replace("ё", "е")
    for pattern, repl in _PUNCT_ABBREVIATIONS:
        text = pattern.sub(repl, text)
    text = _LEGAL_PHRASES.sub(" ", text)
    return text


def name_tokens(text: str) -> tuple[str, ...]:
    """Normal-form tokens of a company name, legal form and generic words dropped (unless
    nothing else is left), still in Cyrillic/Latin as written."""
    raw = _TOKEN.findall(_fold(text))
    tokens: list[str] = []
    for token in raw:
        if token in LEGAL_FORMS:
            continue
        tokens.extend(_TOKEN_ABBREVIATIONS.get(token, (token,)))
    normal = [normal_form(t) for t in tokens]
    kept = _drop_generic(normal)
    return tuple(kept or normal)


def _drop_generic(tokens: Sequence[str]) -> list[str]:
    kept: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) in _GENERIC_PAIRS:
            i += 2
            continue
        if tokens[i] not in GENERIC_WORDS:
            kept.append(tokens[i])
        i += 1
    return kept


def name_key(text: str) -> str:
    """The comparable key of a name: skeleton tokens joined by single spaces ('' if none)."""
    return " ".join(skeleton(t) for t in name_tokens(text))


def innermost_quoted(name: str) -> str | None:
    """Text inside the innermost quotes («Мясокомбинат „Агроимпульс“» → «Агроимпульс»)."""
    found = _INNER_QUOTED.findall(name)
    return found[-1].strip() if found else None


def outer_quoted(name: str) -> str | None:
    """Text between the first opening and the last closing quote, or None."""
    start = next((i for i, ch in enumerate(name) if ch in '«„“"'), None)
    end = next((i for i in range(len(name) - 1, -1, -1) if name[i] in '»“”"'), None)
    if start is None or end is None or end <= start:
        return None
    return name[start + 1 : end].strip(_QUOTES + " ")


# Where a key came from; the index stores the kind, not the text, to stay small.
KIND_NAME = 0  # the whole name, legal form dropped
KIND_OUTER = 1  # the text in the outer quotes («МУП «Горводоканал» г. Ефремова» → Горводоканал)
KIND_INNER = 2  # a nested innermost name («Мясокомбинат „Агроимпульс“» → Агроимпульс)
KIND_ALT = 3  # alt_names[i] is kind 3 + i

# A match only through a nested inner name ranks below a client whose whole name is that
# name: «Агроимпульс» is АО «Агроимпульс» before ООО «Мясокомбинат „Агроимпульс“».
INNER_PENALTY = 6.0


def name_variants(name: str, alt_names: Sequence[str] = ()) -> list[tuple[int, str]]:
    """(kind, key) pairs a client is indexed under, each key once, empty keys left out."""
    variants: list[tuple[int, str]] = [(KIND_NAME, name_key(name))]
    outer = outer_quoted(name)
    if outer:
        variants.append((KIND_OUTER, name_key(outer)))
        inner = innermost_quoted(name)
        if inner and inner != outer:
            variants.append((KIND_INNER, name_key(inner)))
    for i, alt in enumerate(alt_names):
        variants.append((KIND_ALT + i, name_key(alt)))
    seen: set[str] = set()
    result: list[tuple[int, str]] = []
    for kind, key in variants:
        if key and key not in seen:
            seen.add(key)
            result.append((kind, key))
    return result


def variant_text(kind: int, name: str, alt_names: Sequence[str]) -> str:
    """The written form behind a key kind, for NameMatch.matched."""
    if kind == KIND_OUTER:
        return outer_quoted(name) or name
    if kind == KIND_INNER:
        return innermost_quoted(name) or name
    if kind >= KIND_ALT and kind - KIND_ALT < len(alt_names):
        return alt_names[kind - KIND_ALT]
    return name


# --- scoring ---------------------------------------------------------------------------


def sorted_tokens(key: str) -> str:
    return " ".join(sorted(key.split()))


def score_keys(
    query: str,
    keys: Sequence[str],
    *,
    sorted_keys: Sequence[str] | None = None,
    squeezed: Sequence[str] | None = None,
    cutoff: float = 0.0,
) -> npt.NDArray[np.float32]:
    """Scores 0–100 of one key against many: the better of token_sort_ratio (word order
    free) and plain ratio with spaces removed («ЗооМаркет» = «Зоо Маркет»). Both are
    normalised Indel similarities over the whole strings, so an extra word costs its length:
    «альянс» vs «альянс трейд» scores 67, far below a typo (≈ 90). Scores under `cutoff`
    may come back as 0. `sorted_keys`/`squeezed` are the keys' precomputed forms (tokens
    sorted; spaces removed), which the exhaustive search keeps to save the work per query."""
    import numpy as np

    if not keys:
        return np.zeros(0, dtype=np.float32)
    if sorted_keys is None:
        sorted_keys = [sorted_tokens(k) for k in keys]
    if squeezed is None:
        squeezed = [k.replace(" ", "") for k in keys]
    # token_sort_ratio is ratio over sorted tokens; calling ratio on presorted strings
    # lets rapidfuzz cache the query once. Big batches use all cores.
    workers = -1 if len(keys) > 20_000 else 1
    by_tokens = process.cdist(
        [sorted_tokens(query)], sorted_keys, scorer=fuzz.ratio, dtype=np.float32, workers=workers, score_cutoff=cutoff
    )[0]
    by_chars = process.cdist(
        [query.replace(" ", "")], squeezed, scorer=fuzz.ratio, dtype=np.float32, workers=workers, score_cutoff=cutoff
    )[0]
    result: npt.NDArray[np.float32] = np.maximum(by_tokens, by_chars)
    return result


def score(a: str, b: str) -> float:
    """Score of two names as written (both are normalised first)."""
    return float(score_keys(name_key(a), [name_key(b)])[0])
