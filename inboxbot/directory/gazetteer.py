"""Gazetteer of Russia: regions, towns, phone area codes and domains → region code. Pure.

The data lives in inboxbot/data and is read once, on first use. Town and region names are
matched in any grammatical case through place_forms.tsv, which build_forms.py generates
with pymorphy3 ahead of time, so a lookup here is a dictionary hit and never loads pymorphy.

Precision comes first: a wrong region is worse than none. A town is taken only when it is
capitalised and not part of a street ("ул. Королёва"), a metro station or a person's name
("Пушкин А.С."); a name that is also a common word ("Находка", "Курган") or a surname
("Иванова", "Киров") needs more: "г."/"город" before it, an address around it, or a
preposition of place ("в Кургане", "из Кирова").
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources

from inboxbot.data.build_forms import TOKEN_RE, normalize


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str
    district: str
    district_name: str


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """A town or region named in a text. `region_codes` has several codes for an ambiguous
    town (most populous first); `in_address` is True after "г."/"город" or inside a postal
    address (index, street, "обл."), which deserves more trust than a town named in prose."""

    text: str
    start: int
    end: int
    kind: str
    name: str
    region_codes: tuple[str, ...]
    in_address: bool


@dataclass(frozen=True, slots=True)
class PhoneMatch:
    """A Russian phone number. `digits` is the 10-digit national number; `region_code` is None
    for mobile, toll-free and Kazakh (+7 7xx) numbers and for unknown area codes."""

    text: str
    start: int
    end: int
    digits: str
    area_code: str
    region_code: str | None
    ambiguous: bool


@dataclass(frozen=True, slots=True)
class _Town:
    name: str
    region_code: str
    population: int
    flags: str


@dataclass(frozen=True, slots=True)
class _Meaning:
    """What one normalized form may mean: a town name (several rows if ambiguous) or a region alias."""

    kind: str  # city | region
    name: str
    towns: tuple[_Town, ...]
    region_codes: tuple[str, ...]
    flags: str  # C common word, P person's name, U capitals only


@dataclass(frozen=True, slots=True)
class _Data:
    regions: dict[str, RegionInfo]
    forms: dict[str, _Meaning]
    first_tokens: dict[str, int]  # first token of a form → longest form length in tokens
    given_names: frozenset[str]
    phone_codes: dict[str, tuple[str, bool]]
    region_domains: dict[str, str]
    country_domains: dict[str, str]
    generic_domains: frozenset[str]
    postal: dict[str, str]


def _lines(name: str) -> list[list[str]]:
    text = resources.files("inboxbot.data").joinpath(name).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return rows[1:]  # header


def _load_forms(alias_codes: dict[str, tuple[str, ...]]) -> tuple[dict[str, _Meaning], frozenset[str]]:
    """Forms → meanings from place_forms.tsv and cities.tsv; and the forms of given names."""
    towns: dict[str, list[_Town]] = {}
    for name, code, population, canon, flags in _lines("cities.tsv"):
        towns.setdefault(name, []).append(_Town(canon or name, code, int(population), flags))
    forms: dict[str, _Meaning] = {}
    given: set[str] = set()
    # Most forms of one name share a meaning: build each (kind, key, flags) once.
    made: dict[tuple[str, str, str], _Meaning] = {}
    for form, kind, key, flags in _lines("place_forms.tsv"):
        if kind == "n":
            given.add(form)
            continue
        meaning = made.get((kind, key, flags))
        if meaning is None:
            if kind == "c":
                ranked = tuple(sorted(towns[key], key=lambda t: -t.population))
                meaning = _Meaning("city", ranked[0].name, ranked, tuple(dict.fromkeys(t.region_code for t in ranked)), flags)
            else:
                meaning = _Meaning("region", key, (), alias_codes[key], flags + ("U" if kind == "u" else ""))
            made[(kind, key, flags)] = meaning
        old = forms.get(form)
        if old is None:
            forms[form] = meaning
        elif old.kind == "city" and meaning.kind == "city":
            # One form of two towns ("в Пушкине": Пушкин or Пушкино): keep both, biggest first.
            ranked = tuple(sorted({*old.towns, *meaning.towns}, key=lambda t: (-t.population, t.region_code)))
            merged = "".join(sorted(set(old.flags + meaning.flags)))
            forms[form] = _Meaning("city", ranked[0].name, ranked, tuple(dict.fromkeys(t.region_code for t in ranked)), merged)
        elif old.kind == "region" and meaning.kind == "city":
            # A form shared by a town and a region alias is read as the town, the narrower place.
            forms[form] = meaning
    return forms, frozenset(given)


@functools.lru_cache(maxsize=1)
def _data() -> _Data:
    raw = json.loads(resources.files("inboxbot.data").joinpath("regions.json").read_text(encoding="utf-8"))
    districts: dict[str, str] = raw["districts"]
    regions = {r["code"]: RegionInfo(r["code"], r["name"], r["district"], districts[r["district"]]) for r in raw["regions"]}
    alias_codes: dict[str, tuple[str, ...]] = {}
    for r in raw["regions"]:
        for alias in (*r["aliases"], *r["abbr"]):
            alias_codes[alias] = (r["code"],)
    for shared in raw["shared_aliases"]:
        alias_codes[shared["alias"]] = tuple(shared["codes"])
    forms, given = _load_forms(alias_codes)
    first_tokens: dict[str, int] = {}
    for form in forms:
        tokens = form.split(" ")
        first_tokens[tokens[0]] = max(first_tokens.get(tokens[0], 0), len(tokens))
    phone_codes = {code: (region, amb == "1") for code, region, amb, _place in _lines("phone_codes.tsv")}
    region_domains: dict[str, str] = {}
    country_domains: dict[str, str] = {}
    generic: set[str] = set()
    for suffix, kind, value in _lines("domains.tsv"):
        if kind == "region":
            region_domains[suffix] = value
        elif kind == "country":
            country_domains[suffix] = value
        else:
            generic.add(suffix)
    postal: dict[str, str] = {}
    for prefixes, code in _lines("postal_prefixes.tsv"):
        low, _, high = prefixes.partition("-")
        for prefix in range(int(low), int(high or low) + 1):
            postal[f"{prefix:03d}"] = code
    return _Data(regions, forms, first_tokens, given, phone_codes, region_domains, country_domains, frozenset(generic), postal)


# ---------------------------------------------------------------- regions


def region_by_code(code: str) -> RegionInfo | None:
    """The subject of the RF with this two-digit tax code ("40" → Калужская область); None for
    codes that are no region (00, 99 — largest taxpayers, 80–82, 84, 85, 88 — merged okrugs)."""
    return _data().regions.get(code)


def all_regions() -> tuple[RegionInfo, ...]:
    """All 89 subjects of the RF, in code order."""
    return tuple(sorted(_data().regions.values(), key=lambda r: r.code))


_LEADING_WORDS = frozenset({"в", "во", "из", "по", "для", "на", "г", "город", "гор"})
# Federal cities are regions that people name as towns.
_FEDERAL_CITIES = frozenset({"77", "78", "92"})


def region_by_name(text: str) -> RegionInfo | None:
    """The region named by `text` in any case and spelling: "Свердловская обл.", "Татарстан",
    "в Татарстане", "ХМАО", "Москва". None when the text is no region or names several
    ("Алтай": Алтайский край or Республика Алтай)."""
    data = _data()
    tokens = normalize(text).split(" ")
    while len(tokens) > 1 and tokens[0] in _LEADING_WORDS:
        tokens = tokens[1:]
    meaning = data.forms.get(" ".join(tokens))
    if meaning is None or len(meaning.region_codes) != 1:
        return None
    code = meaning.region_codes[0]
    if meaning.kind == "city" and code not in _FEDERAL_CITIES:
        return None
    return data.regions.get(code)


# ---------------------------------------------------------------- places in text

# Words that may be lowercase inside a name: "в Свердловской области", "Ростов-на-Дону".
_GENERIC_TOKEN = re.compile(r"(област|обл$|кра[йяюеи]|кр$|республик|респ$|автономн|округ|ао$|народн|на$|над$)")
# Between the tokens of one name: a space, hyphen, dash, dot or bracket — never a line break.
_GAP = re.compile(r"[ \t\u00a0]*[-‐‑–—.()]{0,2}[ \t\u00a0]*[(]?")
_STREET_BEFORE = frozenset(
    ["ул", "улица", "пр", "просп", "проспект", "пер", "переулок", "ш", "шоссе", "наб", "набережная", "б", "р", "бульвар", "пл", "площадь", "проезд", "туп", "тупик", "аллея", "мкр", "микрорайон", "им", "имени", "м", "метро", "станция", "тракт", "линия", "квартал", "кв", "л"]
)
_STREET_AFTER = frozenset(["улица", "проспект", "шоссе", "переулок", "бульвар", "площадь", "набережная", "проезд", "тракт", "тупик", "аллея"])
_TOWN_MARKERS = frozenset(["г", "гор", "город", "города", "городе", "городу", "городом", "пгт", "пос", "поселок", "поселка", "поселке", "рп", "с", "село", "селе", "ст", "ца", "станица", "станице"])
_PLACE_PREPOSITIONS = frozenset({"в", "во", "из", "под", "до", "около", "возле", "близ"})
_PREPOSITIONS_FOR_COMMON = _PLACE_PREPOSITIONS | {"по"}
# Signs of a postal address, searched in the lowercased line: a 6-digit index, a street, a house.
_ADDRESS = re.compile(
    r"(?<![а-яё])(?:(?:ул|пер|наб|обл|корп|пр-т|б-р|просп)\.|улица|шоссе|ш\.\s|р-н|мкр|д(?:ом)?\.?\s*\d)|(?<!\d)\d{6}(?!\d)"
)
# A house number right after the name: "Кирова, 15", "Куйбышева д. 3" is a street, not a town.
_HOUSE_AFTER = re.compile(r"[ \t]*,?[ \t]*(?:д\.|дом)?[ \t]*\d{1,3}(?!\d)")
_PATRONYMIC = re.compile(r"(вич|вна|ична|инична)(а|у|ем|е|ой|ы|ым|ом)?$")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    text: str
    norm: str


_WORD = "0-9A-Za-zА-Яа-яЁё"
# Where a name may begin: a capitalised word, or "республика"/"респ." in any case. Only these
# are looked up, which keeps a scan fast: most words of a letter are lowercase.
_CANDIDATE = re.compile(rf"(?<![{_WORD}])(?:[А-ЯЁ][{_WORD}]*|[Рр]есп(?:ублик[а-я]*)?)(?![{_WORD}])")


def _token(m: re.Match[str]) -> _Token:
    return _Token(m.start(), m.end(), m.group(), m.group().lower().replace("ё", "е"))


def _prev_token(text: str, start: int) -> _Token | None:
    """The word before `start`, found by stepping back (a backward regex search is slower)."""
    end = start
    while end > 0 and not _is_word_char(text[end - 1]):
        end -= 1
    begin = end
    while begin > 0 and _is_word_char(text[begin - 1]):
        begin -= 1
    word = text[begin:end]
    return _Token(begin, end, word, word.lower().replace("ё", "е")) if word else None


def _is_word_char(char: str) -> bool:
    return (char.isascii() and char.isalnum()) or "А" <= char <= "я" or char in "Ёё"


def _next_token(text: str, end: int) -> _Token | None:
    m = TOKEN_RE.search(text, end)
    return None if m is None else _token(m)


def _capitalised(token: _Token) -> bool:
    return token.text[0].isupper()


def _initial(text: str, token: _Token) -> bool:
    """A capital letter with a dot: an initial ("А." in "Пушкин А.С."); "Г." is "город"."""
    return len(token.text) == 1 and token.text.isupper() and token.text != "Г" and text[token.end : token.end + 1] == "."


def _is_person_word(text: str, token: _Token, given: frozenset[str]) -> bool:
    return _capitalised(token) and (token.norm in given or bool(_PATRONYMIC.search(token.norm)) or _initial(text, token))


def _address_context(text: str, start: int, end: int) -> bool:
    """True when the line around the match (±60 characters) looks like a postal address."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    window = text[max(line_start, start - 60) : min(line_end, end + 60)]
    return bool(_ADDRESS.search(window.lower()))


