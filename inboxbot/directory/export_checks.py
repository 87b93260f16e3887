"""What is wrong with a client export as a whole: a mapped column missing or empty in every
row, names that read like text in the wrong encoding. Each note is Russian and names the fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from inboxbot.directory.client import REQUIRED_COLUMNS, Client, ColumnMap
from inboxbot.mail.charsets import CODEPAGE_TITLES, CYRILLIC_CODEPAGES, misdecoded_as

# What each field holds, for messages: «ИНН не загружены».
_FIELD_TITLES = {
    "name": "названия", "inn": "ИНН", "kpp": "КПП", "ogrn": "ОГРН", "region_code": "коды регионов",
    "city": "города", "manager": "менеджеры", "group": "группы", "domains": "домены",
    "alt_names": "другие названия", "former_names": "прежние названия", "since": "даты «клиент с»",
}  # fmt: skip
# Russian headers of CRM and 1C exports, to say which column was probably meant.
_USUAL_HEADERS = {
    "inn": ("инн",), "kpp": ("кпп",), "ogrn": ("огрн", "огрнип"), "city": ("город",),
    "region_code": ("регион", "код региона"), "domains": ("домен", "домены", "сайт"),
    "group": ("группа", "холдинг"), "since": ("клиент с", "дата начала"),
    "former_names": ("прежнее название", "бывшее название"),
}  # fmt: skip


def missing_columns(file: str, header: Sequence[str], columns: ColumnMap, cols: dict[str, int]) -> list[str]:
    """Damage notes for optional columns that were asked for and are not in the file: a
    column renamed in [clients.columns], or an ИНН-like header the default map misses."""
    found = ", ".join(h for h in header if h)
    notes: list[str] = []
    for f in fields(ColumnMap):
        name = getattr(columns, f.name)
        if f.name in cols or f.name in REQUIRED_COLUMNS:
            continue
        if name != f.default:
            notes.append(
                f"{file}: колонки «{name}» (поле {f.name} в [clients.columns]) в файле нет — "
                f"{_FIELD_TITLES[f.name]} не загружены. Найдены колонки: {found}; исправьте имя в [clients.columns]"
            )
            continue
        usual = next((h for h in header if h.strip().lower() in _USUAL_HEADERS.get(f.name, ())), None)
        if usual is not None:
            notes.append(
                f"{file}: есть колонка «{usual}», но {_FIELD_TITLES[f.name]} читаются из колонки «{name}», "
                f'которой нет, — {_FIELD_TITLES[f.name]} не загружены; добавьте {f.name} = "{usual}" в [clients.columns]'
            )
    return notes


def empty_columns(file: str, columns: ColumnMap, cols: dict[str, int], filled: set[str], rows: int) -> list[str]:
    """Damage notes for columns that are there but empty in every row: the required ones
    and ИНН. An optional column left empty (КПП, ОГРН, holding) is normal, also under a
    name of its own: `inboxbot init`'s template maps every column to a Russian header."""
    if rows == 0:
        return []
    return [
        f"{file}: колонка «{getattr(columns, f)}» пуста во всех строках ({rows}) — {_FIELD_TITLES[f]} не загружены; "
        "проверьте выгрузку или соответствие колонок в [clients.columns]"
        for f in cols
        if f not in filled
        and (f in REQUIRED_COLUMNS or f == "inn")
    ]


def misdecoded(file: str, used: str, asked: str | None, clients: Sequence[Client]) -> list[str]:
    """A damage note when the names read look like text in the wrong encoding: the file
    read in the wrong code page, or garbled text saved into it (Excel in a Russian locale
    reads a UTF-8 or KOI8-R CSV as windows-1251, and saves what it shows)."""
    page = used if used in CYRILLIC_CODEPAGES else "cp1251"
    real = misdecoded_as("\n".join(c.name for c in clients[:2000]), page)
    if real is None:
        return []
    example = next(((c, fixed) for c in clients if (fixed := _redecoded(c.name, page, real)) != c.name), None)
    if example is None:
        return []
    client, fixed = example
    where = f"{file}, строка {client.line}: «{client.name}» — похоже на текст в неверной кодировке («{fixed}»)"
    if used == page and asked:
        return [
            f'{where}: файл в кодировке {CODEPAGE_TITLES.get(real, real)}, а в [clients] указано encoding = "{asked}"; '
            "уберите encoding, и кодировка определится сама"
        ]
    if used == page:
        return [
            f"{where}: кодировка файла не определилась; сохраните выгрузку в UTF-8 "
            f'или укажите encoding = "{real}" в [clients]'
        ]
    return [
        f"{where}: выгрузку когда-то открыли не в той кодировке и сохранили заново; "
        "выгрузите базу из CRM или 1C заново (лучше в UTF-8)"
    ]


def _redecoded(text: str, page: str, real: str) -> str:
    """`text` as it reads when its bytes in `page` are decoded as `real` (for UTF-8: the
    first page whose bytes are valid UTF-8); the text itself when that fails."""
    for source in (page, *CYRILLIC_CODEPAGES) if real == "utf-8" else (page,):
        try:
            return text.encode(source).decode(real)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text
