"""TOML syntax errors in Russian, for the sales head who edits rules.toml by hand.

tomllib says what broke in English ("Invalid date or datetime (at line 12, column 8)").
`explain` turns every message tomllib's parser can raise (`suffixed_err` in
tomllib/_parser.py; a test reads that source and checks each one is known here) into a
Russian sentence with the line, the column when tomllib gives one, and how to fix it.
Some English messages hide the real mistake, so the text around the error is looked at
too: `from = 2025-13-40` is an impossible date to a person and "text after a value" to
the parser; a Windows path in double quotes is an "invalid hex value" (`C:\\users`).
"""

from __future__ import annotations

import ast
import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass

PREFIX = "ошибка в записи"
DATE_HINT = "дата пишется как 2025-06-16, месяц 01–12, день существует в этом месяце"
PATH_HINT = "в пути Windows удвойте \\\\ или возьмите строку в одинарные кавычки: 'C:\\Папка\\файл.csv'"
_MONTHS_IN = (
    "", "январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре", "октябре",
    "ноябре", "декабре",
)  # fmt: skip

_WHERE_RE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_KEY_PART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_KEY_LINE_RE = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=\s*(.*)$")
_HEADER_LINE_RE = re.compile(r"\s*\[")
_DATE_LIKE_RE = re.compile(r"(\d{1,4})[-./](\d{1,2})[-./](\d{1,4})\b")
_TIME_LIKE_RE = re.compile(r"\d{1,2}[:.]\d{2}(?::\d{2})?\b")
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True, slots=True)
class _Spot:
    """Where tomllib stopped: 1-based line (0 when unknown) and column (0: not given),
    the text of that line, and the whole document for looking around."""

    line: int
    column: int
    text: str
    document: str

    @property
    def value(self) -> str:
        """The value written on this line after `key =`, without a trailing comment."""
        match = _KEY_LINE_RE.match(self.text)
        raw = match.group(2) if match else self.text[max(self.column - 1, 0) :]
        return re.sub(r"\s+#.*$", "", raw).strip()

    @property
    def key(self) -> str:
        match = _KEY_LINE_RE.match(self.text)
        return match.group(1).strip() if match else ""

    @property
    def rest(self) -> str:
        """The line from the column tomllib pointed at."""
        return self.text[max(self.column - 1, 0) :] if self.column else ""


def explain(name: str, document: str, message: str) -> str:
    """One line for the user: file, line (and column), what is wrong and how to fix it.
    `message` is str(tomllib.TOMLDecodeError)."""
    where = _WHERE_RE.search(message)
    detail = _WHERE_RE.sub("", message).strip()
    lines = document.splitlines()
    if where and where.group(1):
        line, column = int(where.group(1)), int(where.group(2))
    else:  # "end of document": the last line that has anything on it
        line = next((i for i in range(len(lines), 0, -1) if lines[i - 1].strip()), 0)
        column = 0
    spot = _Spot(line, column, lines[line - 1] if 0 < line <= len(lines) else "", document)
    text = russian(detail, spot)
    return f"{name}, {_place(spot)}: {PREFIX}: {text}"


def too_deep(name: str, document: str) -> str:
    """tomllib recurses into nested lists and tables; thousands of «[» exhaust the stack.
    The line named is the one with the longest run of opening brackets."""
    runs = [(len(max(re.findall(r"[\[{]+", text) or [""], key=len)), n) for n, text in enumerate(document.splitlines(), 1)]
    deepest, line = max(runs, default=(0, 0), key=lambda r: (r[0], -r[1]))
    where = f", строка {line}" if deepest else ""
    return f"{name}{where}: {PREFIX}: слишком много вложенных скобок [ или {{ — проверьте, что каждая скобка закрыта"


def not_utf8(name: str, raw: bytes, start: int) -> str:
    line = raw[:start].count(b"\n") + 1
    return (
        f"{name}, строка {line}: файл должен быть в кодировке UTF-8 — сохраните его как UTF-8 "
        "(в Блокноте: «Сохранить как» → Кодировка: UTF-8)"
    )