def _adjacent(gap: str) -> bool:
    """Two words belong together: nothing but spaces or a dot between them, on one line."""
    return "\n" not in gap and not gap.strip(" .\t\u00a0")


def _accept(text: str, words: list[_Token], meaning: _Meaning, given: frozenset[str]) -> tuple[bool, bool]:
    """(accept, in_address) for a name spelled by `words`."""
    first, last = words[0], words[-1]
    if "U" in meaning.flags:
        # Abbreviations count only as written: "ХМАО", "РТ" — not "рт" or "Рт".
        return ([t.text for t in words] == TOKEN_RE.findall(meaning.name), _address_context(text, first.start, last.end))
    # Every word of a name is capitalised except the generic ones ("области", "на"), and at
    # least one proper word is: "в республике Коми" is a place, "в республике" is not.
    if not all(_capitalised(t) or _GENERIC_TOKEN.match(t.norm) for t in words):
        return (False, False)
    if not any(_capitalised(t) and not _GENERIC_TOKEN.match(t.norm) for t in words):
        return (False, False)
    prev = _prev_token(text, first.start)
    nxt = _next_token(text, last.end)
    gap_before = text[prev.end : first.start] if prev else ""
    prev_adjacent = prev if prev is not None and _adjacent(gap_before) else None
    next_adjacent = nxt if nxt is not None and _adjacent(text[last.end : nxt.start]) else None
    # "ул. Королёва", "пр. Мира", "м. Сокол", "им. Кирова", "Москва улица" — streets and stations.
    if prev_adjacent is not None and prev_adjacent.norm in _STREET_BEFORE:
        return (False, False)
    if next_adjacent is not None and next_adjacent.norm in _STREET_AFTER:
        return (False, False)
    marker = prev_adjacent is not None and prev_adjacent.norm in _TOWN_MARKERS and (
        prev_adjacent.text.islower() or prev_adjacent.text in ("Г", "Город")
    )
    in_address = marker or _address_context(text, first.start, last.end)
    if marker:
        return (True, True)
    if meaning.kind == "city" and _HOUSE_AFTER.match(text, last.end):
        return (False, in_address)
    # "Пушкин А.С.", "Анна Иванова", "Королёв Сергей Павлович": a person, not a town.
    if (prev_adjacent is not None and _is_person_word(text, prev_adjacent, given)) or (
        next_adjacent is not None and _is_person_word(text, next_adjacent, given)
    ):
        return (False, in_address)
    preposition = prev_adjacent.norm if prev_adjacent is not None and prev_adjacent.text.islower() else ""
    if "P" in meaning.flags:
        # An address is no help here: "г. Пермь, Куйбышева, 10" names a street after a person.
        return (preposition in _PLACE_PREPOSITIONS, in_address)
    if "C" in meaning.flags:
        if in_address or preposition in _PREPOSITIONS_FOR_COMMON:
            return (True, in_address)
        # A capital tells a name from a common word only mid-sentence and outside quotes.
        sentence_start = prev is None or "\n" in gap_before or bool(re.search(r"[.!?…:;«\"“„(]", gap_before))
        shouting = all(t.text.isupper() for t in words if not _GENERIC_TOKEN.match(t.norm))
        return (not sentence_start and not shouting, in_address)
    return (True, in_address)


