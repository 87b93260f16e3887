"""click in Russian: its help headings, usage line, help option and error messages.

click has no Russian catalogue. It passes every text a user sees through
`gettext.gettext` and `gettext.ngettext`, imported by name into each of its modules
(`from gettext import gettext as _`). `install()` rebinds those names in click's modules
to the look-ups below, so the texts are translated where click makes them, with their
fields filled in as click fills them. Nothing global to other programs is touched
(the process-wide gettext domain stays as it is). A test reads click's source and fails
when a newer click adds a text this catalogue does not have.

Call `install()` before the commands are declared: click.Path names its metavar
(«ФАЙЛ», «ПАПКА») when an option is created.
"""

from __future__ import annotations

import importlib
import sys

import click

# click's message id → Russian. Fields ({name}, %(prog)s) are kept as click fills them.
MESSAGES: dict[str, str] = {
    # help
    "Usage:": "Использование:",
    "Options": "Параметры",
    "Positional arguments": "Аргументы",
    "Commands": "Команды",
    "Show this message and exit.": "Показать эту справку и выйти.",
    "Show the version and exit.": "Показать версию и выйти.",
    "%(prog)s, version %(version)s": "%(prog)s, версия %(version)s",
    "default: {default}": "по умолчанию: {default}",
    "required": "обязательно",
    "env var: {var}": "переменная окружения: {var}",
    "(dynamic)": "(вычисляется)",
    "deprecated": "устарело",
    "Confirm the action without prompting.": "Подтвердить действие без вопроса.",
    "Do you want to continue?": "Продолжить?",
    "file": "файл",
    "directory": "папка",
    "path": "путь",
    "Choice({choices})": "Один из ({choices})",
    "Choose from:\n\t{choices}": "Выберите из:\n\t{choices}",
    # errors
    "Error: {message}": "Ошибка: {message}",
    "Try '{command} {option}' for help.": "Справка: {command} {option}",
    "Aborted!": "Прервано.",
    "Missing command.": "Не указана команда.",
    "Missing argument": "Не указан аргумент",
    "Missing option": "Не указан параметр",
    "Missing parameter": "Не указан параметр",
    "Missing {param_type}": "Не указано: {param_type}",
    "Missing parameter: {param_name}": "Не указан параметр: {param_name}",
    "No such option {name!r}.": "Нет такого параметра {name!r}.",
    "No such command {name!r}.": "Нет такой команды {name!r}.",
    "Invalid value for {param_hint}: {message}": "Неверное значение {param_hint}: {message}",
    "Invalid value: {message}": "Неверное значение: {message}",
    "unknown error": "неизвестная ошибка",
    "Could not open file {filename!r}: {message}": "Не удалось открыть файл {filename!r}: {message}",
    "Option {name!r} does not take a value.": "Параметру {name!r} значение не нужно.",
    "Argument {name!r} takes {nargs} values.": "Аргументу {name!r} нужно значений: {nargs}.",
    "Invalid start character for option ({option})": "Параметр начинается с недопустимого знака ({option})",
    "Value must be an iterable.": "Нужен список значений.",
    "Name '{name}' defined twice": "Имя '{name}' задано дважды",
    "{name} {filename!r} does not exist.": "{name} {filename!r} не существует.",
    "{name} {filename!r} is a file.": "{name} {filename!r} — это файл, а нужна папка.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} — это папка, а нужен файл.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} нельзя прочитать: нет прав.",
    "{name} {filename!r} is not writable.": "В {name} {filename!r} нельзя записать: нет прав.",
    "{name} {filename!r} is not executable.": "{name} {filename!r} нельзя запустить.",
    "{value} is not in the range {range}.": "{value} вне допустимых пределов {range}.",
    "{value!r} is not a valid {number_type}.": "{value!r} — не {number_type}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} — не да/нет. Допустимые: {states}",
    "{value!r} is not a valid UUID.": "{value!r} — не UUID.",
    "Error: invalid input": "Ошибка: неверный ввод",
    "Error: The two entered values do not match.": "Ошибка: введённые значения не совпадают.",
    "Repeat for confirmation": "Повторите для подтверждения",
    "Press any key to continue...": "Нажмите любую клавишу…",
    "Unknown color {colour!r}": "Неизвестный цвет {colour!r}",
    "Unknown standard stream '{name}'": "Неизвестный стандартный поток '{name}'",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}":
        "Предупреждение: команда {name!r} устарела.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}":
        "Предупреждение: {param_type} {name!r} устарел.{extra_message}",
    "{editor}: Editing failed": "{editor}: правка не удалась",
    "{editor}: Editing failed: {e}": "{editor}: правка не удалась: {e}",
    "Windows error: {error}": "Ошибка Windows: {error}",
    "Couldn't detect Bash version, shell completion is not supported.":
        "Не удалось узнать версию Bash, дополнение команд не поддерживается.",
    "Shell completion is not supported for Bash versions older than 4.4.":
        "Дополнение команд работает в Bash 4.4 и новее.",
    # Mistakes in declaring commands: for a developer, but in the same language as the rest.
    "Could not determine name for option with declarations {decls!r}": "Не удалось определить имя параметра {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?": "Имя передано без параметра ({name}): объявите аргумент или '--{name}'.",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.":
        "У аргумента одно объявление, а передано {length}: {decls}.",
    "Boolean option {decl!r} cannot use the same flag for true/false.":
        "Флаг {decl!r} не может означать и да, и нет.",
    # "d" is the key for "[d]one" in click's editor prompt on Windows.
    "d": "d",
}  # fmt: skip

