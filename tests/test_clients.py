"""The client base: loading CSV/XLSX exports, look-ups by INN, domain and name, holdings, VIP."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
from russian_texts import for_codepage
from samples import CORPUS, DEMO_DATA

from inboxbot.directory.client import ColumnMap
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.holdings import find_group_mentions, load_groups
from inboxbot.directory.vip import load_vip
from inboxbot.errors import RulesError
from inboxbot.model.decision import ClientRef
from inboxbot.model.domains import normalize_domain

HEADER = "name,inn,kpp,ogrn,region_code,city,manager,group,domains,alt_names"


@pytest.fixture(scope="module")
def base() -> ClientBase:
    assert (CORPUS / "clients.csv").is_file(), f"sample corpus missing: {CORPUS}"
    return ClientBase.load(CORPUS / "clients.csv")


@pytest.fixture(scope="module")
def groups():  # type: ignore[no-untyped-def]
    return load_groups(CORPUS / "groups.csv")


# --- the sample base -------------------------------------------------------------------


def test_sample_base_loads_clean(base: ClientBase) -> None:
    assert len(base) == 263
    assert base.problems == ()
    client = base.by_inn("7106346026")
    assert client is not None and client.name == "ООО «Тульская пряничная мануфактура»"
    assert client.manager == "sidorov" and client.line == 200 and client.file == "clients.csv"
    assert client.ref() == ClientRef(
        name=client.name, inn="7106346026", manager="sidorov", file="clients.csv", line=200,
        region_code="71", group=None,
    )  # fmt: skip
    assert base.by_inn("7106346027") is None


def test_by_domain(base: ClientBase) -> None:
    assert [c.name for c in base.by_domain("kareliafish.ru")] == ["ООО «Карельская форель»"]
    assert [c.name for c in base.by_domain("mail.kareliafish.ru")] == ["ООО «Карельская форель»"]
    assert [c.name for c in base.by_domain("m.laukkanen@KareliaFish.RU")] == ["ООО «Карельская форель»"]
    # the most specific level wins: omsk.agroimpuls.ru is its own client
    assert [c.name for c in base.by_domain("omsk.agroimpuls.ru")] == ["ООО «Агроимпульс-Омск»"]
    assert [c.name for c in base.by_domain("agroimpuls.ru")] == ["АО «Агроимпульс»"]
    assert len(base.by_domain("tvm-group.ru")) == 5  # shared by an independent holding
    for free in ("gmail.com", "mail.ru", "corp.mail.ru", "yandex.ru", "ya.ru"):
        assert base.by_domain(free) == ()
    assert base.by_domain("unknown.example") == ()


def test_idn_domains_match_in_both_spellings(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"{HEADER}\nООО «Пример»,,,,77,Москва,smirnova,,пример.рф,\n", encoding="utf-8")
    base = ClientBase.load(path)
    assert normalize_domain("пример.рф") == "xn--e1afmkfd.xn--p1ai"
    assert [c.name for c in base.by_domain("xn--e1afmkfd.xn--p1ai")] == ["ООО «Пример»"]
    assert [c.name for c in base.by_domain("XN--E1AFMKFD.XN--P1AI")] == ["ООО «Пример»"]
    assert [c.name for c in base.by_domain("почта.пример.рф")] == ["ООО «Пример»"]


@pytest.mark.parametrize(
    ("query", "expected", "matched"),
    [
        ("Алтайских сыров", "ООО «Алтайские сыры»", "ООО «Алтайские сыры»"),
        ("Пельменная мануфактура", "ООО «Пельменная мануфактура»", "ООО «Пельменная мануфактура»"),
        ("ZooMarket Online", "ООО «ЗооМаркет Онлайн»", "ООО «ЗооМаркет Онлайн»"),
        ("Nordpack Rus", "ООО «Нордпак Рус»", "Nordpack Rus"),
        ("Агроимпульс", "АО «Агроимпульс»", "АО «Агроимпульс»"),
        ("Волжанка", "АО «Кондитерская фабрика „Волжанка“»", "Волжанка"),
        ("ф-ка Северная звезда", "ООО «Фабрика „Северная звезда“»", "ООО «Фабрика „Северная звезда“»"),
        ("Белый медведь косметик", "ООО «Белый медведь косметикс»", "ООО «Белый медведь косметикс»"),
        ("МАДОУ Детский сад № 154", "МАДОУ «Детский сад № 154»", "МАДОУ «Детский сад № 154»"),
    ],
)
def test_by_name_finds(base: ClientBase, query: str, expected: str, matched: str) -> None:
    lookup = base.by_name(query)
    assert lookup.best is not None, query
    assert lookup.best.client.name == expected
    assert lookup.best.matched == matched
    assert not lookup.ambiguous


@pytest.mark.parametrize("query", ["Альянс", "Нордпак", "Белый медведь", "Северный Картон", "Ромашка"])
def test_by_name_rejects_other_proper_names(base: ClientBase, query: str) -> None:
    assert base.by_name(query).best is None


def test_two_close_clients_are_ambiguous_until_the_region_decides(base: ClientBase) -> None:
    polymer = [c for c in base if "Полимер" in c.name and "Пак" in c.name]
    assert len(polymer) == 2 and polymer[0].region_code != polymer[1].region_code
    lookup = base.by_name("Полимер Пак")
    assert lookup.ambiguous and {m.client.name for m in lookup.candidates[:2]} == {c.name for c in polymer}
    for client in polymer:
        decided = base.by_name("полимерпак", region_code=client.region_code)
        assert not decided.ambiguous
        assert decided.best is not None and decided.best.client is client
    # a region that matches neither leaves it ambiguous
    assert base.by_name("Полимер Пак", region_code="99").ambiguous


def test_candidates_best_first_and_limited(base: ClientBase) -> None:
    lookup = base.by_name("Агроимпульс", limit=2)
    assert len(lookup.candidates) == 2
    assert lookup.candidates[0] == lookup.best
    assert lookup.candidates[0].score >= lookup.candidates[1].score


def test_group_members(base: ClientBase) -> None:
    names = {c.name for c in base.group_members("Нордпак")}
    assert names == {"ООО «Нордпак Рус»", "ООО «Нордпак Логистик»", "ООО «Нордпак Тара»"}
    assert base.group_members("нордпак") == base.group_members("Нордпак")
    assert base.group_members("Нет такой") == ()


# --- loading exports -------------------------------------------------------------------


def test_cp1251_semicolon_export_with_problems(tmp_path: Path) -> None:
    rows = [
        "Наименование;ИНН;Ответственный;Регион;Сайт",
        "ООО «Ромашка»;7707083893;ivanova;77;romashka.ru",
        "ООО «Лютик»;123;petrov;50;",
        "ООО «Василёк»;7106346026;;71;gmail.com",
        ";7707083893;petrov;;",
        "ООО «Дубль»;7707083893;orlov;abc;dubl.ru",
    ]
    path = tmp_path / "crm.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1251"))
    columns = ColumnMap(name="Наименование", inn="ИНН", manager="Ответственный", region_code="Регион", domains="Сайт")
    base = ClientBase.load(path, columns)
    assert [c.name for c in base] == ["ООО «Ромашка»", "ООО «Лютик»", "ООО «Василёк»", "ООО «Дубль»"]
    assert base.problems == (
        "crm.csv, строка 3: ИНН 123 не проходит проверку контрольных цифр (10 цифр у организации, 12 у ИП) — ИНН не учтён",
        "crm.csv, строка 4: не указан менеджер (колонка manager) — клиент найдётся, но владельца у него нет",
        "crm.csv, строка 4: домен gmail.com — бесплатная почта, клиента по нему не определить — пропущен",
        "crm.csv, строка 5: нет названия компании (колонка name) — строка пропущена",
        "crm.csv, строка 6: код региона «abc» — нужен код субъекта РФ из двух цифр (01–99)",
        "crm.csv, строка 6: ИНН 7707083893 уже есть в строке 2; по ИНН будет находиться клиент из строки 2",
    )
    assert base.by_inn("7707083893").name == "ООО «Ромашка»"  # type: ignore[union-attr]
    lutik = next(c for c in base if c.name == "ООО «Лютик»")
    assert lutik.inn is None and lutik.line == 3
    assert next(c for c in base if c.name == "ООО «Дубль»").region_code == "77"  # from the INN


def test_utf8_bom_tab_and_quoted_multiline(tmp_path: Path) -> None:
    text = 'name\tinn\tmanager\talt_names\n"ООО «Многострочная\nкомпания»"\t7106346026\tsidorov\tMulti Line; Мульти\nООО «После»\t\tpetrov\t\n'
    path = tmp_path / "c.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    base = ClientBase.load(path)
    first, second = list(base)
    assert first.alt_names == ("Multi Line", "Мульти") and first.line == 2
    assert second.name == "ООО «После»" and second.line == 4  # line counts the embedded newline


def test_explicit_encoding_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes('name|manager\nООО "Щит"|orlov\n'.encode("koi8-r"))
    base = ClientBase.load(path, encoding="koi8-r", delimiter="|")
    assert [c.name for c in base] == ['ООО "Щит"']


def test_missing_required_column_names_file_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Название,ИНН\nООО «А»,7707083893\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        ClientBase.load(path)
    message = str(err.value)
    assert "export.csv" in message and "name, manager" in message and "Найдены колонки: Название, ИНН" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="не найден"):
        ClientBase.load(tmp_path / "nope.csv")


def test_xlsx_export_with_numeric_inn(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")  # a declared dependency; skip only if broken
    book = openpyxl.Workbook()
    book.active.title = "Прочее"
    sheet = book.create_sheet("Клиенты")
    sheet.append(["name", "inn", "manager", "region_code", "domains"])
    sheet.append(["ООО «ЮгАгроХолдинг Адыгея»", 105367341, "orlov", 1, "yugagro.ru"])  # Excel lost the 0s
    sheet.append(["ООО «Тульская пряничная мануфактура»", 7106346026.0, "sidorov", 71, None])
    path = tmp_path / "clients.xlsx"
    book.save(path)
    base = ClientBase.load(path, sheet="Клиенты")
    first, second = list(base)
    assert first.inn == "0105367341" and first.region_code == "01" and first.line == 2
    assert second.inn == "7106346026" and second.line == 3
    assert base.problems == ()
    with pytest.raises(RulesError, match="нет листа «Лист1»"):
        ClientBase.load(path, sheet="Лист1")


# --- damaged exports: one bad cell costs its value or its row, never the base ----------

DEMO = DEMO_DATA / "clients.csv"


def _demo_lines() -> list[str]:
    return DEMO.read_text(encoding="utf-8").splitlines()


def _write(tmp_path: Path, lines: list[str], name: str = "clients.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def _set_cell(lines: list[str], line: int, column: str, value: str) -> None:
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("inn", "770708389³", "ИНН 770708389³ не проходит проверку"),
        ("inn", "٧٧٠٧٠٨٣٨٩٣", "ИНН ٧٧٠٧٠٨٣٨٩٣ не проходит проверку"),
        ("ogrn", "102770013219³", "ОГРН 102770013219³ не проходит проверку"),
        ("kpp", "７７０７０１００１", "КПП ７７０７０１００１ — не 9 знаков"),
        ("region_code", "²", "код региона «²»"),
        ("since", "15.03.２０２１", None),  # read as the date it is, digits of any script
    ],
)
def test_a_non_ascii_digit_costs_only_its_cell(tmp_path: Path, column: str, value: str, problem: str | None) -> None:
    lines = _demo_lines()
    _set_cell(lines, 6, column, value)
    base = ClientBase.load(_write(tmp_path, lines))
    assert len(base) == 263 and base.damage == ()
    if problem is None:
        assert base.problems == ()
    else:
        assert len(base.problems) == 1 and base.problems[0].startswith(f"clients.csv, строка 6: {problem}")


def test_a_stray_quote_skips_its_line_only(tmp_path: Path) -> None:
    lines = _demo_lines()
    lines[10] = '"' + lines[10]  # line 11: a quote opens the name cell and never closes
    base = ClientBase.load(_write(tmp_path, lines))
    assert len(base) == 262
    assert base.damage == (
        'clients.csv, строка 11: кавычка в начале ячейки не закрыта — строка пропущена; уберите эту кавычку '
        'или закройте её (например, "ООО ""Ромашка""")',
    )
    assert base.problems == base.damage
    assert [c.line for c in base][8:10] == [10, 12]