def _place(spot: _Spot) -> str:
    if not spot.line:
        return "конец файла"
    return f"строка {spot.line}, столбец {spot.column}" if spot.column else f"строка {spot.line}"


def _table_name(key_repr: str) -> str:
    """«('clients', 'columns')» as tomllib prints a key → «clients.columns»."""
    try:
        parts = ast.literal_eval(key_repr)
    except (ValueError, SyntaxError):
        return key_repr
    return ".".join(str(p) for p in parts) if isinstance(parts, tuple) else str(parts)


def _first_line(spot: _Spot, pattern: str) -> int:
    """The first line (before the error) that matches `pattern`; 0 when none does."""
    regex = re.compile(pattern)
    for number, text in enumerate(spot.document.splitlines()[: max(spot.line - 1, 0)], start=1):
        if regex.match(text):
            return number
    return 0


def _quoted_key(name: str) -> str:
    return re.escape(name).replace(r"\.", r"\s*\.\s*")


def _twice(match: re.Match[str], spot: _Spot) -> str:
    name = _table_name(match.group(1))
    key = _quoted_key(name)
    if first := _first_line(spot, rf"\s*\[\[\s*{key}\s*\]\]"):
        return (
            f"[{name}] — такие записи пишутся в двойных скобках: [[{name}]] (как в строке {first}); "
            "с одинарными скобками раздел бывает только один"
        )
    if first := _first_line(spot, rf"\s*\[\s*{key}\s*\]"):
        return f"раздел [{name}] уже есть в строке {first}: перенесите параметры туда и удалите второй заголовок"
    if first := _first_line(spot, rf"\s*{_quoted_key(name.split('.')[-1])}\s*=\s*\{{"):
        return (
            f"«{name}» уже задан одной строкой в фигурных скобках (строка {first}): допишите значения туда "
            f"или удалите ту строку и оставьте раздел [{name}]"
        )
    return f"раздел [{name}] уже задан выше: перенесите параметры в первый и удалите второй заголовок"


def _overwrite(match: re.Match[str], spot: _Spot) -> str:
    # A duplicate key, or a table header named like a key above it: find the line that
    # the parser stopped on (the end of a multi-line value is past the key).
    lines = spot.document.splitlines()
    for number in range(min(spot.line, len(lines)), 0, -1):
        text = lines[number - 1]
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]", text)
        key = _KEY_LINE_RE.match(text)
        if header:
            name = header.group(1)
            first = _first_line(_Spot(number, 0, text, spot.document), rf"\s*{_quoted_key(name.split('.')[0])}\s*=")
            where = f" (строка {first})" if first else ""
            return f"раздел [{name}] называется так же, как параметр выше{where}: переименуйте или удалите одно из них"
        if key:
            name = key.group(1).strip()
            first = _first_key_line(lines, number, name)
            where = f" (первый раз — в строке {first})" if first else ""
            return f"параметр «{name.strip(chr(34))}» указан дважды{where}: оставьте одно значение"
    return "параметр или раздел указан дважды: оставьте одно значение"


def _first_key_line(lines: list[str], line: int, key: str) -> int:
    """The earlier line of the same table where `key` is set (0 if none is found)."""
    pattern = re.compile(rf"\s*{_quoted_key(key)}\s*=")
    for number in range(line - 1, 0, -1):
        text = lines[number - 1]
        if _HEADER_LINE_RE.match(text) and not _KEY_LINE_RE.match(text):
            return 0
        if pattern.match(text):
            return number
    return 0


def _frozen(match: re.Match[str], spot: _Spot) -> str:
    name = _table_name(match.group(1))
    first = _first_line(spot, rf"\s*{_quoted_key(name.split('.')[-1])}\s*=\s*[{{\[]")
    where = f" (строка {first})" if first else ""
    return (
        f"«{name}» уже задан одной строкой в фигурных или квадратных скобках{where}: допишите значения "
        f"туда или замените ту строку разделом [{name}]"
    )


def _redefine(match: re.Match[str], spot: _Spot) -> str:
    name = _table_name(match.group(1))
    return f"параметр с точкой заново задаёт раздел [{name}], описанный выше: пишите его параметры внутри этого раздела"


