"""[[rule]] entries: the condition, its options (validated against the condition's own
declaration in the registry), the action."""

from __future__ import annotations

from typing import Any

from inboxbot.model.decision import ACTIONS
from inboxbot.route.conditions.catalog import CONDITIONS
from inboxbot.rules.model import RuleSpec
from inboxbot.rules.options import COMMON_RULE_KEYS, OptionInfo, declared
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
        valid_keys = (*COMMON_RULE_KEYS, *condition.option_names)
        for key in entry:
            if key not in valid_keys:
                hint = MOVED_OPTIONS.get(key) or suggest(key, valid_keys)
                ctx.p.error(
                    ctx.pos.line(*path, key), where,
                    f"неизвестный параметр «{key}»{hint} для условия «{when}». Допустимые: {valid_list(valid_keys)}",
                )  # fmt: skip
                ok = False
        default_action = condition.default_action(has_owner="owner" in entry)
        action = ctx.choice(entry, "action", ACTIONS, path, where, default_action, unknown="неизвестное действие")
        if action is None:
            ok = False
        read = Section(ctx, entry, path, where, declared={"note": _NOTE})
        if "note" in entry:
            value_of(read, "note", _NOTE, None)
        options: dict[str, Any] = {}
        for declaration, option in declared(condition.options):
            key = declaration.name
            if key in entry:
                read.declared[key] = _setting(key, option)
                options[key] = value_of(read, key, read.declared[key], declaration.default)
            elif option.required:
                ctx.p.error(line, where, f"для условия «{when}» нужен параметр «{key}»" + (
                    f". Допустимые менеджеры: {valid_list(ctx.manager_ids)}" if option.kind == "manager" else ""))
                ok = False
        ok = ok and not read.bad
        typed = condition.options(**options)
        problem = typed.problem()
        if problem is not None:
            ctx.p.error(line, where, problem)
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
            spec = RuleSpec(str(rid), when, str(action), typed, line, bool(enabled), acknowledge)
            specs.append(spec)
            if spec.enabled and spec.when == "fallback" and catch_all is None:
                catch_all = spec
    if entries and not any(s.when == "not_a_request" for s in specs):
        ctx.p.warn(0, "", "нет правила с условием not_a_request: автоответы и рассылки тоже будут пересылаться")
    return specs