def test_a_stray_quote_closed_by_the_next_quoted_cell_skips_its_line_only(tmp_path: Path) -> None:
    # csv would pair the stray quote with the next row's opening one and read two rows as one
    rows = [
        "name;inn;manager",
        '"ООО Ромашка;7707083893;ivanova',
        '"ООО ""Лютик""";7106346026;petrov',
        "ООО Василёк;;orlov",
    ]
    base = ClientBase.load(_write(tmp_path, rows))
    assert [(c.name, c.line) for c in base] == [('ООО "Лютик"', 3), ("ООО Василёк", 4)]
    assert len(base.damage) == 1 and base.damage[0].startswith("clients.csv, строка 2: кавычка")


def test_a_quoted_cell_over_lines_is_still_one_record(tmp_path: Path) -> None:
    rows = ["name;manager;city", '"ООО ""Север;\nЮг"" и партнёры";petrov;"Москва,\nул. Ленина, 1"', "ООО Б;orlov;"]
    base = ClientBase.load(_write(tmp_path, rows))
    assert [(c.name, c.line) for c in base] == [('ООО "Север;\nЮг" и партнёры', 2), ("ООО Б", 5)]
    assert base.damage == ()


def test_a_file_read_as_few_records_is_damage(tmp_path: Path) -> None:
    rows = ["name,manager,city"] + [f'ООО {i},petrov,"г. Москва,\nул. Ленина,\nд. {i}"' for i in range(12)]
    base = ClientBase.load(_write(tmp_path, rows))
    assert len(base) == 12
    assert base.damage == (
        "clients.csv: из 36 непустых строк прочитано только 12 записей — ячейки в кавычках захватили соседние "
        "строки; проверьте кавычки (непарная «\"» в начале ячейки) или пересохраните выгрузку из Excel/1C заново",
    )


