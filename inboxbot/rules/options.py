"""How a condition declares its options: a frozen dataclass whose fields are the options,
whose field defaults are the option defaults, and whose field metadata say what kind of
value each takes. The conditions themselves (route.conditions) declare them next to their
code; the [[rule]] reader validates rules.toml against those declarations."""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from typing import Any

# Keys every [[rule]] may have, whatever its condition.
COMMON_RULE_KEYS = ("id", "when", "action", "enabled", "note", "acknowledge")
KINDS = ("bool", "str", "manager", "str_list", "number", "choice", "conditions")


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """What an option takes. kind: one of KINDS; `what` says it in Russian for the docs."""

    kind: str
    what: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False


def option(default: Any, kind: str, *, what: str = "", choices: tuple[str, ...] = (), required: bool = False) -> Any:
    """A field of a condition's options dataclass: its default and how rules.toml writes it."""
    if kind not in KINDS:
        raise ValueError(f"unknown option kind {kind!r}")
    return field(default=default, metadata={"option": OptionInfo(kind, what, choices, required)})


@dataclass(frozen=True, slots=True)
class ConditionOptions:
    """The options of a condition that takes none; the base of those that take some."""

    def problem(self) -> str | None:
        """What is wrong with the options taken together (each was valid alone), or None."""
        return None


def declared(options: type[ConditionOptions]) -> tuple[tuple[Field[Any], OptionInfo], ...]:
    """The option fields of an options dataclass with their declarations, in order."""
    return tuple((f, f.metadata["option"]) for f in fields(options))
