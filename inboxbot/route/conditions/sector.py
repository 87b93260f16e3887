"""Kinds of customer the department treats apart: vip, public_sector, segment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from inboxbot.directory.names import normal_form
from inboxbot.route.caps import capped
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import identity_reasons, quoted, who
from inboxbot.rules.forms import fold
from inboxbot.rules.options import ConditionOptions, option

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


@dataclass(frozen=True, slots=True)
class VipOptions(ConditionOptions):
    owner: str | None = option(None, "manager", what="кому отдавать VIP (по умолчанию — владелец из vip.csv)")


@dataclass(frozen=True, slots=True)
class PublicSectorOptions(ConditionOptions):
    owner: str | None = option(None, "manager", required=True, what="кому отдавать госзаказчиков")
    laws: tuple[str, ...] = option(("44-ФЗ",), "str_list", what="законы о закупках, по которым покупают госзаказчики")
    forms: tuple[str, ...] = option(PUBLIC_FORMS, "str_list", what="организационные формы госучреждений (ГБУ, МКУ…)")
    name_words: tuple[str, ...] = option(PUBLIC_NAME_WORDS, "str_list", what="с чего начинается название госоргана")
    existing_clients: bool = option(True, "bool", what="госучреждение из базы клиентов — тоже сюда")


@dataclass(frozen=True, slots=True)
class SegmentOptions(ConditionOptions):
    owner: str | None = option(None, "manager", required=True, what="кому отдавать письма отрасли")
    keywords: tuple[str, ...] = option((), "str_list", what="ключевые слова в теме или тексте")
    okved: tuple[str, ...] = option((), "str_list", what="коды ОКВЭД")

    def problem(self) -> str | None:
        if not self.keywords and not self.okved:
            return "для условия «segment» нужны keywords = [\"…\"] или okved = [\"…\"]"
        return None


@condition("vip", VipOptions)
def vip(options: VipOptions, s: Situation) -> Match | Miss:
    if not s.rules.vip:
        return Miss("список VIP пуст")
    ident = s.identity
    client = ident.client
    inns = {x for x in (client.inn if client else None, ident.inn.value if ident.inn else None) if x}
    entry = next((v for v in s.rules.vip if v.inn and v.inn in inns), None)
    if entry is None and client is not None:
        entry = next((v for v in s.rules.vip if fold(v.name) == fold(client.name)), None)
    if entry is None:
        what = f"клиент {quoted(client.name)} не в списке VIP" if client else "клиент не опознан"
        return Miss(what)
    owner = options.owner or entry.owner
    since = f" с {entry.since}" if entry.since else ""
    reasons = [*identity_reasons(ident, s.rules), f"VIP-клиент{since} (vip.csv, строка {entry.line}) → {who(s.rules, owner)}"]
    return Match(owner, f"VIP {quoted(entry.name)}", tuple(reasons), client=client.ref() if client else None)


_FIRST_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]+")
COMMERCIAL_FORMS = frozenset(
    ["ООО", "ОАО", "ЗАО", "ПАО", "АО", "НАО", "ИП", "ЧП", "ТОО", "АНО", "ЧОУ", "ЧУЗ", "НОУ", "НКО", "ПК", "КФХ", "LLC", "LTD", "JSC", "GMBH"]
)


def _public_form(name: str | None, legal_form: str | None, options: PublicSectorOptions) -> str | None:
    """The public-sector legal form or name word a company name starts with, if any."""
    forms = {f.upper() for f in options.forms}
    if legal_form and legal_form.upper().replace(" ", "") in forms:
        return legal_form
    if not name:
        return None
    first = _FIRST_WORD.findall(name.strip().lstrip("«\"„"))
    if first and first[0].upper() in forms and first[0].isupper():
        return str(first[0])
    low = fold(name.strip())
    for word in options.name_words:
        if low.startswith(fold(word)):
            return str(word)
    return None


def _is_commercial(name: str | None, legal_form: str | None) -> bool:
    if legal_form and legal_form.upper() in COMMERCIAL_FORMS:
        return True
    first = _FIRST_WORD.findall(name or "")
    return bool(first) and first[0].upper() in COMMERCIAL_FORMS and first[0].isupper()


@condition("public_sector", PublicSectorOptions)
def public_sector(options: PublicSectorOptions, s: Situation) -> Match | Miss:
    owner = options.owner
    company = s.facts.company
    label = "госзаказчики"
    if company is not None:
        form = _public_form(company.name, company.legal_form, options)
        if form is None and company.public_sector:
            form = company.legal_form or "госучреждение"
        if form:
            return Match(
                owner,
                f"{quoted(company.name)} — {form}",
                (f"{quoted(company.name)} — государственное или муниципальное учреждение ({form})", f"{label} → {who(s.rules, owner)}"),
                client=s.identity.client.ref() if s.identity.client else None,
            )
    client = s.identity.client
    if client is not None and options.existing_clients:
        form = _public_form(client.name, None, options)
        if form:
            return Match(
                owner,
                f"клиент {quoted(client.name)} — {form}",
                (
                    *identity_reasons(s.identity, s.rules),
                    f"{quoted(client.name)} — государственное или муниципальное учреждение ({form})",
                    f"{label} → {who(s.rules, owner)}",
                ),
                client=client.ref(),
            )
    law = s.facts.purchase_law
    laws = {fold(x).replace(" ", "") for x in options.laws}
    if law and fold(law).replace(" ", "") in laws:
        commercial = (company is not None and _is_commercial(company.name, company.legal_form)) or (
            client is not None and _is_commercial(client.name, None)
        )
        if not commercial:
            return Match(
                owner,
                f"закупка по {law}",
                (f"отправитель закупает по {law}", f"{label} → {who(s.rules, owner)}"),
                client=client.ref() if client else None,
            )
        return Miss(f"упомянут {law}, но отправитель — коммерческая организация (поставщик, а не заказчик)")
    what = f"{quoted(company.name)} — не госучреждение" if company is not None else "организация отправителя не определена"
    return Miss(what + (f"; закупка по {law} — не госзаказ" if law else ""))

@condition("segment", SegmentOptions)
def segment(options: SegmentOptions, s: Situation) -> Match | Miss:
    return capped(_segment(options, s), s, "segment")


def _segment(options: SegmentOptions, s: Situation) -> Match | Miss:
    owner = options.owner
    text = fold(f"{s.msg.subject}\n{s.facts.new_text or s.msg.text}")
    words = [normal_form(w) for w in re.findall(r"[а-яa-z0-9]+", text)]
    for keyword in options.keywords:
        wanted = [normal_form(w) for w in re.findall(r"[а-яa-z0-9]+", fold(keyword))]
        size = len(wanted)
        if size and any(words[i : i + size] == wanted for i in range(len(words) - size + 1)):
            return Match(owner, f"ключевое слово «{keyword}»", (f"в письме «{keyword}» → {who(s.rules, owner)}",))
    codes = re.findall(r"оквэд\D{0,12}(\d{2}(?:\.\d{1,2}){0,2})", text)
    for code in codes:
        for prefix in options.okved:
            if code == prefix or code.startswith(prefix + "."):
                return Match(owner, f"ОКВЭД {code}", (f"ОКВЭД {code} → {who(s.rules, owner)}",))
    return Miss("ключевых слов и кодов ОКВЭД правила в письме нет")