@pytest.mark.parametrize("quoted", [False, True])
def test_a_huge_cell_skips_its_row(tmp_path: Path, quoted: bool) -> None:
    lines = _demo_lines()
    huge = "x" * 140_000
    _set_cell(lines, 4, "city", f'"{huge}"' if quoted else huge)
    base = ClientBase.load(_write(tmp_path, lines))
    assert len(base) == 262 and 4 not in [c.line for c in base]
    assert len(base.damage) == 1
    assert base.damage[0].startswith("clients.csv, строка 4: ")
    assert "больше 10000 знаков" in base.damage[0] or "field larger than field limit" in base.damage[0]


def test_a_renamed_inn_column_that_is_missing_is_damage(tmp_path: Path) -> None:
    base = ClientBase.load(_write(tmp_path, _demo_lines()), ColumnMap(inn="ИНН"))
    assert base.by_inn("2221555396") is None
    assert len(base.damage) == 1
    assert base.damage[0].startswith("clients.csv: колонки «ИНН» (поле inn в [clients.columns]) в файле нет — ИНН не загружены.")


def test_an_inn_header_the_default_map_misses_is_damage(tmp_path: Path) -> None:
    lines = _demo_lines()
    lines[0] = lines[0].replace("inn", "ИНН")
    base = ClientBase.load(_write(tmp_path, lines))
    assert base.damage == (
        "clients.csv: есть колонка «ИНН», но ИНН читаются из колонки «inn», которой нет, — ИНН не загружены; "
        'добавьте inn = "ИНН" в [clients.columns]',
    )


