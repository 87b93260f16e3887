"""[[rule]] entries: the condition, its options (validated against the condition's own
declaration in the registry), the action."""

from __future__ import annotations

from typing import Any

from inboxbot.model.decision import ACTIONS
from inboxbot.route.conditions.catalog import COMBINERS, CONDITIONS
from inboxbot.route.conditions.combined import Part
from inboxbot.rules.model import Pool, RuleSpec
from inboxbot.rules.options import COMMON_RULE_KEYS, ConditionOptions, OptionInfo, declared
from inboxbot.rules.problems import shown, suggest, valid_list
from inboxbot.rules.reader import Reader, section_array
from inboxbot.rules.settings import Section, Setting, value_of

# Rule options that moved to a section: the error says where they went.
MOVED_OPTIONS = {
    "relays": " (он перенесён в [department]: relays там действует для всех команд письмом — "
              "«переслать» и «передать»)",
}  # fmt: skip


def _setting(key: str, option: OptionInfo) -> Setting:
    """A condition's option read as a section key is, with the messages [[rule]] gives."""
    if option.kind == "choice":
        return Setting("choice", choices=option.choices, unknown=f"«{key}»: неизвестное значение")
    if option.kind == "manager":
        return Setting("manager", label=key)
    kind, what = {"bool": ("bool", "true или false"), "number": ("number", "число"), "str": ("text", "текст в кавычках")}.get(
        option.kind, ("str_list", "")
    )
    return Setting(kind, what=what, quoted=True)


_NOTE = Setting("text", example="заметка для себя")


def read_rule_specs(ctx: Reader) -> list[RuleSpec]:
    entries = section_array(ctx, "rule")
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
                f"id — короткое имя латиницей в кавычках, например id = \"pool\"; {shown(rid)}",
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
                text = f"не указано условие (when = \"…\"). Допустимые: {valid_list(CONDITIONS)}"
            elif not isinstance(when, str):
                text = (
                    f"when — название одного условия в кавычках, например when = \"pool\"; {shown(when)}. "
                    f"Допустимые: {valid_list(CONDITIONS)}"
                )
            else:
                text = f"неизвестное условие «{when}»{suggest(when, list(CONDITIONS))}. Допустимые: {valid_list(CONDITIONS)}"
            ctx.p.error(ctx.pos.line(*path, "when"), where, text)
            ctx.unknown_keys(entry, tuple(COMMON_RULE_KEYS) + tuple(sorted({k for c in CONDITIONS.values() for k in c.option_names})), path, where)
            continue
        condition = CONDITIONS[when]
        options, good = _options(ctx, entry, path, where, when, line, inside=False)
        ok = ok and good
        default_action = condition.default_action(has_owner="owner" in entry)
        action = ctx.choice(entry, "action", ACTIONS, path, where, default_action, unknown="неизвестное действие")
        if action is None:
            ok = False
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            ctx.p.error(ctx.pos.line(*path, "enabled"), where, f"«enabled» — true или false; {shown(enabled)}")
            ok = False
        if catch_all is not None and enabled:
            ctx.p.warn(line, where, f"правило никогда не сработает: перед ним правило «{catch_all.id}» (строка {catch_all.line}) срабатывает всегда")
        acknowledge = entry.get("acknowledge")
        if acknowledge is not None and not isinstance(acknowledge, bool):
            ctx.p.error(
                ctx.pos.line(*path, "acknowledge"), where,
                f"«acknowledge» — true (подтверждать клиенту) или false; {shown(acknowledge)}",
            )  # fmt: skip
            ok = False
        if ok:
            assert options is not None
            spec = RuleSpec(str(rid), when, str(action), options, line, bool(enabled), acknowledge)
            specs.append(spec)
            if spec.enabled and spec.when == "fallback" and catch_all is None:
                catch_all = spec
    if entries and not any(s.when == "not_a_request" for s in specs):
        ctx.p.warn(0, "", "нет правила с условием not_a_request: автоответы и рассылки тоже будут пересылаться")
    return specs


