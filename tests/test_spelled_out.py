"""extract.spelled_out: an abbreviation and the name it stands for, in several spellings."""

from __future__ import annotations

import pytest

from inboxbot.extract.spelled_out import is_abbreviated, spelled_out, spells_out


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("СТК", "Свердловская теплосетевая компания"),
        ("ГБ № 9", "Городская больница № 9 г. Казани"),
        ("СибГТУПП", "Сибирский государственный технологический университет пищевых производств"),
        ("ВО СибГТУПП", "Сибирский государственный технологический университет пищевых производств"),
        ("Кашинская ЦРБ", "Кашинская центральная районная больница"),
        ("НИИ тары", "Научно-исследовательский институт тары"),
        ("ТД", "Торговый дом"),
    ],
)
def test_an_abbreviation_spells_out_its_name(short: str, long: str) -> None:
    assert spells_out(short, long)


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("ПТК", "Промышленная транспортная система"),  # a letter differs
        ("ГБ № 9", "Городская больница № 3"),  # another number
        ("СТК", "Свердловская теплосетевая компания Урала и Сибири"),  # words left over that are not a town
        ("Бежецкая ЦРБ", "Кашинская центральная районная больница"),  # another town's
        ("Ромашка", "Ромашка"),  # no abbreviation at all
    ],
)
def test_an_abbreviation_does_not_spell_out_another_name(short: str, long: str) -> None:
    assert not spells_out(short, long) or not is_abbreviated(short)


def test_two_names_spelling_it_out_leave_it_as_written() -> None:
    names = [("Свердловская теплосетевая компания", 1), ("Сибирская торговая компания", 2)]
    assert spelled_out("СТК", names) is None
    assert spelled_out("СТК", names[:1]) == 1
    assert spelled_out("Свердловская теплосетевая компания", names) is None