def test_an_inn_column_empty_in_every_row_is_damage(tmp_path: Path) -> None:
    lines = _demo_lines()
    for number in range(2, len(lines) + 1):
        _set_cell(lines, number, "inn", "")
    base = ClientBase.load(_write(tmp_path, lines))
    assert len(base) == 263
    assert base.damage == (
        "clients.csv: колонка «inn» пуста во всех строках (263) — ИНН не загружены; "
        "проверьте выгрузку или соответствие колонок в [clients.columns]",
    )


def _koi8_lines(codepage: str = "koi8-r") -> list[str]:
    # KOI8-R has no «» or —: an export in it writes plain quotes and hyphens
    return [for_codepage(line, codepage) for line in _demo_lines()]


@pytest.mark.parametrize("codepage", ["cp1251", "koi8-r", "cp866", "iso8859-5", "mac-cyrillic"])
def test_a_cyrillic_code_page_is_recognised(tmp_path: Path, codepage: str) -> None:
    lines = _koi8_lines(codepage)
    base = ClientBase.load(_write(tmp_path, lines, encoding=codepage))
    assert [c.name for c in base] == [ln.split(",")[0] for ln in lines[1:]]
    assert base.damage == () and base.problems == ()


def test_a_wrong_explicit_encoding_is_damage(tmp_path: Path) -> None:
    base = ClientBase.load(_write(tmp_path, _koi8_lines(), encoding="koi8-r"), encoding="cp1251")
    assert base.damage == (
        'clients.csv, строка 2: «бп "бЗТПЙНРХМШУ"» — похоже на текст в неверной кодировке («АО "Агроимпульс"»): '
        'файл в кодировке KOI8-R, а в [clients] указано encoding = "cp1251"; уберите encoding, и кодировка определится сама',
    )


