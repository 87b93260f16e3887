"""One registry entry per condition: its name in rules.toml, its typed options (their
defaults and declarations) and its code, together. The rules reader validates [[rule]]
options from the same entry that routing runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from inboxbot.route.context import Match, Miss, Situation
from inboxbot.rules.options import ConditionOptions, declared

OptionsT = TypeVar("OptionsT", bound=ConditionOptions)
Check = Callable[[OptionsT, Situation], "Match | Miss"]


@dataclass(frozen=True, slots=True)
class Condition(Generic[OptionsT]):
    """A condition: `check(options, situation)` decides or says why not. `action` is the
    action of a rule that names none; `action_without_owner` replaces it when the rule
    names no owner either (fallback: to manual triage)."""

    name: str
    options: type[OptionsT]
    check: Check[OptionsT]
    action: str = "forward"
    action_without_owner: str | None = None

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(f.name for f, _ in declared(self.options))

    def default_action(self, has_owner: bool) -> str:
        if self.action_without_owner is not None and not has_owner:
            return self.action_without_owner
        return self.action

    def run(self, options: ConditionOptions, situation: Situation) -> Match | Miss:
        if not isinstance(options, self.options):  # a bug: a rule built by hand with another's options
            raise TypeError(f"condition {self.name!r} takes {self.options.__name__}, not {type(options).__name__}")
        return self.check(options, situation)


def condition(
    name: str, options: type[OptionsT], *, action: str = "forward", action_without_owner: str | None = None
) -> Callable[[Check[OptionsT]], Condition[OptionsT]]:
    """Registers the decorated function as the condition `name` taking `options`."""

    def register(check: Check[OptionsT]) -> Condition[OptionsT]:
        return Condition(name, options, check, action, action_without_owner)

    return register