def _statement(match: re.Match[str], spot: _Spot) -> str:
    text = spot.text.strip()
    if re.match(r"[А-Яа-яЁё]", text):
        return (
            "название параметра русскими буквами берите в кавычки: \"Москва\" = \"smirnova\"; "
            "параметры бота называются латиницей"
        )
    if text.startswith("="):
        return "перед «=» не указано название параметра"
    if text[:1] in "«“„":
        return "кавычки — прямые: \" или ', а не «ёлочки» и не “лапки”"
    return "непонятная строка: ожидается «параметр = значение», [раздел] или [[запись]]; комментарий начинайте с #"


def _after_value(match: re.Match[str], spot: _Spot) -> str:
    value = spot.value
    if _HEADER_LINE_RE.match(spot.text) and not _KEY_LINE_RE.match(spot.text):
        return "после названия раздела в строке лишний текст (комментарий начинайте с #)"
    if _DATE_LIKE_RE.match(value):
        return f"«{value}» — не дата: {DATE_HINT}"
    if _TIME_LIKE_RE.match(value):
        key = spot.key or "at"
        return f"время пишется в кавычках: {key} = \"{value}\""
    return (
        "после значения в строке лишний текст: комментарий начинайте с #, текст с пробелами берите "
        "в кавычки, несколько значений пишите списком [\"a\", \"b\"]"
    )


def _bad_date(match: re.Match[str], spot: _Spot) -> str:
    value = spot.rest.split()[0] if spot.rest.split() else spot.value
    found = _ISO_DATE_RE.match(value)
    if found:
        year, month, day = (int(x) for x in found.groups())
        if 1 <= month <= 12 and day > calendar.monthrange(year, month)[1]:
            days = calendar.monthrange(year, month)[1]
            return f"даты {value[:10]} нет: в {_MONTHS_IN[month]} {year} года {days} дней; {DATE_HINT}"
    return f"«{value}» — не дата или время: {DATE_HINT}, время — 09:00:00"


def _bad_value(match: re.Match[str], spot: _Spot) -> str:
    rest = re.sub(r"\s+#.*$", "", spot.rest).strip() if spot.column else ""
    if not rest or rest.startswith("#"):
        return "не указано значение после «=»"
    if rest[:1] in "«“„”»":
        return "кавычки — прямые: \" или ', а не «ёлочки» и не “лапки”"
    word = rest.split()[0].lower().rstrip(",")
    if word in ("true", "false", "да", "нет", "yes", "no", "истина", "ложь", "вкл", "выкл"):
        return "да/нет пишется как true или false (строчными латинскими буквами)"
    if re.match(r"[A-Za-zА-Яа-яЁё]", rest):
        key = spot.key or "параметр"
        return f"текст берите в кавычки: {key} = \"{rest}\""
    return "непонятное значение: текст берите в кавычки, списки — в [ ], да/нет — true или false"


def _unclosed_quote(quote: str) -> Callable[[re.Match[str], _Spot], str]:
    def explain(match: re.Match[str], spot: _Spot) -> str:
        if len(quote) == 3:
            # The parser reads to the end of the file: say where the string was opened.
            opened = [n for n, text in enumerate(spot.document.splitlines(), start=1) if quote in text]
            where = f" (открыта в строке {opened[-1]})" if opened else ""
            return f"не закрыта строка в тройных кавычках {quote}{where}: закройте её так же, {quote}"
        return f"не закрыта кавычка {quote}: строка закрывается той же кавычкой в той же строке"

    return explain


def _invalid_char(match: re.Match[str], spot: _Spot) -> str:
    char = ast.literal_eval(match.group(1)) if match.group(1)[:1] in "'\"" else match.group(1)
    if char == "\n":
        return "кавычка не закрыта до конца строки"
    if char == "\t":
        return "табуляция внутри строки: замените её пробелом"
    code = f"U+{ord(char):04X}" if isinstance(char, str) and len(char) == 1 else str(char)
    return f"недопустимый служебный символ {code}: удалите его (он попадает при копировании из Word или PDF)"