@pytest.mark.parametrize("garbled_as", ["utf-8", "koi8-r"])
def test_text_garbled_before_it_was_saved_is_damage(tmp_path: Path, garbled_as: str) -> None:
    # Excel in a Russian locale opened a UTF-8 (or KOI8-R) CSV as windows-1251 and saved it
    text = "\n".join(_koi8_lines())
    garbled = text.encode(garbled_as).decode("cp1251", "replace")
    base = ClientBase.load(_write(tmp_path, garbled.splitlines()))
    assert len(base.damage) == 1
    assert "похоже на текст в неверной кодировке («АО \"Агроимпульс\"»)" in base.damage[0]
    assert "выгрузите базу из CRM или 1C заново" in base.damage[0]


def test_garbled_names_in_a_workbook_are_damage(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")  # a declared dependency; skip only if broken
    book = openpyxl.Workbook()
    book.active.append(["name", "manager"])
    for name in ("ООО «Северный упаковщик»", "АО «Сибирские напитки»", "ООО «Пряничный двор»"):
        book.active.append([name.encode("utf-8").decode("cp1251", "replace"), "petrov"])
    path = tmp_path / "clients.xlsx"
    book.save(path)
    base = ClientBase.load(path)
    assert len(base) == 3 and len(base.damage) == 1
    assert base.damage[0].startswith("clients.xlsx, строка 2: «РћРћРћ")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"encoding": "no-such"}, "clients.csv: кодировка «no-such» неизвестна."),
        ({"encoding": "rot13"}, "clients.csv: кодировка «rot13» неизвестна."),
        ({"encoding": "utf-16"}, "clients.csv, строка 2: файл не в кодировке utf-16"),
        ({"delimiter": "ab"}, "clients.csv: разделитель 'ab' не годится"),
    ],
)
def test_bad_encoding_or_delimiter_is_a_russian_rules_error(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    path = _write(tmp_path, ["name,manager", "ООО А,petrov"])
    with pytest.raises(RulesError) as err:
        ClientBase.load(path, **kwargs)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)


def test_a_stray_quote_in_the_header_keeps_the_rows(tmp_path: Path) -> None:
    lines = _demo_lines()
    lines[0] = lines[0].replace("domains", '"domains')
    base = ClientBase.load(_write(tmp_path, lines))
    assert len(base) == 263
    assert base.damage[0].startswith("clients.csv, строка 1: в заголовке кавычка не закрыта")


# --- holdings and VIP ------------------------------------------------------------------


def test_load_groups(groups) -> None:  # type: ignore[no-untyped-def]
    by_name = {g.name: g for g in groups}
    assert len(groups) == 8
    assert by_name["Агроимпульс"].policy == "one_owner" and by_name["Агроимпульс"].owner == "sidorov"
    assert by_name["ТВМ"].policy == "independent" and by_name["ТВМ"].owner is None
    assert by_name["ВКГ"].aliases == ("Волжская кондитерская группа", "ВКГ", "Волжанка", "VKG")


