"""Build place_forms.tsv: every inflected form of the gazetteer's names, with homonym flags.

Run after editing cities.tsv, regions.json or given_names.tsv:

    python -m inboxbot.data.build_forms

pymorphy3 is used here, at build time only: loading its dictionaries takes longer than the
whole gazetteer may take at run time, so the matcher reads this file and never calls pymorphy.

Output columns: form (lowercase tokens, ё → е, joined by one space), kind, key, flags.
  kind  c = city (key: its name in cities.tsv), r = region (key: the alias in regions.json),
        u = abbreviation matched only in capitals (key: the abbreviation), n = given name.
  flags C = the form is also a common word ("Находка", "Курган", "Тара", "Шахты"),
        P = the form is also a person's name or surname ("Иванова", "Королёв", "Владимир").
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent
OUT = DATA / "place_forms.tsv"

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
# "в Бору", "в Орле": some nouns have a second locative or genitive.
EXTRA_CASES = {"loct": ("loc2",), "gent": ("gen2",)}
# Hyphen parts after these stay as written: "Ростов-на-Дону" → "Ростове-на-Дону".
PREPOSITIONS = frozenset({"на", "над", "в", "под"})
# Head words of region names and the abbreviations written in their place.
HEAD_ABBREVIATIONS = {"область": ("обл",), "край": ("кр",), "республика": ("респ",)}
# Name parts pymorphy declines wrongly or not at all, by case (nomn gent datv accs ablt loct).
OVERRIDES: dict[str, tuple[str, ...]] = {
    "ола": ("ола", "олы", "оле", "олу", "олой", "оле"),  # Йошкар-Ола
    "мар": ("мар", "мара", "мару", "мар", "маром", "маре"),  # Нарьян-Мар
    "ях": ("ях", "яха", "яху", "ях", "яхом", "яхе"),  # Пыть-Ях
    "катав": ("катав", "катава", "катаву", "катав", "катавом", "катаве"),  # Усть-Катав
    "сале": ("сале",) * 6,  # Тарко-Сале does not decline
}
PERSON_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})
TOKEN_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


def normalize(text: str) -> str:
    """Lowercase tokens joined by one space, ё → е: the key both build and matcher use."""
    return " ".join(TOKEN_RE.findall(text.lower().replace("ё", "е")))


@functools.lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.cache
def _base_parse(word: str) -> Any:
    """The parse of a name word in the nominative: a place (Geox) if pymorphy knows one."""
    parses = _morph().parse(word)
    nominative = [p for p in parses if "nomn" in p.tag]
    for group in (
        [p for p in nominative if "Geox" in p.tag],
        [p for p in nominative if p.tag.POS in ("NOUN", "ADJF") and not (PERSON_GRAMMEMES & p.tag.grammemes)],
        nominative,
        parses,
    ):
        if group:
            return group[0]
    return None


@functools.cache
def _word_forms(word: str, case: str) -> frozenset[str]:
    """The word in `case` (same number and gender as written); the word itself if it does not decline."""
    low = word.lower()
    if low in OVERRIDES:
        return frozenset({OVERRIDES[low][CASES.index(case)]})
    if low in PREPOSITIONS or not low.isalpha() or len(low) == 1:
        return frozenset({low})
    parse = _base_parse(low)
    if parse is None or "Fixd" in parse.tag:
        return frozenset({low})
    forms = set()
    for wanted in (case, *EXTRA_CASES.get(case, ())):
        inflected = parse.inflect({wanted})
        if inflected is not None:
            forms.add(inflected.word)
    return frozenset(forms or {low})


def _hyphenated_forms(word: str, case: str) -> set[tuple[str, ...]]:
    """Forms of one space-separated word, hyphen parts as separate tokens. The last declinable
    part always takes the case; earlier parts may or may not ("Гусь-Хрустальном" and
    "Гусе-Хрустальном", "Петропавловске-Камчатском"), so both are kept."""
    parts = word.split("-")
    fixed_from = next((i for i, p in enumerate(parts) if p.lower() in PREPOSITIONS), len(parts))
    options: list[set[str]] = []
    for i, part in enumerate(parts):
        low = part.lower()
        if i >= fixed_from:
            options.append({low})
        elif i == fixed_from - 1:
            options.append(set(_word_forms(part, case)))
        else:
            options.append({low} | set(_word_forms(part, case)))
    return set(itertools.product(*options))


def phrase_forms(phrase: str) -> set[str]:
    """All normalized forms of a (multi-word) name: every word in the same case, and also with
    the words after the first noun kept in the nominative ("в Республике Татарстан")."""
    words = [w for w in re.split(r"[\s()—–]+", phrase) if w]
    result: set[str] = set()
    for case in CASES:
        agreed = [_hyphenated_forms(w, case) for w in words]
        nominative = [_hyphenated_forms(w, "nomn") for w in words]
        first_noun = next(
            (i for i, w in enumerate(words) if (p := _base_parse(w.split("-")[-1].lower())) is not None and p.tag.POS == "NOUN"),
            len(words),
        )
        variants = [agreed, agreed[: first_noun + 1] + nominative[first_noun + 1 :]]
        for variant in variants:
            for combo in itertools.product(*variant):
                result.add(normalize(" ".join(" ".join(t) for t in combo)))
    return result


def region_alias_forms(alias: str) -> set[str]:
    """Forms of a region alias plus the abbreviated head: "Свердловской обл", "Респ. Коми"."""
    forms = phrase_forms(alias)
    words = alias.split()
    for i, word in enumerate(words):
        for abbr in HEAD_ABBREVIATIONS.get(word.lower(), ()):
            before, after = " ".join(words[:i]), " ".join(words[i + 1 :])
            before_forms = phrase_forms(before) if before else {""}
            after_forms = {normalize(after)} if after else {""}
            for b, a in itertools.product(before_forms, after_forms):
                forms.add(normalize(f"{b} {abbr} {a}"))
    return forms


def form_flags(form: str, name: str) -> str:
    """C if a one-word form is also a common noun ("Находка", "Курган", "Шахты") or the name
    itself is a common adjective ("Волжский", "Мирный"); P if it is also a person's name or
    surname ("Иванова", "Королёв"). Adjectives merely derived from the place ("курском") and
    rare parses (pymorphy score under 0.2) do not count."""
    if " " in form:
        return ""
    person = common = 0.0
    for p in _morph().parse(form):
        grammemes = p.tag.grammemes
        if not p.is_known or {"Geox", "Abbr", "Init"} & grammemes:
            continue
        if PERSON_GRAMMEMES & grammemes:
            person += p.score
        elif p.tag.POS == "NOUN" or (p.tag.POS == "ADJF" and "Poss" not in grammemes and _is_adjective(name)):
            common += p.score
    return ("C" if common >= 0.2 else "") + ("P" if person >= 0.2 else "")


@functools.cache
def _is_adjective(name: str) -> bool:
    """True for a one-word name that is an ordinary adjective: "Мирный", "Волжский"."""
    if " " in name or "-" in name:
        return False
    return any(p.is_known and p.tag.POS == "ADJF" and "Poss" not in p.tag for p in _morph().parse(name.lower()))


def _read_tsv(path: Path) -> Iterator[list[str]]:
    lines = (line.rstrip("\n") for line in path.open(encoding="utf-8") if not line.startswith("#"))
    next(lines)  # header
    for line in lines:
        if line:
            yield line.split("\t")


def build_rows() -> list[tuple[str, str, str, str]]:
    rows: set[tuple[str, str, str, str]] = set()
    for name in sorted({r[0] for r in _read_tsv(DATA / "cities.tsv")}):
        for form in phrase_forms(name):
            rows.add((form, "c", name, form_flags(form, name)))
    regions = json.loads((DATA / "regions.json").read_text(encoding="utf-8"))
    aliases = [a for r in regions["regions"] for a in r["aliases"]] + [s["alias"] for s in regions["shared_aliases"]]
    for alias in aliases:
        for form in region_alias_forms(alias):
            rows.add((form, "r", alias, form_flags(form, alias)))
    for region in regions["regions"]:
        for abbr in region["abbr"]:
            rows.add((normalize(abbr), "u", abbr, ""))
    for line in (DATA / "given_names.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            for case in CASES:
                for form in _word_forms(line, case):
                    rows.add((normalize(form), "n", "", ""))
    return sorted(rows)


def render(rows: Iterable[tuple[str, str, str, str]]) -> str:
    head = "# Generated by `python -m inboxbot.data.build_forms` from cities.tsv, regions.json, given_names.tsv. Do not edit.\n"
    return head + "form\tkind\tkey\tflags\n" + "".join("\t".join(r) + "\n" for r in rows)


def main() -> int:
    OUT.write_text(render(build_rows()), encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
