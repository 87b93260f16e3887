"""rules.toml → typed, validated Rules. All validation and line numbers live here.

The file is edited by a sales head, not a programmer, so every problem is reported in
Russian with the file, the line, the section or rule it belongs to, what is wrong and what
would be valid — and all problems at once, not one per run. tomllib gives no positions,
so `_Positions` indexes the raw text: the line of every table header and every key.

Conditions are names in a table (`CONDITIONS`): each lists the options it takes, so an
unknown option ("backpu") is caught here with a suggestion, and route.py maps the same
names to the functions that implement them.
"""

from __future__ import annotations

import codecs
import difflib
import hashlib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from inboxbot.directory.client import ColumnMap
from inboxbot.directory.clients import ClientBase
from inboxbot.directory.holdings import Group, load_groups
from inboxbot.directory.vip import VipEntry, load_vip
from inboxbot.errors import RulesError
from inboxbot.model.decision import ACTIONS
from inboxbot.model.domains import FREE_MAIL_DOMAINS, normalize_domain
from inboxbot.model.worktime import WorkingHours, parse_clock, parse_duration
from inboxbot.rules import tomlerrors

OWN_LOOP_HEADER = "X-Inboxbot"

# Federal districts: code → name. Keys in [territory].districts may use either.
DISTRICTS: dict[str, str] = {
    "ЦФО": "Центральный федеральный округ",
    "СЗФО": "Северо-Западный федеральный округ",
    "ПФО": "Приволжский федеральный округ",
    "УФО": "Уральский федеральный округ",
    "СФО": "Сибирский федеральный округ",
    "ДФО": "Дальневосточный федеральный округ",
    "ЮФО": "Южный федеральный округ",
    "СКФО": "Северо-Кавказский федеральный округ",
}