@pytest.mark.parametrize(
    ("text", "group", "matched"),
    [
        ("ООО «Агроимпульс Юг»", "Агроимпульс", "Агроимпульс"),
        ("ООО «Агроимпульс-Омск»", "Агроимпульс", "Агроимпульс"),
        ("мы входим в ГК «Молочная страна»", "Молочная страна", "ГК «Молочная страна"),
        ("новый завод группы компаний «Молочной страны»", "Молочная страна", "Молочной страны"),
        ("В составе «ЮгАгроХолдинга» создано ООО", "ЮгАгроХолдинг", "ЮгАгроХолдинга"),
        ("дочернее общество Трансвагонмаша", "ТВМ", "Трансвагонмаша"),
        ("ООО «ВКГ Логистик»", "ВКГ", "ВКГ"),
        ("пишу от Волжской кондитерской группы", "ВКГ", "Волжской кондитерской группы"),
        ("Agroimpuls Trade LLC", "Агроимпульс", "Agroimpuls"),
        ("поставки для Агроимпульсса", "Агроимпульс", "Агроимпульсса"),  # one typo in a long word
    ],
)
def test_find_group_mentions(groups, text: str, group: str, matched: str) -> None:  # type: ignore[no-untyped-def]
    found = find_group_mentions(text, groups)
    assert [(g.name, m) for g, m in found] == [(group, matched)]


@pytest.mark.parametrize("text", ["вкг", "ООО «Альфа»", "Молочная продукция страны", "tvm"])
def test_find_group_mentions_none(groups, text: str) -> None:  # type: ignore[no-untyped-def]
    assert find_group_mentions(text, groups) == ()


def test_bad_groups_file_reports_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    path.write_text("group,policy,owner,aliases\nА,one_owner,,\nБ,shared,petrov,\nА,independent,,\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_groups(path)
    assert str(err.value).splitlines() == [
        "groups.csv, строка 2: у группы «А» политика one_owner, но не указан владелец (колонка owner)",
        "groups.csv, строка 3: политика «shared» неизвестна. Допустимо: one_owner, independent, one_owner_per_district",
        "groups.csv, строка 4: группа «А» уже описана в строке 2",
    ]


def test_load_vip() -> None:
    vip = load_vip(CORPUS / "vip.csv")
    assert len(vip) == 6
    assert vip[0].inn == "7810686550" and vip[0].owner == "volkov" and vip[0].line == 2
    assert vip[-1].name == "ПАО «Волгохимпром»" and vip[-1].since == "2020-11-20"


def test_bad_vip_file(tmp_path: Path) -> None:
    path = tmp_path / "vip.csv"
    path.write_text("name,inn,owner,since\nООО «А»,7707083894,volkov,01.02.2020\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_vip(path)
    assert str(err.value).splitlines() == [
        "vip.csv, строка 2: ИНН 7707083894 не проходит проверку контрольных цифр",
        "vip.csv, строка 2: дата «01.02.2020» — нужна дата вида 2025-06-01",
    ]


# --- the index against exhaustive scoring ----------------------------------------------


def _bench_module():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[1] / "bench" / "bench_clients.py"
    spec = importlib.util.spec_from_file_location("bench_clients", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_index_matches_exhaustive_scoring_on_50k_names(tmp_path: Path) -> None:
    """The blocked index must find exhaustive scoring's best match for ≥ 99.5 % of noisy
    queries (legal form dropped, other case, capitals, typos, quotes)."""
    bench = _bench_module()
    path = tmp_path / "synthetic.csv"
    bench.write_csv(path, 50_000, seed=11)
    base = ClientBase.load(path)
    assert len(base) == 50_000 and base.problems == ()
    rng = random.Random(12)
    clients = list(base)
    queries = [bench.noisy_query(rng.choice(clients).name, rng) for _ in range(400)]
    misses = [q for q in queries if not bench.same_best(base, q)]
    assert len(misses) / len(queries) <= 0.005, misses
