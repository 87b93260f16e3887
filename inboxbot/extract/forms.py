"""Legal forms as data: the abbreviations, full forms and Latin forms that open (or close)
a company name, and which of them are public-sector institutions (scenario §5)."""

from __future__ import annotations

import re

# Abbreviations, matched case-sensitively: «АО» is a form, «ао» is not.
ABBREVIATIONS = ["ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "ИП", "ТОО", "ОсОО", "ОДО", "ЧУП", "ЧТУП", "ЧПУП", "ТОВ", "УП", "АНО", "ЧОУ", "ЧУЗ", "НКО", "НОУ", "КФХ", "ПК", "СПК", "ТСЖ", "СНТ", "ГБУ", "ГАУ", "ГКУ", "ФГБУ", "ФГАУ", "ФКУ", "ФГКУ", "ГБУЗ", "ГАУЗ", "ГКУЗ", "ФГБУЗ", "ФГБОУ", "ФГАОУ", "ФГОУ", "ГБОУ", "ГАОУ", "ГКОУ", "ГБПОУ", "ГАПОУ", "ГБДОУ", "ГУ", "МУ", "МБУ", "МАУ", "МКУ", "МБОУ", "МАОУ", "МКОУ", "МОУ", "МАДОУ", "МБДОУ", "МКДОУ", "МДОУ", "МБУЗ", "МБУК", "МАУК", "МБУДО", "МАУДО", "ГБУК", "ГАУК", "ГБУСО", "ГАУСО", "ГКУСО", "ФГУП", "ГУП", "МУП", "МП", "ГП", "ОГБУ", "ОГАУ", "ОГКУ", "КГБУ", "КГАУ", "КГКУ"]
# Latin forms: the first list follows the name ("Samarkand Textile LLC"), OOO precedes it.
FOREIGN_SUFFIXES = ("LLC", "Ltd", "LTD", "Limited", "GmbH", "JSC", "Inc", "LLP", "PLC", "Corp", "AG", "SA", "BV", "Oy", "AB", "Srl", "SRL", "SIA", "Co")
LATIN_PREFIXES = ("OOO", "OAO", "ZAO", "PAO", "AO", "LLC", "JSC", "IP", "TOO")
# Group and brand words: not legal forms, but they open a company name the same way.
BRAND_WORDS = ("ТД", "ГК", "ПГ", "ТК", "ПКФ", "НПО", "НПП", "НПФ", "ПФ", "ТПК", "ПКП")
FULL_FORMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ООО", ("общество", "с", "ограниченной", "ответственностью")),
    ("ПАО", ("публичное", "акционерное", "общество")),
    ("НАО", ("непубличное", "акционерное", "общество")),
    ("ЗАО", ("закрытое", "акционерное", "общество")),
    ("ОАО", ("открытое", "акционерное", "общество")),
    ("АО", ("акционерное", "общество")),
    ("ИП", ("индивидуальный", "предприниматель")),
    ("АНО", ("автономная", "некоммерческая", "организация")),
    ("КФХ", ("крестьянское", "фермерское", "хозяйство")),
    ("КФХ", ("крестьянское", "(", "фермерское", ")", "хозяйство")),
    ("LLC", ("limited", "liability", "company")),
    ("JSC", ("joint", "stock", "company")),
    ("JSC", ("joint-stock", "company")),
)
# Spelled-out state and municipal forms: «Государственное бюджетное учреждение
# здравоохранения …», «Муниципальное автономное дошкольное образовательное учреждение …».
_PUBLIC_LETTERS = {
    "федеральное": "Ф", "федеральный": "Ф", "государственное": "Г", "государственный": "Г",
    "муниципальное": "М", "муниципальный": "М", "областное": "О", "краевое": "К",
    "бюджетное": "Б", "автономное": "А", "казенное": "К", "казённое": "К", "унитарное": "У",
    "дошкольное": "Д", "общеобразовательное": "О", "образовательное": "О",
    "профессиональное": "П", "учреждение": "У", "предприятие": "П", "здравоохранения": "З",
    "культуры": "К", "высшего": "В", "образования": "О", "социального": "С",
    "обслуживания": "О", "дополнительного": "Д",
}  # fmt: skip
PUBLIC_OPENERS = ["федеральное", "государственное", "муниципальное", "областное", "краевое"]

# Public-sector forms (scenario §5): state and municipal institutions and unitary
# enterprises. Not АНО, ЧОУ, ЧУЗ, nor commercial АО/ПАО with state shares.
_PUBLIC_FORM = re.compile(r"^(?:ФГ|Ф|Г|М|О|К|КГ|ОГ)[А-ЯЁ]*(?:У|УП|П)[А-ЯЁ]*$")
_NOT_PUBLIC = frozenset({"ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "ИП", "АНО", "ЧОУ", "ЧУЗ", "ЧУП", "ЧТУП", "ЧПУП", "УП", "ОДО", "ТОО", "ОсОО", "ТОВ", "НКО", "НОУ", "КФХ", "ПК", "СПК", "ТСЖ", "СНТ"})


def is_public_form(form: str | None) -> bool:
    """True for a state or municipal institution or unitary enterprise (ГБУЗ, МАДОУ, ФГУП …)."""
    return bool(form) and form not in _NOT_PUBLIC and bool(_PUBLIC_FORM.match(form or ""))


def public_form(words: list[str]) -> str:
    """The abbreviation a spelled-out public form makes: «Государственное бюджетное
    учреждение здравоохранения» → ГБУЗ."""
    return "".join(_PUBLIC_LETTERS.get(w.lower(), "") for w in words)