def _longest_name(text: str, data: _Data, first: re.Match[str]) -> tuple[list[_Token], _Meaning] | None:
    """The longest name in the gazetteer that starts at `first`, with its words."""
    words = [_token(first)]
    limit = data.first_tokens.get(words[0].norm, 0)
    if not limit:
        return None
    key = words[0].norm
    best = (1, data.forms[key]) if key in data.forms else None
    while len(words) < limit:
        gap = _GAP.match(text, words[-1].end)
        nxt = TOKEN_RE.match(text, gap.end()) if gap else None
        if nxt is None:
            break
        words.append(_token(nxt))
        key = f"{key} {words[-1].norm}"
        if key in data.forms:
            best = (len(words), data.forms[key])
    return None if best is None else (words[: best[0]], best[1])


def find_places(text: str) -> tuple[PlaceMatch, ...]:
    """Every town and region named in `text`, in any case: "из Калуги", "в Нижнем Новгороде",
    "Ростове-на-Дону", "Подмосковья", "в Свердловской области". A span is the name alone.
    Towns that are common adjectives ("Мирный", "Заречный") count only in an address."""
    data = _data()
    found: list[PlaceMatch] = []
    pos = 0
    for first in _CANDIDATE.finditer(text):
        if first.start() < pos or first.group().lower().replace("ё", "е") not in data.first_tokens:
            continue
        hit = _longest_name(text, data, first)
        if hit is None:
            continue
        words, meaning = hit
        accepted, in_address = _accept(text, words, meaning, data.given_names)
        if not accepted:
            continue
        if meaning.kind == "city":
            # Towns flagged A ("Лесной", "Радужный") count only in an address.
            towns = [t for t in meaning.towns if in_address or "A" not in t.flags]
            if not towns:
                continue
            codes = tuple(dict.fromkeys(t.region_code for t in towns))
            name = towns[0].name
        else:
            codes = meaning.region_codes
            name = data.regions[codes[0]].name if len(codes) == 1 else meaning.name
        start, end = words[0].start, words[-1].end
        found.append(PlaceMatch(text[start:end], start, end, meaning.kind, name, codes, in_address))
        pos = end
    return tuple(found)


