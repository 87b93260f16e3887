"""The options each condition of [[rule]] takes, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inboxbot.rules.model import AMBIGUITY_CHOICES

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