def _options(
    ctx: Reader, entry: dict[str, Any], path: tuple[object, ...], where: str, when: str, line: int, *, inside: bool
) -> tuple[ConditionOptions | None, bool]:
    """The typed options of condition `when` from `entry` (a [[rule]], or one part of an
    all/any when `inside`), every problem reported; (options, whether all were valid)."""
    condition = CONDITIONS[when]
    common = ("when",) if inside else COMMON_RULE_KEYS
    valid_keys = (*common, *condition.option_names)
    ok = True
    for key in entry:
        if key not in valid_keys:
            ctx.p.error(
                ctx.pos.line(*path, key) if not inside else line, where,
                f"неизвестный параметр «{key}»{MOVED_OPTIONS.get(key) or suggest(key, valid_keys)} для условия «{when}». "
                f"Допустимые: {valid_list(valid_keys)}",
            )  # fmt: skip
            ok = False
    read = Section(ctx, entry, path, where, declared={"note": _NOTE})
    if "note" in entry and not inside:
        value_of(read, "note", _NOTE, None)
    options: dict[str, Any] = {}
    for declaration, option in declared(condition.options):
        key = declaration.name
        if option.kind == "conditions":
            options[key], good = _parts(ctx, entry.get(key), (*path, key), where, line)
            ok = ok and good
        elif key in entry:
            read.declared[key] = _setting(key, option)
            options[key] = value_of(read, key, read.declared[key], declaration.default)
        elif option.required and not (inside and option.kind == "manager"):
            # Inside all/any a part without its owner is a filter: the rule or another part names the manager.
            ctx.p.error(line, where, f"для условия «{when}» нужен параметр «{key}»" + (
                f". Допустимые менеджеры: {valid_list(ctx.manager_ids)}" if option.kind == "manager" else ""))
            ok = False
    ok = ok and not read.bad
    typed = condition.options(**options)
    problem = typed.problem() if ok else None
    if problem is not None:
        ctx.p.error(line, where, problem)
        ok = False
    if ok and when in COMBINERS and not _names_an_owner(typed):
        ctx.p.error(line, where, f"ни одно условие в conditions не выбирает менеджера: укажите owner = \"…\". Допустимые менеджеры: {valid_list(ctx.manager_ids)}")
        ok = False
    return typed, ok


def _parts(ctx: Reader, value: Any, path: tuple[object, ...], where: str, rule_line: int) -> tuple[tuple[Part, ...], bool]:
    """conditions = [{ when = "…", … }, …]: each part read as a rule's condition is."""
    line = ctx.pos.line(*path) if value is not None else rule_line
    example = "conditions = [{ when = \"public_sector\" }, { when = \"region\", regions = [\"77\"] }]"
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        ctx.p.error(line, where, f"conditions — список условий в квадратных скобках, каждое в фигурных: {example}; {shown(value)}")
        return (), False
    parts: list[Part] = []
    ok = True
    inner = tuple(c for c in CONDITIONS if c not in COMBINERS)
    for index, table in enumerate(value):
        at = ctx.pos.item_line(path, index)
        when = table.get("when")
        if not isinstance(when, str) or when not in inner:
            text = (f"внутри all/any условия не вкладываются: вместо «{when}» перечислите его условия здесь же"
                    if when in COMBINERS else
                    f"условие №{index + 1} в conditions: неизвестное условие {shown(when) if not isinstance(when, str) else f'«{when}»'}"
                    f"{suggest(when, list(inner)) if isinstance(when, str) else ''}. Допустимые: {valid_list(inner)}")
            ctx.p.error(at, where, text)
            ok = False
            continue
        options, good = _options(ctx, table, (*path, index), where, when, at, inside=True)
        if good and options is not None:
            parts.append(Part(when, options, at))
        ok = ok and good
    return tuple(parts), ok


def _names_an_owner(options: ConditionOptions) -> bool:
    """An all/any rule names its manager itself, or one of its parts can choose one."""
    if getattr(options, "owner", None):
        return True
    return any(not _is_filter(p) for p in getattr(options, "conditions", ()))


def _is_filter(part: Part) -> bool:
    """A part whose condition needs an owner it was not given: it can only say yes or no."""
    return any(o.kind == "manager" and o.required and getattr(part.options, f.name) is None for f, o in declared(type(part.options)))


def check_pool_names(ctx: Reader, specs: list[RuleSpec], pools: tuple[Pool, ...]) -> None:
    """Each pool a rule (or a part of one) names exists."""
    names = [p.name for p in pools]
    for spec in specs:
        where = f"правило «{spec.id}»"
        for when, options, line in ((spec.when, spec.options, spec.line), *((p.when, p.options, p.line) for p in getattr(spec.options, "conditions", ()))):
            if when != "pool":
                continue
            wanted = getattr(options, "pool", None)
            if not pools:
                ctx.p.error(line, where, "нет раздела [pool] со списком участников (members)")
            elif wanted is not None and wanted not in names:
                ctx.p.error(line, where, f"неизвестная очередь «{wanted}»{suggest(wanted, names)}. Допустимые: {valid_list(names)}")