# ---------------------------------------------------------------- phones

# Candidates: an optional +country code or leading 8, then digits with the usual separators.
_PHONE = re.compile(r"(?<![\w+])(?:\+\s?\d{1,3}|8|7)?[\s\-\u00a0]*(?:\(\s*\d{3,5}\s*\)|\d{3,5})[\s\-\u00a0]*\d[\d\s\-\u00a0]{3,11}\d(?![\d\w])")
_PHONE_LABEL = re.compile(r"(тел|т\.|моб|факс|phone|tel|сот|whatsapp|viber)[^\n]{0,15}$", re.IGNORECASE)
_NOT_PHONE_AFTER = re.compile(r"\s*(руб|р\.|₽|шт|тыс|млн|кг|т\.|мм|см|м2|м²|%)", re.IGNORECASE)


def region_by_phone_digits(national10: str) -> tuple[str | None, str, bool]:
    """(region code, matched area code, ambiguous) for a 10-digit national number, by the longest
    matching area code: "4843921111" → ("40", "48439", False). Mobile (9xx), toll-free (80x) and
    Kazakh (7xx) numbers give no region; their first three digits come back as the code."""
    if len(national10) != 10 or not national10.isdigit():
        return (None, "", False)
    if national10[0] in "9765" or national10.startswith("80"):
        return (None, national10[:3], False)
    codes = _data().phone_codes
    for length in (5, 4, 3):
        prefix = national10[:length]
        if prefix in codes:
            region, ambiguous = codes[prefix]
            return (region, prefix, ambiguous)
    return (None, national10[:3], False)