# ngettext: click's singular message id → the Russian forms for 1, 2–4 and 5+ (1 день, 2 дня, 5 дней).
PLURALS: dict[str, tuple[str, str, str]] = {
    "Got unexpected extra argument ({args})": (
        "Лишний аргумент ({args})", "Лишние аргументы ({args})", "Лишние аргументы ({args})",
    ),
    "Takes {nargs} values but 1 was given.": (
        "Нужно значений: {nargs}, а дано {len}.", "Нужно значений: {nargs}, а дано {len}.",
        "Нужно значений: {nargs}, а дано {len}.",
    ),
    "Did you mean {possibility}?": (
        "Может быть, {possibility}?", "(Может быть, одно из: {possibilities}?)", "(Может быть, одно из: {possibilities}?)",
    ),
    "Option {name!r} requires an argument.": (
        "Параметру {name!r} нужно значение.", "Параметру {name!r} нужно значений: {nargs}.",
        "Параметру {name!r} нужно значений: {nargs}.",
    ),
    "{value!r} is not {choice}.": (
        "{value!r} — не {choice}.", "{value!r} — не из списка: {choices}.", "{value!r} — не из списка: {choices}.",
    ),
    "{value!r} does not match the format {format}.": (
        "{value!r} не в формате {format}.", "{value!r} не в форматах {formats}.", "{value!r} не в форматах {formats}.",
    ),
    "{len_type} values are required, but {len_value} was given.": (
        "Нужно значений: {len_type}, а дано {len_value}.", "Нужно значений: {len_type}, а дано {len_value}.",
        "Нужно значений: {len_type}, а дано {len_value}.",
    ),
}  # fmt: skip

# Metavars that click spells in English in its constructors, not through gettext.
OPTIONS_METAVAR = "[ПАРАМЕТРЫ]"
SUBCOMMAND_METAVAR = "КОМАНДА [АРГУМЕНТЫ]..."
_MODULES = ("core", "exceptions", "types", "parser", "decorators", "formatting", "termui", "utils", "_termui_impl",
            "shell_completion")  # fmt: skip


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def _plural_index(n: int) -> int:
    """Russian plural form: 0 for 1, 21, 31…; 1 for 2–4, 22–24…; 2 for the rest."""
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def ngettext(singular: str, plural: str, n: int) -> str:
    forms = PLURALS.get(singular)
    if forms is None:
        return singular if n == 1 else plural
    return forms[_plural_index(n)]


def install() -> None:
    """Rebind `_` and `ngettext` in click's modules to the Russian look-ups (idempotent)."""
    for name in _MODULES:
        module = sys.modules.get(f"click.{name}")
        if module is None:
            try:
                module = importlib.import_module(f"click.{name}")
            except ImportError:  # a click without this module (or, on Linux, its Windows console part)
                continue
        if hasattr(module, "_"):
            setattr(module, "_", gettext)  # noqa: B010 - a module global, not an attribute of ours
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", ngettext)  # noqa: B010


class Command(click.Command):
    """A command whose usage line says [ПАРАМЕТРЫ]."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


class Group(click.Group):
    """A group whose usage line says [ПАРАМЕТРЫ] КОМАНДА [АРГУМЕНТЫ]... and whose
    commands are `Command`s."""

    command_class = Command

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def translated(message: str) -> bool:
    """Whether click's message id has a Russian text (for the test that reads click's source)."""
    return message in MESSAGES or message in PLURALS


__all__ = ["Command", "Group", "gettext", "install", "ngettext", "translated"]