POOL_METHODS = ("round_robin", "weighted", "least_loaded")
# Bounds that keep arithmetic sane (a window of 10**30 days overflows a timedelta).
MAX_WEIGHT = 100
MAX_WINDOW_DAYS = 3660
DEFAULT_HOURS = WorkingHours(time(9), time(18), (0, 1, 2, 3, 4), ZoneInfo("Europe/Moscow"))
AMBIGUITY_CHOICES = ("triage", "next", "head")
WEEKDAYS: dict[str, int] = {
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip

# Legal forms of state and municipal bodies (public_sector's default `forms`).
PUBLIC_FORMS = (
    "ГБУ", "ГАУ", "ГКУ", "ФГБУ", "ФГАУ", "ФКУ", "ГБУЗ", "ГАУЗ", "ГКУЗ", "ГБОУ", "ГАОУ", "ГКОУ",
    "ГБПОУ", "ГАПОУ", "ГБДОУ", "ГБУК", "ГАУК", "ГБУСО", "ГАУСО", "ГКУСО", "ФГБОУ", "ФГАОУ", "ФГКУ",
    "ФГБНУ", "ФГУ", "МБУ", "МАУ", "МКУ", "МБОУ", "МАОУ", "МКОУ", "МАДОУ", "МБДОУ", "МКДОУ", "МДОУ",
    "МОУ", "МБУЗ", "МБУК", "МАУК", "МБУДО", "МАУДО", "ФГУП", "ГУП", "МУП", "ОГБУ", "ОГАУ", "ОГКУ",
    "КГБУ", "КГАУ", "КГКУ", "ГОБУ", "ГОАУ",
)  # fmt: skip
PUBLIC_NAME_WORDS = (
    "Министерство", "Администрация", "Правительство", "Департамент", "Комитет по", "Управление Федеральной",
    "Федеральная служба", "Федеральное агентство", "Государственное бюджетное", "Государственное автономное",
    "Государственное казённое", "Государственное казенное", "Муниципальное бюджетное", "Муниципальное автономное",
    "Муниципальное казённое", "Муниципальное казенное", "Федеральное государственное",
    "Государственное унитарное", "Муниципальное унитарное",
)  # fmt: skip


# --- option schema of the conditions ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Option:
    """One option a condition takes. kind: bool | str | manager | str_list | number | choice."""

    kind: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    what: str = ""


COMMON_RULE_KEYS = ("id", "when", "action", "enabled", "note", "acknowledge")

CONDITIONS: dict[str, dict[str, Option]] = {
    "not_a_request": {},
    "thread": {
        "subject_fallback": Option("bool", True, what="ответ (Re:) с той же темой от того же адреса"),
        "manager_replies": Option("bool", True, what="ответ на письмо нашего менеджера"),
        "ignore_addresses": Option("str_list", (), what="наши адреса, ответ на письма которых — не переписка"),
    },
    "addressed": {
        "headers": Option("bool", True, what="личный адрес менеджера в To/Cc"),
        "greeting": Option("bool", True, what="обращение по имени в новом тексте"),
    },
    "vip": {"owner": Option("manager", None, what="кому отдавать VIP (по умолчанию — владелец из vip.csv)")},
    "public_sector": {
        "owner": Option("manager", None, required=True),
        "laws": Option("str_list", ("44-ФЗ",)),
        "forms": Option("str_list", PUBLIC_FORMS),
        "name_words": Option("str_list", PUBLIC_NAME_WORDS),
        "existing_clients": Option("bool", True, what="госучреждение из базы клиентов — тоже сюда"),
    },
    "client_inn": {},
    "client_domain": {},
    "client_name": {
        "on_ambiguous": Option("choice", "next", choices=AMBIGUITY_CHOICES),
    },
    "group": {"text_mentions": Option("bool", True, what="«входим в ГК …» в тексте письма")},
    "segment": {
        "owner": Option("manager", None, required=True),
        "keywords": Option("str_list", ()),
        "okved": Option("str_list", ()),
    },
    "territory": {},
    "pool": {},
    "fallback": {"owner": Option("manager", None)},
}
DEFAULT_ACTIONS: dict[str, str] = {"not_a_request": "skip"}


# --- the typed rules -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Manager:
    id: str
    name: str
    email: str
    forms: tuple[str, ...]
    in_pool: bool = False
    weight: float = 1.0
    daily_cap: int | None = None
    monthly_cap: int | None = None
    duty: tuple[int, ...] = ()  # weekdays 0=Monday; empty = every day
    line: int = 0
    phone: str = ""  # shown to the client in the acknowledgement

    @property
    def surname(self) -> str:
        return self.name.split()[0] if self.name.split() else self.id


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    timezone: ZoneInfo
    internal_domains: tuple[str, ...]
    shared_addresses: tuple[str, ...]
    bot_address: str
    loop_headers: tuple[str, ...]
    head: str
    free_mail_domains: tuple[str, ...]
    backup_chain: bool = True  # a backup also away → their backup (True) or the head (False)
    hours: WorkingHours = DEFAULT_HOURS


@dataclass(frozen=True, slots=True)
class Territory:
    districts: Mapping[str, str]  # district code → manager
    regions: Mapping[str, str]  # two-digit region code → manager (overrides districts)
    cities: Mapping[str, str]  # city name → manager (overrides regions)
    foreign: str | None


@dataclass(frozen=True, slots=True)
class Absence:
    manager: str
    start: date
    end: date  # inclusive
    backup: str
    reason: str = "отсутствует"
    line: int = 0

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    members: tuple[str, ...]
    method: str = "round_robin"
    window_days: int = 30


@dataclass(frozen=True, slots=True)
class RuleSpec:
    id: str
    when: str
    action: str
    options: Mapping[str, Any]
    line: int = 0
    enabled: bool = True
    acknowledge: bool | None = None  # None: as [acknowledge] enabled says

    @property
    def owner(self) -> str | None:
        value = self.options.get("owner")
        return str(value) if value else None


ESCALATIONS = ("head", "reassign")
REPORT_PERIODS = ("day", "week", "off")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What happens to a forwarded request nobody answers: a reminder to its manager
    after `remind_after` of working time, then (after `escalate_after`) a mail to the
    head, or the request handed to `reassign_to` ("pool" or a manager id)."""

    remind_after: timedelta
    escalate_after: timedelta | None
    escalate: str  # one of ESCALATIONS
    reassign_to: str = "pool"


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """The client's confirmation that the request reached a manager. `enabled` is the
    default for rules that do not say `acknowledge = …` themselves."""

    enabled: bool
    sender: str  # the From address: the shared address clients wrote to


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    """When the distribution report goes out, and to whom (manager ids)."""

    every: str  # "day" | "week"
    at: time
    weekday: int  # for "week": 0 = Monday
    to: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    path: Path
    department: Department
    managers: Mapping[str, Manager]
    rules: tuple[RuleSpec, ...]
    territory: Territory
    absences: tuple[Absence, ...]
    pool: Pool | None
    clients: ClientBase
    groups: tuple[Group, ...]
    vip: tuple[VipEntry, ...]
    templates_dir: Path | None
    fingerprint: str
    warnings: tuple[str, ...] = ()
    source_files: tuple[Path, ...] = ()
    # manager id → (normalised token sets of each form, the form as written)
    name_forms: Mapping[str, tuple[tuple[tuple[frozenset[str], ...], str], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    followup: FollowUp | None = None
    acknowledge: Acknowledge | None = None
    report: ReportSchedule | None = None

    def acknowledges(self, rule_id: str) -> bool:
        """Whether a request forwarded by rule `rule_id` gets an acknowledgement."""
        if self.acknowledge is None:
            return False
        spec = next((s for s in self.rules if s.id == rule_id), None)
        if spec is not None and spec.acknowledge is not None:
            return spec.acknowledge
        return self.acknowledge.enabled

    def absence_on(self, manager: str, day: date) -> Absence | None:
        for absence in self.absences:
            if absence.manager == manager and absence.covers(day):
                return absence
        return None

    def manager_name(self, manager_id: str | None) -> str:
        """The surname used in reasons ("→ Иванова"); the id when unknown."""
        if manager_id is None:
            return "—"
        manager = self.managers.get(manager_id)
        return manager.surname if manager else manager_id


# --- public entry points -----------------------------------------------------------------


def load_rules(path: Path) -> Rules:
    """Load and validate; raises RulesError listing every problem, one per line."""
    rules, errors, _ = _load(Path(path))
    if errors or rules is None:
        raise RulesError("\n".join(errors))
    return rules


def check(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) for `inboxbot check`; warnings include client-base problems."""
    _, errors, warnings = _load(Path(path))
    return errors, warnings


def examine(path: Path) -> tuple[Rules | None, list[str], list[str]]:
    """(rules or None, errors, warnings) from one load: `inboxbot check` goes on to the
    templates with the rules it got, without loading the files a second time."""
    return _load(Path(path))


@dataclass(frozen=True, slots=True)
class Names:
    """Manager names and rule conditions as rules.toml writes them, not validated."""

    managers: Mapping[str, str]  # manager id → full name
    conditions: Mapping[str, str]  # rule id → condition (when)


def read_names(path: Path) -> Names:
    """For `inboxbot status`, which names managers and rules but decides nothing: the
    names without loading the client base (whose name keys need the morphology
    dictionaries). Empty when the file does not read; `check` says why."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return Names({}, {})

    def entries(key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []

    def pairs(key: str, first: str, second: str) -> dict[str, str]:
        return {e[first]: e[second] for e in entries(key) if isinstance(e.get(first), str) and isinstance(e.get(second), str)}

    managers, conditions = pairs("manager", "id", "name"), pairs("rule", "id", "when")
    return Names(MappingProxyType(managers), MappingProxyType(conditions))


# --- positions in the raw text -----------------------------------------------------------


_KEY_PART = r'(?:"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+)'
_KEY_RE = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")
_HEADER_RE = re.compile(rf"\s*(\[\[?)\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*\]\]?")
_INLINE_KEY_RE = re.compile(rf"[{{,]\s*({_KEY_PART})\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(_KEY_PART, text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class _Positions:
    """Line numbers of table headers and keys: ("rule", 2, "owner") → 31 for the `owner`
    key of the third [[rule]]. Strings, comments and multi-line arrays are skipped, so a
    `=` inside them is not taken for a key; keys of one-line inline tables are indexed too."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.at: dict[tuple[object, ...], int] = {}
        counters: dict[tuple[str, ...], int] = {}
        current: tuple[object, ...] = ()
        depth = 0
        ml: str | None = None  # open multi-line string delimiter
        for number, line in enumerate(self.lines, start=1):
            if ml is None and depth == 0:
                header = _HEADER_RE.match(line)
                key = _KEY_RE.match(line)
                if header and not key:
                    name = _split_key(header.group(2))
                    if header.group(1) == "[[":
                        index = counters.get(name, 0)
                        counters[name] = index + 1
                        current = (*name, index)
                    else:
                        current = name
                    self.at.setdefault(current, number)
                elif key:
                    path = (*current, *_split_key(key.group(1)))
                    self.at.setdefault(path, number)
                    rest = line[key.end() :]
                    if rest.lstrip().startswith("{"):
                        for inner in _INLINE_KEY_RE.finditer(rest):
                            self.at.setdefault((*path, *_split_key(inner.group(1))), number)
            depth, ml = _scan(line, depth, ml)

    def line(self, *path: object) -> int:
        """Line of the key or table; the nearest enclosing one when the key is absent."""
        while path:
            if path in self.at:
                return self.at[path]
            path = path[:-1]
        return 0

    def value_line(self, path: tuple[object, ...], value: str) -> int:
        """Line where a string value of a (possibly multi-line) array under `path` stands."""
        start = self.line(*path)
        if start <= 0:
            return start
        later = sorted(n for n in self.at.values() if n > start)
        stop = later[0] if later else len(self.lines) + 1
        for number in range(start, stop):
            text = self.lines[number - 1]
            if f'"{value}"' in text or f"'{value}'" in text:
                return number
        return start


def _scan(line: str, depth: int, ml: str | None) -> tuple[int, str | None]:
    """Bracket depth and open multi-line string after `line`."""
    i = 0
    n = len(line)
    while i < n:
        if ml is not None:
            end = line.find(ml, i)
            if end < 0:
                return depth, ml
            i = end + 3
            ml = None
            continue
        ch = line[i]
        if ch == "#":
            break
        if line.startswith('"""', i) or line.startswith("'''", i):
            ml = line[i : i + 3]
            i += 3
            continue
        if ch == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if ch == "'":
            end = line.find("'", i + 1)
            i = n if end < 0 else end + 1
            continue
        if ch in "[{":
            # a table header at depth 0 opens and closes on the same line
            depth += 1
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, ml


# --- manager name forms -----------------------------------------------------------------

# First name → common diminutives (forms people use when they write to a manager).
DIMINUTIVES: dict[str, tuple[str, ...]] = {
    "александр": ("Саша", "Шура"), "александра": ("Саша",), "алексей": ("Лёша", "Алёша"),
    "анастасия": ("Настя",), "анатолий": ("Толя",), "андрей": ("Андрюша",), "анна": ("Аня",),
    "антон": ("Антоша",), "борис": ("Боря",), "валентина": ("Валя",), "валерий": ("Валера",),
    "василий": ("Вася",), "виктор": ("Витя",), "виктория": ("Вика",), "владимир": ("Володя", "Вова"),
    "владислав": ("Влад",), "галина": ("Галя",), "георгий": ("Жора",), "григорий": ("Гриша",),
    "дарья": ("Даша",), "денис": ("Дэн",), "дмитрий": ("Дима", "Митя"), "евгений": ("Женя",),
    "евгения": ("Женя",), "екатерина": ("Катя",), "елена": ("Лена",), "елизавета": ("Лиза",),
    "иван": ("Ваня",), "игорь": ("Игорёк",), "ирина": ("Ира",), "константин": ("Костя",),
    "ксения": ("Ксюша",), "людмила": ("Люда",), "максим": ("Макс",), "мария": ("Маша",),
    "михаил": ("Миша",), "надежда": ("Надя",), "наталья": ("Наташа",), "наталия": ("Наташа",),
    "николай": ("Коля",), "ольга": ("Оля",), "павел": ("Паша",), "пётр": ("Петя",), "петр": ("Петя",),
    "роман": ("Рома",), "сергей": ("Серёжа",), "светлана": ("Света",), "станислав": ("Стас",),
    "татьяна": ("Таня",), "юлия": ("Юля",), "юрий": ("Юра",), "ярослав": ("Слава",),
}  # fmt: skip

_LATIN = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip


def _latin_variants(word: str) -> set[str]:
    """«Дмитрий» → dmitriy, dmitry, dmitrii; «Алексей» → aleksey, alexey, aleksei…"""
    low = word.lower()
    base = low.translate(_LATIN)
    out = {base}
    if low.endswith("ий"):
        stem = low[:-2].translate(_LATIN)
        out |= {stem + "iy", stem + "y", stem + "ii", stem + "i"}
    if low.endswith("ей"):
        stem = low[:-2].translate(_LATIN)
        out |= {stem + "ey", stem + "ei"}
    if low.endswith("ья"):
        stem = low[:-2].translate(_LATIN)
        out |= {stem + "ia", stem + "ya"}
    out |= {v.replace("ks", "x") for v in out}
    out |= {v.replace("kh", "h") for v in out}
    return {v.capitalize() for v in out}


def derive_forms(full_name: str) -> tuple[str, ...]:
    """The usual ways to address a person named «Фамилия Имя Отчество»: first name,
    first name + patronymic, first name + surname, surname + first name, surname,
    diminutives, and Latin spellings (Dmitry Petrov, Mr. Petrov)."""
    parts = full_name.split()
    if len(parts) < 2:
        return tuple(parts)
    surname, first = parts[0], parts[1]
    patronymic = parts[2] if len(parts) > 2 else ""
    forms = [first, surname, f"{first} {surname}", f"{surname} {first}"]
    if patronymic:
        forms += [f"{first} {patronymic}", f"{surname} {first} {patronymic}", f"{first} {patronymic} {surname}"]
    forms += DIMINUTIVES.get(first.lower().replace("ё", "е"), DIMINUTIVES.get(first.lower(), ()))
    female = surname.lower().endswith(("а", "я"))
    for latin_first in sorted(_latin_variants(first)):
        for latin_surname in sorted(_latin_variants(surname)):
            forms.append(f"{latin_first} {latin_surname}")
    for latin_surname in sorted(_latin_variants(surname)):
        titles = ("Ms.", "Mrs.", "Ms", "Mrs") if female else ("Mr.", "Mr")
        forms += [f"{t} {latin_surname}" for t in titles]
    return tuple(dict.fromkeys(forms))


_NAME_TOKEN = re.compile(r"[A-Za-zА-Яа-яЁё]+")


def fold(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=4096)
def inflections(word: str) -> frozenset[str]:
    """All case forms of a person's name part («Дмитрий» → дмитрия, дмитрию…), folded.
    Only name-like parses (Name, Surn, Patr) are inflected, in the gender written."""
    folded = fold(word)
    out = {folded}
    if not re.search(r"[а-яё]", word.lower()):
        return frozenset(out)
    from inboxbot.directory.names import morph as _morph

    morph: Any = _morph()
    for parse in morph.parse(word.lower()):
        grammemes = parse.tag.grammemes
        if not ({"Name", "Surn", "Patr"} & grammemes) or "nomn" not in grammemes:
            continue
        gender = parse.tag.gender
        for form in parse.lexeme:
            if form.tag.gender in (gender, None) and "sing" in form.tag.grammemes:
                out.add(fold(form.word))
    return frozenset(out)


def form_tokens(form: str) -> tuple[frozenset[str], ...]:
    return tuple(inflections(token) for token in _NAME_TOKEN.findall(form) if fold(token) not in ("mr", "ms", "mrs"))


def name_tokens(text: str) -> tuple[str, ...]:
    """Folded word tokens of a text, for matching against `form_tokens`."""
    return tuple(fold(t) for t in _NAME_TOKEN.findall(text))


def title_of(form: str) -> str | None:
    first = _NAME_TOKEN.findall(form)[:1]
    return fold(first[0]) if first and fold(first[0]) in ("mr", "ms", "mrs") else None


# --- the loader --------------------------------------------------------------------------


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


class _Problems:
    def __init__(self, name: str, pos: _Positions) -> None:
        self.name = name
        self.pos = pos
        self.errors: list[tuple[int, str]] = []
        self.warnings: list[tuple[int, str]] = []

    def _fmt(self, line: int, where: str, text: str) -> str:
        head = f"{self.name}, строка {line}" if line else self.name
        out = f"{head}, {where}: {text}" if where else f"{head}: {text}"
        # One problem, one line: a value quoted back may hold line breaks or control characters.
        return _CONTROL_RE.sub(" ", out)

    def error(self, line: int, where: str, text: str) -> None:
        self.errors.append((line, self._fmt(line, where, text)))

    def warn(self, line: int, where: str, text: str) -> None:
        self.warnings.append((line, self._fmt(line, where, text)))


def _valid_list(values: Iterable[str]) -> str:
    return ", ".join(values)


def _suggest(word: str, valid: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(valid), n=1, cutoff=0.6)
    return f" (возможно, «{close[0]}»)" if close else ""


def _toml(value: Any) -> str:
    """A value written back the way TOML spells it, cut to a readable length."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = '"' + value.replace("\n", " ") + '"'
    elif isinstance(value, list):
        text = "[" + ", ".join(_toml(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _shown(value: Any) -> str:
    """What was written instead, named for a person: «указан список [1, 2]»."""
    if isinstance(value, bool):
        return f"указано {_toml(value)}"
    if isinstance(value, (int, float)):
        return f"указано число {_toml(value)}"
    if isinstance(value, str):
        return f"указан текст {_toml(value)}"
    if isinstance(value, list):
        return f"указан список {_toml(value)}"
    if isinstance(value, dict):
        return f"указана таблица {_toml(value)}"
    if isinstance(value, datetime):
        return f"указаны дата и время {_toml(value)}"
    if isinstance(value, date):
        return f"указана дата {_toml(value)}"
    if isinstance(value, time):
        return f"указано время {_toml(value)}"
    return f"указано {_toml(value)}"


@dataclass
class _Ctx:
    path: Path
    data: dict[str, Any]
    pos: _Positions
    p: _Problems
    manager_ids: list[str] = field(default_factory=list)

    def unknown_keys(self, table: Mapping[str, Any], valid: Sequence[str], path: tuple[object, ...], where: str) -> None:
        for key in table:
            if key not in valid:
                self.p.error(
                    self.pos.line(*path, key),
                    where,
                    f"неизвестный параметр «{key}»{_suggest(key, valid)}. Допустимые: {_valid_list(valid)}",
                )

    def manager_ref(self, value: Any, path: tuple[object, ...], where: str, what: str = "менеджер") -> bool:
        """True when `value` names a described manager; otherwise reports it."""
        if isinstance(value, str) and value in self.manager_ids:
            return True
        line = self.pos.line(*path)
        if not isinstance(value, str) or not value:
            self.p.error(
                line, where,
                f"{what}: нужен id менеджера в кавычках, {_shown(value)}. Допустимые: {_valid_list(self.manager_ids)}",
            )  # fmt: skip
        else:
            self.p.error(
                line,
                where,
                f"неизвестный менеджер «{value}»{_suggest(value, self.manager_ids)}. "
                f"Допустимые: {_valid_list(self.manager_ids)}",
            )
        return False

    def str_list(self, table: Mapping[str, Any], key: str, path: tuple[object, ...], where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.p.error(
                self.pos.line(*path, key), where,
                f"«{key}» — нужен список строк в кавычках, например {key} = [\"a\", \"b\"]; {_shown(value)}",
            )  # fmt: skip
            return ()
        return tuple(value)

    def text(
        self, table: Mapping[str, Any], key: str, path: tuple[object, ...], where: str, example: str, default: str | None = None
    ) -> str | None:
        """The string value of `key`; `default` when it is absent or not a string (then reported)."""
        if key not in table:
            return default
        value = table[key]
        if not isinstance(value, str):
            self.p.error(
                self.pos.line(*path, key), where,
                f"«{key}» — текст в кавычках, например {key} = \"{example}\"; {_shown(value)}",
            )  # fmt: skip
            return default
        return value

    def choice(
        self, table: Mapping[str, Any], key: str, valid: Sequence[str], path: tuple[object, ...], where: str,
        default: str, unknown: str = "неизвестное значение", explain: str = "",
    ) -> str | None:
        """One of `valid` (`default` when absent); None, reported, when it is anything else."""
        value = table.get(key, default)
        line = self.pos.line(*path, key)
        if not isinstance(value, str):
            self.p.error(
                line, where,
                f"«{key}» — одно значение в кавычках, например {key} = \"{valid[0]}\"; {_shown(value)}. "
                f"Допустимые: {_valid_list(valid)}{explain}",
            )  # fmt: skip
            return None
        if value not in valid:
            self.p.error(
                line, where,
                f"{unknown} «{value}»{_suggest(value, valid)}. Допустимые: {_valid_list(valid)}{explain}",
            )  # fmt: skip
            return None
        return value

    def file(self, value: Any, path: tuple[object, ...], where: str) -> Path | None:
        line = self.pos.line(*path)
        if value is not None and not isinstance(value, str):
            self.p.error(line, where, f"file — путь к файлу в кавычках, например file = \"clients.csv\"; {_shown(value)}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.p.error(line, where, "не указан файл (file = \"путь/к/файлу.csv\")")
            return None
        try:
            resolved = (self.path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
            found = resolved.is_file()
        except (OSError, ValueError):  # a NUL or an over-long name: no such file either way
            found = False
        if not found:
            self.p.error(line, where, f"файл «{value}» не найден (путь считается от папки, где лежит {self.path.name})")
            return None
        return resolved


_TOP_LEVEL = (
    "department", "clients", "groups", "group", "vip", "manager", "territory", "absence", "pool", "rule",
    "acknowledge", "followup", "report",
)  # fmt: skip
_DEPARTMENT_KEYS = (
    "name", "timezone", "internal_domains", "shared_addresses", "bot_address", "loop_headers", "head",
    "free_mail_domains", "templates", "backup_chain", "working_hours", "working_days",
)  # fmt: skip
_MANAGER_KEYS = ("id", "name", "email", "forms", "in_pool", "weight", "daily_cap", "monthly_cap", "duty", "phone")
_ACKNOWLEDGE_KEYS = ("enabled", "from")
_FOLLOWUP_KEYS = ("remind_after", "escalate_after", "escalate", "reassign_to")
_REPORT_KEYS = ("every", "at", "weekday", "to")
_ABSENCE_KEYS = ("manager", "from", "to", "backup", "reason")
_POOL_KEYS = ("name", "members", "method", "window_days")
_TERRITORY_KEYS = ("districts", "regions", "cities", "foreign")
_CLIENTS_KEYS = ("file", "encoding", "delimiter", "sheet", "columns")
_GROUP_KEYS = ("name", "policy", "owner", "aliases", "domains")
_ID_RE = re.compile(r"[a-z][a-z0-9_\-]*")
_PHONE_RE = re.compile(r"[+\d][\d\s()\-.,]{4,40}(?:\s*(?:доб\.?|ext\.?|x)\s*\d{1,6})?", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _load(path: Path) -> tuple[Rules | None, list[str], list[str]]:
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError:
        return None, [f"{name}: файл правил не найден ({path.resolve()})"], []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [tomlerrors.not_utf8(name, raw, exc.start)], []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [tomlerrors.explain(name, text, str(exc))], []
    except RecursionError:  # thousands of nested brackets
        return None, [tomlerrors.too_deep(name, text)], []
    pos = _Positions(text)
    ctx = _Ctx(path, data, pos, _Problems(name, pos))
    p = ctx.p
    sources: list[Path] = []

    for key in data:
        if key not in _TOP_LEVEL:
            p.error(pos.line(key), "", f"неизвестный раздел [{key}]{_suggest(key, _TOP_LEVEL)}. Допустимые: {_valid_list(_TOP_LEVEL)}")

    managers = _managers(ctx)
    department = _department(ctx)
    territory = _territory(ctx)
    absences = _absences(ctx, department.head if department else None)
    pool = _pool(ctx, managers)
    if pool is not None:
        managers = {
            k: replace(m, in_pool=k in pool.members)
            for k, m in managers.items()
        }
    free_mail = department.free_mail_domains if department else tuple(sorted(FREE_MAIL_DOMAINS))
    clients = _clients(ctx, free_mail, sources)
    groups = _groups(ctx, sources)
    vip = _vip(ctx, sources)
    specs = _rule_specs(ctx)
    templates_dir = _templates(ctx)
    acknowledge = _acknowledge(ctx, department)
    followup = _followup(ctx, department.hours if department else DEFAULT_HOURS)
    report = _report(ctx, department.head if department else None)
    if pool is None and any(s.when == "pool" for s in specs):
        p.error(next(s.line for s in specs if s.when == "pool"), "правило «pool»", "нет раздела [pool] со списком участников (members)")

    errors = [text for _, text in sorted(p.errors, key=lambda e: e[0])]
    warnings = [text for _, text in sorted(p.warnings, key=lambda e: e[0])]
    if clients is not None:
        warnings.extend(clients.problems)
        known = set(managers)
        unknown: dict[str, list[int]] = {}
        for client in clients:
            if client.manager and client.manager not in known:
                unknown.setdefault(client.manager, []).append(client.line)
        for manager_id, lines in unknown.items():
            shown = ", ".join(str(n) for n in lines[:5]) + (" …" if len(lines) > 5 else "")
            warnings.append(
                f"{clients_file_name(ctx)}: менеджер «{manager_id}» (строки {shown}) не описан в {name}; "
                f"письма этих клиентов пойдут по следующим правилам. Допустимые: {_valid_list(ctx.manager_ids)}"
            )
    if errors or department is None or clients is None:
        return None, errors or [f"{name}: правила не загружены"], warnings

    digest = hashlib.sha256(raw)
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"missing")
    name_forms = MappingProxyType(
        {m.id: tuple((form_tokens(f), f) for f in m.forms if form_tokens(f)) for m in managers.values()}
    )
    rules = Rules(
        path=path,
        department=department,
        managers=MappingProxyType(dict(managers)),
        rules=tuple(specs),
        territory=territory,
        absences=tuple(absences),
        pool=pool,
        clients=clients,
        groups=groups,
        vip=vip,
        templates_dir=templates_dir,
        fingerprint=digest.hexdigest(),
        warnings=tuple(warnings),
        source_files=tuple(sources),
        name_forms=name_forms,
        followup=followup,
        acknowledge=acknowledge,
        report=report,
    )
    return rules, [], warnings


def clients_file_name(ctx: _Ctx) -> str:
    table = ctx.data.get("clients")
    return str(table.get("file")) if isinstance(table, dict) and table.get("file") else "clients"


def _table(ctx: _Ctx, key: str, where: str) -> dict[str, Any] | None:
    value = ctx.data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        ctx.p.error(ctx.pos.line(key), where, f"«{key}» должен быть разделом [{key}], а не одним значением")
        return None
    return value


def _array(ctx: _Ctx, key: str) -> list[dict[str, Any]]:
    value = ctx.data.get(key, [])
    if isinstance(value, dict):
        ctx.p.error(ctx.pos.line(key), f"[{key}]", f"каждую запись пишите как [[{key}]] (с двойными скобками)")
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        ctx.p.error(
            ctx.pos.line(key), "",
            f"«{key}» — записи [[{key}]], у каждой свои параметры по строкам, а не одно значение; {_shown(value)}",
        )  # fmt: skip
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _managers(ctx: _Ctx) -> dict[str, Manager]:
    entries = _array(ctx, "manager")
    ids = [str(e.get("id")) for e in entries if isinstance(e.get("id"), str)]
    ctx.manager_ids = list(dict.fromkeys(ids))
    if not entries:
        ctx.p.error(0, "", "не описан ни один менеджер: добавьте разделы [[manager]] с id, name, email")
    managers: dict[str, Manager] = {}
    emails: dict[str, str] = {}
    for index, entry in enumerate(entries):
        path: tuple[object, ...] = ("manager", index)
        mid = entry.get("id")
        where = f"менеджер «{mid}»" if isinstance(mid, str) else f"менеджер №{index + 1}"
        ctx.unknown_keys(entry, _MANAGER_KEYS, path, where)
        if not isinstance(mid, str) or not _ID_RE.fullmatch(mid):
            ctx.p.error(
                ctx.pos.line(*path, "id"), where,
                "id — латиницей строчными буквами, например id = \"ivanova\"",
            )  # fmt: skip
            continue
        if mid in managers:
            ctx.p.error(
                ctx.pos.line(*path, "id"), where,
                f"id «{mid}» уже занят менеджером в строке {managers[mid].line}",
            )  # fmt: skip
            continue
        full_name = entry.get("name")
        if not isinstance(full_name, str) or len(full_name.split()) < 2:
            given = f"; {_shown(full_name)}" if full_name is not None else ""
            ctx.p.error(
                ctx.pos.line(*path, "name"), where,
                f"name — ФИО полностью, например name = \"Иванова Ирина Александровна\"{given}",
            )  # fmt: skip
            full_name = full_name if isinstance(full_name, str) and full_name.strip() else mid
        email = entry.get("email")
        if not isinstance(email, str) or not _EMAIL_RE.fullmatch(email.strip()):
            ctx.p.error(ctx.pos.line(*path, "email"), where, "email — личный адрес менеджера, например email = \"i.ivanova@company.ru\"")
            email = ""
        email = email.strip().lower()
        if email and email in emails:
            ctx.p.error(ctx.pos.line(*path, "email"), where, f"адрес {email} уже указан у менеджера «{emails[email]}»")
        emails[email] = mid
        forms = ctx.str_list(entry, "forms", path, where)
        weight = entry.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= MAX_WEIGHT:
            ctx.p.error(
                ctx.pos.line(*path, "weight"), where,
                f"weight — число больше нуля и не больше {MAX_WEIGHT}, например 1 или 0.5; {_shown(weight)}",
            )  # fmt: skip
            weight = 1.0
        caps: dict[str, int | None] = {}
        for cap in ("daily_cap", "monthly_cap"):
            value = entry.get(cap)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
                ctx.p.error(ctx.pos.line(*path, cap), where, f"{cap} — целое число больше нуля, например {cap} = 40; {_shown(value)}")
                value = None
            caps[cap] = value
        duty: list[int] = []
        for day in ctx.str_list(entry, "duty", path, where):
            if fold(day) not in WEEKDAYS:
                ctx.p.error(
                    ctx.pos.value_line((*path, "duty"), day), where,
                    f"неизвестный день «{day}». Допустимые: пн, вт, ср, чт, пт, сб, вс",
                )  # fmt: skip
            else:
                duty.append(WEEKDAYS[fold(day)])
        in_pool = entry.get("in_pool", False)
        if not isinstance(in_pool, bool):
            ctx.p.error(ctx.pos.line(*path, "in_pool"), where, f"in_pool — true или false; {_shown(in_pool)}")
            in_pool = False
        phone = entry.get("phone", "")
        if not isinstance(phone, str) or (phone and not _PHONE_RE.fullmatch(phone.strip())):
            ctx.p.error(ctx.pos.line(*path, "phone"), where, "phone — телефон в кавычках, например phone = \"+7 495 123-45-67, доб. 201\"")
            phone = ""
        all_forms = tuple(dict.fromkeys((*forms, *derive_forms(full_name))))
        managers[mid] = Manager(
            id=mid,
            name=full_name,
            email=email,
            forms=all_forms,
            in_pool=in_pool,
            weight=float(weight),
            daily_cap=caps["daily_cap"],
            monthly_cap=caps["monthly_cap"],
            duty=tuple(sorted(set(duty))),
            line=ctx.pos.line(*path),
            phone=" ".join(phone.split()),
        )
    return managers


def _department(ctx: _Ctx) -> Department | None:
    where = "[department]"
    table = _table(ctx, "department", where)
    if table is None:
        ctx.p.error(0, "", "нет раздела [department] (название отдела, домены, общий ящик, руководитель)")
        return None
    ctx.unknown_keys(table, _DEPARTMENT_KEYS, ("department",), where)
    path = ("department",)
    ok = True
    dept_name = ctx.text(table, "name", path, where, "Отдел продаж")
    if "name" not in table or (dept_name is not None and not dept_name.strip()):
        ctx.p.error(ctx.pos.line(*path), where, "не указано название отдела (name = \"…\")")
    tz_name = ctx.text(table, "timezone", path, where, "Europe/Moscow", "Europe/Moscow")
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder of zones
        ctx.p.error(
            ctx.pos.line(*path, "timezone"), where,
            f"неизвестный часовой пояс «{tz_name}». Пример: \"Europe/Moscow\", \"Asia/Yekaterinburg\"",
        )  # fmt: skip
        tz = ZoneInfo("Europe/Moscow")
    internal = tuple(normalize_domain(d) for d in ctx.str_list(table, "internal_domains", path, where))
    if not internal:
        ctx.p.error(ctx.pos.line(*path, "internal_domains"), where, "internal_domains — домены компании, например [\"company.ru\"]")
        ok = False
    shared = tuple(a.strip().lower() for a in ctx.str_list(table, "shared_addresses", path, where))
    for address in shared:
        if not _EMAIL_RE.fullmatch(address):
            ctx.p.error(ctx.pos.value_line((*path, "shared_addresses"), address), where, f"«{address}» не похоже на адрес почты")
    bot = table.get("bot_address", "")
    if not isinstance(bot, str) or (bot and not _EMAIL_RE.fullmatch(bot.strip())):
        ctx.p.error(
            ctx.pos.line(*path, "bot_address"), where,
            f"bot_address — адрес, с которого пишет бот, например bot_address = \"sales-bot@company.ru\"; {_shown(bot)}",
        )  # fmt: skip
        bot = ""
    loop = [h for h in ctx.str_list(table, "loop_headers", path, where) if h.lower() != OWN_LOOP_HEADER.lower()]
    head = table.get("head")
    if head is None:
        ctx.p.error(ctx.pos.line(*path), where, f"не указан руководитель (head = \"…\"). Допустимые: {_valid_list(ctx.manager_ids)}")
        ok = False
    elif not ctx.manager_ref(head, (*path, "head"), where, "head"):
        ok = False
    free = table.get("free_mail_domains")
    free_mail = (
        tuple(normalize_domain(d) for d in ctx.str_list(table, "free_mail_domains", path, where))
        if free is not None
        else tuple(sorted(FREE_MAIL_DOMAINS))
    )
    backup_chain = table.get("backup_chain", True)
    if not isinstance(backup_chain, bool):
        ctx.p.error(ctx.pos.line(*path, "backup_chain"), where, f"backup_chain — true или false; {_shown(backup_chain)}")
        backup_chain = True
    hours = _working_hours(ctx, table, tz)
    if not ok:
        return None
    return Department(
        name=dept_name or "",
        timezone=tz,
        internal_domains=internal,
        shared_addresses=shared,
        bot_address=str(bot).strip().lower(),
        loop_headers=(OWN_LOOP_HEADER, *loop),
        head=str(head),
        free_mail_domains=free_mail,
        backup_chain=backup_chain,
        hours=hours,
    )


def _working_hours(ctx: _Ctx, table: Mapping[str, Any], tz: ZoneInfo) -> WorkingHours:
    where, path = "[department]", ("department",)
    start, end = time(9), time(18)
    text = table.get("working_hours", "09:00-18:00")
    parts = [parse_clock(x) for x in str(text).replace("–", "-").split("-")] if isinstance(text, str) else []
    if len(parts) == 2 and parts[0] is not None and parts[1] is not None and parts[0] < parts[1]:
        start, end = parts[0], parts[1]
    else:
        ctx.p.error(
            ctx.pos.line(*path, "working_hours"), where,
            "working_hours — начало и конец рабочего дня в кавычках, начало раньше конца, например "
            f"working_hours = \"09:00-18:00\"; {_shown(text)}",
        )  # fmt: skip
    days: list[int] = []
    for day in ctx.str_list(table, "working_days", path, where) if "working_days" in table else ("пн", "вт", "ср", "чт", "пт"):
        if fold(day) not in WEEKDAYS:
            ctx.p.error(ctx.pos.value_line((*path, "working_days"), day), where, f"неизвестный день «{day}». Допустимые: пн, вт, ср, чт, пт, сб, вс")
        else:
            days.append(WEEKDAYS[fold(day)])
    if "working_days" in table and not days:
        ctx.p.error(ctx.pos.line(*path, "working_days"), where, "working_days — хотя бы один рабочий день, например [\"пн\", \"вт\", \"ср\", \"чт\", \"пт\"]")
    return WorkingHours(start, end, tuple(sorted(set(days))) or (0, 1, 2, 3, 4), tz)


def _acknowledge(ctx: _Ctx, department: Department | None) -> Acknowledge | None:
    where, path = "[acknowledge]", ("acknowledge",)
    table = _table(ctx, "acknowledge", where)
    if table is None:
        return None
    ctx.unknown_keys(table, _ACKNOWLEDGE_KEYS, path, where)
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        ctx.p.error(ctx.pos.line(*path, "enabled"), where, f"enabled — true (отвечать клиентам) или false; {_shown(enabled)}")
        enabled = False
    shared = department.shared_addresses if department else ()
    sender = table.get("from", shared[0] if shared else "")
    if not isinstance(sender, str) or not _EMAIL_RE.fullmatch(sender.strip()):
        ctx.p.error(
            ctx.pos.line(*path, "from") if "from" in table else ctx.pos.line(*path), where,
            "from — адрес, от имени которого клиент получит подтверждение (обычно общий ящик), "
            "например from = \"sales@company.ru\"",
        )  # fmt: skip
        sender = ""
    return Acknowledge(enabled, sender.strip().lower())


def _followup(ctx: _Ctx, hours: WorkingHours) -> FollowUp | None:
    where, path = "[followup]", ("followup",)
    table = _table(ctx, "followup", where)
    if table is None:
        return None
    ctx.unknown_keys(table, _FOLLOWUP_KEYS, path, where)

    def duration(key: str, required: bool) -> timedelta | None:
        if key not in table:
            if required:
                ctx.p.error(ctx.pos.line(*path), where, f"нужен параметр {key}, например {key} = \"4h\"")
            return None
        value = table[key]
        amount = parse_duration(value, hours.day_length) if isinstance(value, str) else None
        if amount is None or amount <= timedelta(0):
            ctx.p.error(
                ctx.pos.line(*path, key), where,
                f"{key} — рабочее время в кавычках: \"4h\" (часы), \"90m\" (минуты), \"1d\" (рабочие дни); {_shown(value)}",
            )  # fmt: skip
            return None
        return amount

    remind = duration("remind_after", True)
    escalate_after = duration("escalate_after", False)
    if remind is not None and escalate_after is not None and escalate_after <= remind:
        ctx.p.error(ctx.pos.line(*path, "escalate_after"), where, "escalate_after должен быть больше remind_after")
    escalate = ctx.choice(
        table, "escalate", ESCALATIONS, path, where, "head",
        explain=" (head — написать руководителю, reassign — передать заявку другому менеджеру)",
    )  # fmt: skip
    reassign_to = table.get("reassign_to", "pool")
    if reassign_to != "pool" and not ctx.manager_ref(reassign_to, (*path, "reassign_to"), where, "reassign_to"):
        reassign_to = "pool"
    if remind is None:
        return None
    return FollowUp(remind, escalate_after, escalate or "head", str(reassign_to))


def _report(ctx: _Ctx, head: str | None) -> ReportSchedule | None:
    where, path = "[report]", ("report",)
    table = _table(ctx, "report", where)
    if table is None:
        return None
    ctx.unknown_keys(table, _REPORT_KEYS, path, where)
    every = ctx.choice(table, "every", REPORT_PERIODS, path, where, "week")
    at_text = table.get("at", "09:00")
    at = parse_clock(at_text) if isinstance(at_text, str) else None
    if at is None:
        ctx.p.error(
            ctx.pos.line(*path, "at"), where, f"at — время отправки отчёта в кавычках, например at = \"09:00\"; {_shown(at_text)}"
        )
        at = time(9)
    weekday_text = table.get("weekday", "пн")
    weekday = WEEKDAYS.get(fold(weekday_text)) if isinstance(weekday_text, str) else None
    if not isinstance(weekday_text, str):
        ctx.p.error(
            ctx.pos.line(*path, "weekday"), where,
            f"weekday — день недели в кавычках, например weekday = \"пн\"; {_shown(weekday_text)}",
        )  # fmt: skip
    elif weekday is None:
        ctx.p.error(
            ctx.pos.line(*path, "weekday"), where, f"неизвестный день «{weekday_text}». Допустимые: пн, вт, ср, чт, пт, сб, вс"
        )
    weekday = weekday or 0
    recipients = ctx.str_list(table, "to", path, where) if "to" in table else ((head,) if head else ())
    good = tuple(r for r in recipients if r in ctx.manager_ids)
    for bad in (r for r in recipients if r not in ctx.manager_ids):
        ctx.manager_ref(bad, (*path, "to"), where, "to")
    if every is None or every == "off":
        return None
    return ReportSchedule(every, at, weekday, good)


@dataclass(frozen=True, slots=True)
class _RegionStub:
    code: str
    name: str = ""
    district: str | None = None
    district_name: str = ""


def region_info(code: str | None) -> Any:
    """gazetteer.region_by_code (code, name, district, district_name), or None when the
    code is unknown. Without the gazetteer any two-digit code passes, with no district."""
    if not code:
        return None
    try:
        from inboxbot.directory.gazetteer import region_by_code
    except ImportError:  # the gazetteer is another stage's module; tolerate its absence
        return _RegionStub(code) if re.fullmatch(r"\d\d", code) and code != "00" else None
    return region_by_code(code)


def _district_code(key: str) -> str | None:
    k = fold(key.strip())
    for code, full in DISTRICTS.items():
        short = full.split(" федеральный")[0]
        if k in (fold(code), fold(full), fold(short)):
            return code
    return None


def _territory(ctx: _Ctx) -> Territory:
    where = "[territory]"
    table = _table(ctx, "territory", where) or {}
    path: tuple[object, ...] = ("territory",)
    ctx.unknown_keys(table, _TERRITORY_KEYS, path, where)
    for key, example in (("districts", '{ "ЦФО" = "ivanova" }'), ("regions", '{ "77" = "smirnova" }'),
                         ("cities", '{ "Тольятти" = "orlov" }')):  # fmt: skip
        if key in table and not isinstance(table[key], dict):
            ctx.p.error(
                ctx.pos.line(*path, key), where,
                f"«{key}» — пары в фигурных скобках, например {key} = {example}; {_shown(table[key])}",
            )  # fmt: skip
    districts: dict[str, str] = {}
    district_keys: dict[str, str] = {}
    raw = table.get("districts", {})
    for key, manager in (raw.items() if isinstance(raw, dict) else ()):
        line_path = (*path, "districts", key)
        code = _district_code(key)
        if code is None:
            ctx.p.error(
                ctx.pos.line(*line_path), where,
                f"неизвестный федеральный округ «{key}». Допустимые: {_valid_list(DISTRICTS)}",
            )  # fmt: skip
            continue
        if code in district_keys:
            ctx.p.error(ctx.pos.line(*line_path), where, f"округ {code} указан дважды («{district_keys[code]}» и «{key}»)")
            continue
        district_keys[code] = key
        if ctx.manager_ref(manager, line_path, where):
            districts[code] = manager
    regions: dict[str, str] = {}
    region_keys: dict[str, str] = {}
    raw = table.get("regions", {})
    for key, manager in (raw.items() if isinstance(raw, dict) else ()):
        line_path = (*path, "regions", key)
        code = key.strip().zfill(2) if key.strip().isdigit() and len(key.strip()) <= 2 else None
        info = region_info(code) if code else None
        if code is None or info is None:
            ctx.p.error(
                ctx.pos.line(*line_path), where,
                f"неизвестный код региона «{key}»: нужен двузначный код субъекта РФ в кавычках, например \"77\" = \"…\" (Москва)",
            )  # fmt: skip
            continue
        if code in region_keys:
            ctx.p.error(ctx.pos.line(*line_path), where, f"регион {code} указан дважды («{region_keys[code]}» и «{key}»)")
            continue
        region_keys[code] = key
        if ctx.manager_ref(manager, line_path, where):
            regions[code] = manager
            district = getattr(info, "district", None)
            if district in districts and districts[district] == manager:
                ctx.p.warn(
                    ctx.pos.line(*line_path), where,
                    f"регион {code} и так относится к {district} ({manager}) — исключение можно убрать",
                )  # fmt: skip
    cities: dict[str, str] = {}
    raw = table.get("cities", {})
    seen_cities: dict[str, str] = {}
    for key, manager in (raw.items() if isinstance(raw, dict) else ()):
        line_path = (*path, "cities", key)
        if fold(key) in seen_cities:
            ctx.p.error(ctx.pos.line(*line_path), where, f"город «{key}» указан дважды («{seen_cities[fold(key)]}»)")
            continue
        seen_cities[fold(key)] = key
        if ctx.manager_ref(manager, line_path, where):
            cities[key] = manager
    foreign = table.get("foreign")
    if foreign is not None and not ctx.manager_ref(foreign, (*path, "foreign"), where):
        foreign = None
    if table and isinstance(table.get("districts"), dict):
        missing = [code for code in DISTRICTS if code not in district_keys]
        if missing:
            ctx.p.warn(
                ctx.pos.line(*path, "districts"), where,
                f"округа {', '.join(missing)} ни за кем не закреплены — новые клиенты оттуда пойдут в пул",
            )  # fmt: skip
    return Territory(
        districts=MappingProxyType(districts),
        regions=MappingProxyType(regions),
        cities=MappingProxyType(cities),
        foreign=foreign if isinstance(foreign, str) else None,
    )


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
            try:
                return datetime.strptime(value.strip(), fmt).date()
            except ValueError:
                continue
    return None


def _absences(ctx: _Ctx, head: str | None) -> list[Absence]:
    result: list[Absence] = []
    for index, entry in enumerate(_array(ctx, "absence")):
        path: tuple[object, ...] = ("absence", index)
        manager = entry.get("manager")
        where = f"отсутствие «{manager}»" if isinstance(manager, str) else f"отсутствие №{index + 1}"
        ctx.unknown_keys(entry, _ABSENCE_KEYS, path, where)
        ok = ctx.manager_ref(manager, (*path, "manager"), where, "manager")
        dates: dict[str, date | None] = {}
        for key in ("from", "to"):
            value = entry.get(key)
            dates[key] = _date(value)
            if dates[key] is None:
                ctx.p.error(
                    ctx.pos.line(*path, key) if key in entry else ctx.pos.line(*path), where,
                    f"«{key}»: нужна дата вида 2025-07-07 (или «07.07.2025»)"
                    + (f", а указано «{value}»" if isinstance(value, str) else f"; {_shown(value)}" if value is not None
                       else ", а она не указана"),
                )  # fmt: skip
                ok = False
        start, end = dates["from"], dates["to"]
        if start and end and start > end:
            ctx.p.error(
                ctx.pos.line(*path, "to"), where,
                f"дата окончания {end:%d.%m.%Y} раньше даты начала {start:%d.%m.%Y}",
            )  # fmt: skip
            ok = False
        backup = entry.get("backup")
        if backup is None:
            ctx.p.error(ctx.pos.line(*path), where, f"не указан заместитель (backup = \"…\"). Допустимые: {_valid_list(ctx.manager_ids)}")
            ok = False
        elif not ctx.manager_ref(backup, (*path, "backup"), where, "backup"):
            ok = False
        elif backup == manager:
            ctx.p.error(ctx.pos.line(*path, "backup"), where, "менеджер не может замещать сам себя")
            ok = False
        reason = ctx.text(entry, "reason", path, where, "в отпуске", "отсутствует")
        if "reason" in entry and not isinstance(entry["reason"], str):
            ok = False
        if ok and start and end:
            result.append(Absence(str(manager), start, end, str(backup), reason or "отсутствует", ctx.pos.line(*path)))
    # Overlapping absences of one manager, and backups that lead round in a circle.
    for i, a in enumerate(result):
        for b in result[i + 1 :]:
            if a.manager == b.manager and a.start <= b.end and b.start <= a.end:
                ctx.p.error(
                    b.line, f"отсутствие «{b.manager}»",
                    f"пересекается с отсутствием в строке {a.line} ({a.start:%d.%m}–{a.end:%d.%m})",
                )  # fmt: skip
    reported: set[frozenset[str]] = set()
    for absence in result:
        day = absence.start
        away = {a.manager: a for a in result if a.covers(day)}
        current, seen = absence.manager, [absence.manager]
        while current in away:
            current = away[current].backup
            if current in seen:
                cycle = [*seen[seen.index(current) :], current]
                cycle_key = frozenset(cycle)
                if cycle_key not in reported:
                    reported.add(cycle_key)
                    ctx.p.error(
                        absence.line, f"отсутствие «{absence.manager}»",
                        f"заместители по кругу на {day:%d.%m.%Y}: {' → '.join(cycle)}; "
                        f"укажите заместителем того, кто в эти дни работает"
                        + (f" (или руководителя «{head}»)" if head else ""),
                    )  # fmt: skip
                break
            seen.append(current)
    return result


def _pool(ctx: _Ctx, managers: Mapping[str, Manager]) -> Pool | None:
    where = "[pool]"
    table = _table(ctx, "pool", where)
    if table is None:
        in_pool = tuple(m.id for m in managers.values() if m.in_pool)
        return Pool("main", in_pool) if in_pool else None
    path: tuple[object, ...] = ("pool",)
    ctx.unknown_keys(table, _POOL_KEYS, path, where)
    members_list = ctx.str_list(table, "members", path, where)
    if "members" not in table:
        members_list = tuple(m.id for m in managers.values() if m.in_pool)
    members: list[str] = []
    for member in members_list:
        if member not in ctx.manager_ids:
            ctx.p.error(
                ctx.pos.value_line((*path, "members"), member), where,
                f"неизвестный менеджер «{member}»{_suggest(member, ctx.manager_ids)}. Допустимые: {_valid_list(ctx.manager_ids)}",
            )  # fmt: skip
        elif member in members:
            ctx.p.error(ctx.pos.value_line((*path, "members"), member), where, f"«{member}» указан в пуле дважды")
        else:
            members.append(member)
    if not members_list:
        ctx.p.error(ctx.pos.line(*path), where, "в пуле нет участников (members = [\"…\", \"…\"])")
    method = ctx.choice(table, "method", POOL_METHODS, path, where, "round_robin", unknown="неизвестный способ") or "round_robin"
    window = table.get("window_days", 30)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 < window <= MAX_WINDOW_DAYS:
        ctx.p.error(
            ctx.pos.line(*path, "window_days"), where,
            f"window_days — целое число дней от 1 до {MAX_WINDOW_DAYS}, например window_days = 30; {_shown(window)}",
        )  # fmt: skip
        window = 30
    pool_name = ctx.text(table, "name", path, where, "main", "main") or "main"
    return Pool(pool_name, tuple(members), method, int(window))


def _clients(ctx: _Ctx, free_mail: Sequence[str], sources: list[Path]) -> ClientBase | None:
    where = "[clients]"
    table = _table(ctx, "clients", where)
    if table is None:
        ctx.p.warn(0, "", "нет раздела [clients]: база клиентов пуста, правила client_* не сработают")
        return ClientBase([], free_mail_domains=free_mail)
    path: tuple[object, ...] = ("clients",)
    ctx.unknown_keys(table, _CLIENTS_KEYS, path, where)
    columns = table.get("columns", {})
    column_names = ColumnMap.__dataclass_fields__.keys()
    mapping: dict[str, str] = {}
    if isinstance(columns, dict):
        ctx.unknown_keys(columns, tuple(column_names), (*path, "columns"), "[clients.columns]")
        for key, value in columns.items():
            if key in column_names and ctx.text(columns, key, (*path, "columns"), "[clients.columns]", "Название") is not None:
                mapping[key] = value
    else:
        ctx.p.error(
            ctx.pos.line(*path, "columns"), where,
            f"columns — раздел [clients.columns] с заголовками колонок, например name = \"Название\"; {_shown(columns)}",
        )  # fmt: skip
    encoding = ctx.text(table, "encoding", path, where, "cp1251")
    if encoding is not None and not _is_text_encoding(encoding):
        ctx.p.error(
            ctx.pos.line(*path, "encoding"), where,
            f"неизвестная кодировка «{encoding}». Обычно: \"utf-8\", \"cp1251\" (windows-1251), \"koi8-r\"",
        )  # fmt: skip
        encoding = None
    delimiter = ctx.text(table, "delimiter", path, where, ";")
    if delimiter is not None and len(delimiter) != 1:
        ctx.p.error(
            ctx.pos.line(*path, "delimiter"), where,
            f"delimiter — один символ в кавычках: \";\", \",\" или \"\\t\" (табуляция); указан текст «{delimiter}»",
        )  # fmt: skip
        delimiter = None
    sheet = ctx.text(table, "sheet", path, where, "Клиенты")
    file = ctx.file(table.get("file"), (*path, "file"), where)
    if file is None:
        return None
    sources.append(file)
    if any(key in table and value is None for key, value in (("encoding", encoding), ("delimiter", delimiter),
                                                              ("sheet", sheet))):  # fmt: skip
        return None  # reported above; reading the file with a guess would only add noise
    try:
        return ClientBase.load(
            file,
            ColumnMap(**mapping),
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            free_mail_domains=free_mail,
        )
    except RulesError as exc:
        for line in str(exc).splitlines():
            ctx.p.error(ctx.pos.line(*path, "file"), where, line)
    except (LookupError, ValueError) as exc:  # unknown encoding name, bad delimiter
        ctx.p.error(ctx.pos.line(*path), where, f"файл не читается: {exc}")
    return None


def _is_text_encoding(name: str) -> bool:
    """A codec that turns bytes into text (not "rot13", "base64" or an unknown name)."""
    try:
        return codecs.lookup(name)._is_text_encoding
    except LookupError:
        return False


def _groups(ctx: _Ctx, sources: list[Path]) -> tuple[Group, ...]:
    groups: list[Group] = []
    table = _table(ctx, "groups", "[groups]")
    if table is not None:
        ctx.unknown_keys(table, ("file",), ("groups",), "[groups]")
        file = ctx.file(table.get("file"), ("groups", "file"), "[groups]")
        if file is not None:
            sources.append(file)
            try:
                groups.extend(load_groups(file))
            except RulesError as exc:
                for line in str(exc).splitlines():
                    ctx.p.error(ctx.pos.line("groups", "file"), "[groups]", line)
            for group in groups:
                if group.owner and group.owner not in ctx.manager_ids:
                    ctx.p.error(
                        ctx.pos.line("groups", "file"), "[groups]",
                        f"{file.name}: у группы «{group.name}» неизвестный владелец «{group.owner}»"
                        f"{_suggest(group.owner, ctx.manager_ids)}. Допустимые: {_valid_list(ctx.manager_ids)}",
                    )  # fmt: skip
    names = {g.name.casefold() for g in groups}
    for index, entry in enumerate(_array(ctx, "group")):
        path: tuple[object, ...] = ("group", index)
        group_name = entry.get("name")
        where = f"группа «{group_name}»" if isinstance(group_name, str) else f"группа №{index + 1}"
        ctx.unknown_keys(entry, _GROUP_KEYS, path, where)
        if not isinstance(group_name, str) or not group_name.strip():
            ctx.p.error(ctx.pos.line(*path), where, "не указано название группы (name = \"…\")")
            continue
        if group_name.casefold() in names:
            ctx.p.error(ctx.pos.line(*path, "name"), where, "группа с таким названием уже описана")
            continue
        names.add(group_name.casefold())
        policy = ctx.choice(
            entry, "policy", ("one_owner", "independent"), path, where, "independent", unknown="неизвестная политика"
        )
        if policy is None:
            continue
        owner = entry.get("owner")
        if policy == "one_owner" and owner is None:
            ctx.p.error(ctx.pos.line(*path), where, "у группы с политикой one_owner должен быть владелец (owner = \"…\")")
            continue
        if owner is not None and not ctx.manager_ref(owner, (*path, "owner"), where, "owner"):
            continue
        groups.append(
            Group(
                name=group_name.strip(),
                policy=policy,
                owner=owner,
                aliases=ctx.str_list(entry, "aliases", path, where),
                domains=tuple(normalize_domain(d) for d in ctx.str_list(entry, "domains", path, where)),
            )
        )
    return tuple(groups)


def _vip(ctx: _Ctx, sources: list[Path]) -> tuple[VipEntry, ...]:
    table = _table(ctx, "vip", "[vip]")
    if table is None:
        return ()
    ctx.unknown_keys(table, ("file",), ("vip",), "[vip]")
    file = ctx.file(table.get("file"), ("vip", "file"), "[vip]")
    if file is None:
        return ()
    sources.append(file)
    try:
        entries = load_vip(file)
    except RulesError as exc:
        for line in str(exc).splitlines():
            ctx.p.error(ctx.pos.line("vip", "file"), "[vip]", line)
        return ()
    for entry in entries:
        if entry.owner not in ctx.manager_ids:
            ctx.p.error(
                ctx.pos.line("vip", "file"), "[vip]",
                f"{file.name}, строка {entry.line}: неизвестный владелец «{entry.owner}»"
                f"{_suggest(entry.owner, ctx.manager_ids)}. Допустимые: {_valid_list(ctx.manager_ids)}",
            )  # fmt: skip
    return entries


def _templates(ctx: _Ctx) -> Path | None:
    table = ctx.data.get("department")
    if not isinstance(table, dict) or "templates" not in table:
        return None
    value = table["templates"]
    if not isinstance(value, str) or not value.strip():
        ctx.p.error(
            ctx.pos.line("department", "templates"), "[department]",
            f"templates — папка шаблонов в кавычках, например templates = \"my-templates\"; {_shown(value)}",
        )  # fmt: skip
        return None
    resolved = ctx.path.parent / value
    try:
        resolved = resolved.resolve()
        found = resolved.is_dir()
    except (OSError, ValueError):  # a NUL or an over-long name
        found = False
    if not found:
        ctx.p.error(ctx.pos.line("department", "templates"), "[department]", f"папка шаблонов «{value}» не найдена ({resolved})")
        return None
    return resolved


def _option_value(ctx: _Ctx, option: Option, key: str, value: Any, path: tuple[object, ...], where: str) -> tuple[bool, Any]:
    line = ctx.pos.line(*path, key)
    if option.kind == "bool":
        if not isinstance(value, bool):
            ctx.p.error(line, where, f"«{key}» — true или false; {_shown(value)}")
            return False, None
        return True, value
    if option.kind == "manager":
        return ctx.manager_ref(value, (*path, key), where, key), value
    if option.kind == "str_list":
        values = ctx.str_list({key: value}, key, path, where)
        good = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        return good, values
    if option.kind == "choice":
        if isinstance(value, str) and value not in option.choices:
            ctx.p.error(
                line, where,
                f"«{key}»: неизвестное значение «{value}»{_suggest(value, option.choices)}. "
                f"Допустимые: {_valid_list(option.choices)}",
            )  # fmt: skip
            return False, None
        chosen = ctx.choice({key: value}, key, option.choices, path, where, option.choices[0])
        return chosen is not None, chosen
    if option.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            ctx.p.error(line, where, f"«{key}» — число; {_shown(value)}")
            return False, None
        return True, value
    if not isinstance(value, str):
        ctx.p.error(line, where, f"«{key}» — текст в кавычках; {_shown(value)}")
        return False, None
    return True, value


def _rule_specs(ctx: _Ctx) -> list[RuleSpec]:
    entries = _array(ctx, "rule")
    if not entries:
        ctx.p.error(0, "", "нет ни одного правила [[rule]]")
    specs: list[RuleSpec] = []
    ids: dict[str, int] = {}
    catch_all: RuleSpec | None = None
    for index, entry in enumerate(entries):
        path: tuple[object, ...] = ("rule", index)
        rid = entry.get("id")
        where = f"правило «{rid}»" if isinstance(rid, str) else f"правило №{index + 1}"
        line = ctx.pos.line(*path)
        ok = True
        if rid is not None and not isinstance(rid, str):
            ctx.p.error(
                ctx.pos.line(*path, "id"), where,
                f"id — короткое имя латиницей в кавычках, например id = \"pool\"; {_shown(rid)}",
            )  # fmt: skip
            ok = False
        elif not isinstance(rid, str) or not rid.strip():
            ctx.p.error(line, where, "у правила нет id (id = \"…\": короткое имя латиницей, оно попадёт в объяснение)")
            ok = False
        elif rid in ids:
            ctx.p.error(ctx.pos.line(*path, "id"), where, f"id «{rid}» уже занят правилом в строке {ids[rid]}")
            ok = False
        else:
            ids[rid] = line
        when = entry.get("when")
        if not isinstance(when, str) or when not in CONDITIONS:
            if when is None:
                text = f"не указано условие (when = \"…\"). Допустимые: {_valid_list(CONDITIONS)}"
            elif not isinstance(when, str):
                text = (
                    f"when — название одного условия в кавычках, например when = \"pool\"; {_shown(when)}. "
                    f"Допустимые: {_valid_list(CONDITIONS)}"
                )
            else:
                text = f"неизвестное условие «{when}»{_suggest(when, list(CONDITIONS))}. Допустимые: {_valid_list(CONDITIONS)}"
            ctx.p.error(ctx.pos.line(*path, "when"), where, text)
            ctx.unknown_keys(entry, tuple(COMMON_RULE_KEYS) + tuple(sorted({k for o in CONDITIONS.values() for k in o})), path, where)
            continue
        schema = CONDITIONS[when]
        valid_keys = (*COMMON_RULE_KEYS, *schema)
        for key in entry:
            if key not in valid_keys:
                ctx.p.error(
                    ctx.pos.line(*path, key), where,
                    f"неизвестный параметр «{key}»{_suggest(key, valid_keys)} для условия «{when}». "
                    f"Допустимые: {_valid_list(valid_keys)}",
                )  # fmt: skip
                ok = False
        default_action = DEFAULT_ACTIONS.get(when, "forward")
        if when == "fallback" and "owner" not in entry:
            default_action = "triage"
        action = ctx.choice(entry, "action", ACTIONS, path, where, default_action, unknown="неизвестное действие")
        if action is None:
            ok = False
        if "note" in entry and ctx.text(entry, "note", path, where, "заметка для себя") is None:
            ok = False
        options: dict[str, Any] = {}
        for key, option in schema.items():
            if key in entry:
                good, value = _option_value(ctx, option, key, entry[key], path, where)
                ok = ok and good
                options[key] = value
            elif option.required:
                ctx.p.error(line, where, f"для условия «{when}» нужен параметр «{key}»" + (
                    f". Допустимые менеджеры: {_valid_list(ctx.manager_ids)}" if option.kind == "manager" else ""))
                ok = False
            else:
                options[key] = option.default
        if when == "segment" and not options.get("keywords") and not options.get("okved"):
            ctx.p.error(line, where, "для условия «segment» нужны keywords = [\"…\"] или okved = [\"…\"]")
            ok = False
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            ctx.p.error(ctx.pos.line(*path, "enabled"), where, f"«enabled» — true или false; {_shown(enabled)}")
            ok = False
        if catch_all is not None and enabled:
            ctx.p.warn(line, where, f"правило никогда не сработает: перед ним правило «{catch_all.id}» (строка {catch_all.line}) срабатывает всегда")
        acknowledge = entry.get("acknowledge")
        if acknowledge is not None and not isinstance(acknowledge, bool):
            ctx.p.error(
                ctx.pos.line(*path, "acknowledge"), where,
                f"«acknowledge» — true (подтверждать клиенту) или false; {_shown(acknowledge)}",
            )  # fmt: skip
            ok = False
        if ok:
            spec = RuleSpec(str(rid), when, str(action), MappingProxyType(options), line, bool(enabled), acknowledge)
            specs.append(spec)
            if spec.enabled and spec.when == "fallback" and catch_all is None:
                catch_all = spec
    if entries and not any(s.when == "not_a_request" for s in specs):
        ctx.p.warn(0, "", "нет правила с условием not_a_request: автоответы и рассылки тоже будут пересылаться")
    return specs


def absence_chain(rules: Rules, manager: str, day: date) -> tuple[str, list[Absence]]:
    """Who stands in for `manager` on `day`: the backup, the backup's backup while they
    are away too, the department head when the chain runs out or loops."""
    chain: list[Absence] = []
    current = manager
    seen = {manager}
    while (absence := rules.absence_on(current, day)) is not None:
        chain.append(absence)
        nxt = absence.backup
        if nxt in seen or (len(chain) > 1 and not rules.department.backup_chain):
            return rules.department.head, chain
        seen.add(nxt)
        current = nxt
    return current, chain


def day_in(rules: Rules, moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=rules.department.timezone)
    return moment.astimezone(rules.department.timezone).date()


def start_of_day(rules: Rules, moment: datetime) -> datetime:
    local = moment.astimezone(rules.department.timezone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def window_start(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)


__all__ = [
    "CONDITIONS",
    "Absence",
    "Department",
    "Manager",
    "Pool",
    "RuleSpec",
    "Rules",
    "Territory",
    "absence_chain",
    "check",
    "derive_forms",
    "examine",
    "load_rules",
    "read_names",
]