_FIXED: dict[str, str] = {
    "Expected ']' at the end of a table declaration": (
        "раздел пишется в квадратных скобках одним словом латиницей и закрывается «]» в той же строке, "
        "например [department]"
    ),
    "Expected ']]' at the end of an array declaration": (
        "запись пишется в двойных квадратных скобках одним словом латиницей и закрывается «]]» в той же "
        "строке, например [[manager]]"
    ),
    "Expected '=' after a key in a key/value pair": (
        "после названия параметра нужен знак «=», например head = \"volkov\"; "
        "название из нескольких слов берите в кавычки"
    ),
    "Invalid initial character for a key part": (
        "недопустимое название: русские буквы, пробелы и знаки берите в кавычки, например \"ЦФО\" = \"ivanova\"; "
        "разделы и параметры бота называются латиницей"
    ),
    "Unclosed array": "не закрыта скобка списка «]» или между элементами нет запятой: [\"a\", \"b\"]",
    "Unclosed inline table": (
        "не закрыта фигурная скобка «}» или между парами нет запятой: { \"77\" = \"smirnova\", "
        "\"52\" = \"ivanova\" } — всё в одной строке"
    ),
    "Unescaped '\\' in a string": f"обратная косая черта «\\» в строке: {PATH_HINT}",
    "Invalid hex value": f"после «\\u» или «\\U» в строке ждут код символа; {PATH_HINT}",
    "Escaped character is not a Unicode scalar value": f"«\\u…» задаёт несуществующий символ; {PATH_HINT}",
}
# Message patterns (tomllib's text) → what to say; the first that matches wins.
_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], _Spot], str]], ...] = (
    (re.compile(r"Invalid statement$"), _statement),
    (re.compile(r"Expected newline or end of document after a statement$"), _after_value),
    (re.compile(r"Expected \"'''\"$"), _unclosed_quote("'''")),
    (re.compile(r"Expected \"'\"$"), _unclosed_quote("'")),
    (re.compile(r"Expected (\"[^\"]+\"|'[^']+')$"),
     lambda m, s: f"не хватает {ast.literal_eval(m.group(1))!s} — закройте то, что открыто выше"),
    (re.compile(r"Found invalid character (.+)$"), _invalid_char),
    (re.compile(r"Illegal character (.+)$"), _invalid_char),
    (re.compile(r"Cannot declare (.+) twice$"), _twice),
    (re.compile(r"Cannot overwrite a value$"), _overwrite),
    (re.compile(r"Cannot mutate immutable namespace (.+)$"), _frozen),
    (re.compile(r"Cannot redefine namespace (.+)$"), _redefine),
    (re.compile(r"Duplicate inline table key '?(.+?)'?$"),
     lambda m, s: f"в фигурных скобках «{m.group(1)}» указан дважды: оставьте одно значение"),
    (re.compile(r"Unterminated string$"),
     lambda m, s: _unclosed_quote('"""' if '"""' in s.document else '"')(m, s)),
    (re.compile(r"Invalid date or datetime$"), _bad_date),
    (re.compile(r"Invalid value$"), _bad_value),
)


def russian(detail: str, spot: _Spot) -> str:
    """The Russian text for tomllib's message `detail` (its position already cut off)."""
    if _SHORT_TIME_RE.search(spot.text):
        # TOML 1.0 wants seconds: «2025-06-16T14:00» stops the parser right after «14:00».
        return _SHORT_TIME
    if detail in _FIXED:
        return _FIXED[detail]
    for pattern, handler in _PATTERNS:
        match = pattern.match(detail)
        if match:
            return handler(match, spot)
    return UNKNOWN


_SHORT_TIME_RE = re.compile(r"=\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?![:\d])")
_SHORT_TIME = (
    "дата со временем пишется с секундами: 2025-06-16T14:00:00 — или в кавычках: \"16.06.2025 14:00\""
)

# A message this module does not know (a newer Python's parser): still Russian, still the line.
UNKNOWN = "файл не читается как TOML; сравните эту строку с примером в rules.toml"


def known(detail: str) -> bool:
    """Whether tomllib's message `detail` has its own Russian text (for the test that reads
    tomllib's source)."""
    return russian(detail, _Spot(1, 1, "x = 1", "x = 1")) != UNKNOWN