def _national(candidate: str, text: str, start: int) -> str | None:
    """The 10-digit national number a candidate spells, or None if it is no Russian phone."""
    digits = re.sub(r"\D", "", candidate)
    stripped = candidate.lstrip()
    if stripped.startswith("+"):
        return digits[1:] if digits.startswith("7") and len(digits) == 11 else None
    formatted = bool(re.search(r"[\s\-()\u00a0]", candidate.strip()))
    labelled = bool(_PHONE_LABEL.search(text[max(0, start - 25) : start]))
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:] if formatted or labelled else None
    # Ten bare digits are an INN as often as a phone: only formatted ones ("(3952) 70-14-25").
    if len(digits) == 10 and formatted and digits[0] in "3489":
        return digits
    return None


def find_phones(text: str) -> tuple[PhoneMatch, ...]:
    """Russian phone numbers as people write them ("+7 (495) 108-44-61", "8 (8172) 21-60-93",
    "(48439) 2-11-11", "8 913 217-40-56"), each with its area code resolved. Numbers with another
    country's code ("+375 17 …", "+998 …") are not Russian and are left out."""
    found: list[PhoneMatch] = []
    for m in _PHONE.finditer(text):
        candidate = m.group().rstrip()
        start = m.start() + (len(candidate) - len(candidate.lstrip()))
        end = m.start() + len(candidate)
        if _NOT_PHONE_AFTER.match(text, end):
            continue
        national = _national(candidate, text, start)
        if national is None:
            continue
        region, area, ambiguous = region_by_phone_digits(national)
        found.append(PhoneMatch(text[start:end], start, end, national, area, region, ambiguous))
    return tuple(found)


# ---------------------------------------------------------------- domains and postal indexes


def _labels(domain: str) -> list[str]:
    return domain.strip().strip(".").lower().rsplit("@", 1)[-1].split(".")


def region_by_domain(domain: str) -> RegionInfo | None:
    """The region of a regional domain ("spb.ru", "mail.kaluga.ru" → 40). A weak hint: anyone may
    register under it. Matches whole labels only ("vspb.ru" is not "spb.ru")."""
    data = _data()
    labels = _labels(domain)
    for i in range(len(labels) - 1):
        code = data.region_domains.get(".".join(labels[i:]))
        if code is not None:
            return data.regions.get(code)
    return None


def country_by_domain(domain: str) -> str | None:
    """ISO 3166 alpha-2 code of a country-code TLD ("samarkandtex.uz" → "UZ", "x.co.uk" → "GB");
    None for Russian (.ru, .рф, .su) and generic TLDs (.com, .net, .org, .io …)."""
    data = _data()
    tld = _labels(domain)[-1]
    if tld in data.generic_domains or not tld:
        return None
    if tld in data.country_domains:
        return data.country_domains[tld]
    return tld.upper() if len(tld) == 2 and tld.isascii() and tld.isalpha() else None


def postal_index_region(index: str) -> str | None:
    """Region code of a 6-digit Russian postal index by its first three digits ("614066" → "59").
    Old Kazakh indexes look the same, so trust it only inside a Russian address."""
    if len(index) != 6 or not index.isdigit():
        return None
    return _data().postal.get(index[:3])
