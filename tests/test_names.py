"""Company-name normalisation and the match score (inboxbot.directory.names)."""

from __future__ import annotations

import pytest

from inboxbot.directory.clients import NAME_THRESHOLD
from inboxbot.directory.name_index import NameIndex
from inboxbot.directory.names import (
    KIND_INNER,
    KIND_NAME,
    KIND_OUTER,
    innermost_quoted,
    name_key,
    name_variants,
    normal_form,
    score,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ООО «Алтайские сыры»", "Алтайских сыров"),  # genitive plural
        ("ООО «Алтайские сыры»", "алтайскими сырами"),
        ("ООО «Пельменная мануфактура»", "Пельменная мануфактура"),  # no legal form
        ("ООО «Пельменная мануфактура»", 'ооо "ПЕЛЬМЕННАЯ МАНУФАКТУРА"'),  # case, quotes
        ("Общество с ограниченной ответственностью «Гелиос»", "ООО Гелиос"),
        ("АО «Вологодский молочный комбинат»", "Акционерное общество 'Вологодский молочный комбинат'"),
        ("ООО «Фабрика „Северная звезда“»", "ф-ка Северная звезда"),  # abbreviation, generic word
        ("ООО «Сибирский торговый дом „Тобол“»", "Сибирский ТД Тобол"),
        ("ООО «Агроимпульс-Омск»", "Агроимпульс Омск"),  # hyphen = space
        ("ООО «Нордпак Рус»", "Нордпака Рус"),  # an unknown word inflected
        ("ИП Шайхутдинова Альбина Рашитовна", "ИП Шайхутдиновой Альбины Рашитовны"),
        ("ООО «Мясокомбинат „Агроимпульс“»", "МК «Агроимпульс»"),
        ("ООО «Ёлка»", "Елка"),
    ],
)
def test_same_key(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ООО «ЗооМаркет Онлайн»", "ZooMarket Online"),  # transliteration
        ("АО «ФармаЛайн»", "PharmaLine"),
        ("ООО «Белый медведь косметикс»", "Белый медведь косметик"),  # typo
        ("ООО «Тульская пряничная мануфактура»", "Тульская праничная мануфактура"),
        ("ООО «ПолимерПак»", "Полимер-Пак"),  # spacing inside a compound
        ("ООО «Зоо Маркет»", "ЗооМаркет"),
        ("ООО «Гранд Логистик»", "Логистик Гранд"),  # word order
    ],
)
def test_close_enough(a: str, b: str) -> None:
    assert score(a, b) >= NAME_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ООО «Альянс»", "ООО «Альянс Трейд»"),  # a different proper name
        ("ООО «Гелиос»", "ООО «Гелиос Плюс»"),
        ("ООО «Агроимпульс»", "ООО «Агроимпульс Омск»"),
        ("ООО «Волжанка»", "ООО «Волжанка-Пенза»"),
        ("ООО «Каскад»", "ООО «Атлант»"),
        ("ООО «Меридиан»", "ООО «Меридиан Трейд Групп»"),
    ],
)
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert score(a, b) < NAME_THRESHOLD


def test_generic_words_dropped_but_not_everything() -> None:
    assert name_key("ТД «Северный Картон»") == name_key("Северный Картон")
    # «дом» alone is part of a name; only the pair «торговый дом» is generic
    assert name_key("Чайная компания «Байховый дом»") == name_key("Чайная Байховый дом")
    # a name made only of generic words keeps them rather than becoming empty
    assert name_key("ООО «Торговый дом»") != ""


def test_innermost_and_variants() -> None:
    name = "ООО «Мясокомбинат „Агроимпульс“»"
    assert innermost_quoted(name) == "Агроимпульс"
    kinds = dict(name_variants(name))
    assert kinds[KIND_NAME] == name_key("Мясокомбинат Агроимпульс")
    assert kinds[KIND_INNER] == name_key("Агроимпульс")
    outer = dict(name_variants("МУП «Горводоканал» г. Ефремова"))
    assert outer[KIND_OUTER] == name_key("Горводоканал")


def test_normal_form_known_and_unknown_words() -> None:
    assert normal_form("алтайских") == "алтайский"
    assert normal_form("сыров") == "сыр"
    assert normal_form("агроимпульса") == "агроимпульс"  # not in the dictionary: stem
    assert normal_form("nordpack") == "nordpack"


def test_index_finds_typos_spacing_and_far_misspellings() -> None:
    names = ["altaiskii sir", "zoomarket onlain", "hleber eniseis", "vinoelektronishumamu", "alians treid"]
    index = NameIndex((i, KIND_NAME, k) for i, k in enumerate(names))

    def best(key: str) -> int | None:
        hits = index.search(key, threshold=80)
        return hits[0].owner if hits else None

    assert best("altaiskii sir") == 0
    assert best("altaiski sir") == 0  # one deletion
    assert best("zoo market online") == 1  # split compound + spelling
    assert best("hleberkeniseis") == 2  # joined and misspelt: trigram fallback
    assert best("vinoelektronikumam") == 3  # three edits in one long word
    assert best("alians") is None  # shorter proper name does not match
