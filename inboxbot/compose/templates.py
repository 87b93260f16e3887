"""The jinja2 templates of the bot's mails: built-in ones, overridden by file name. Pure
but for reading the template files.

StrictUndefined, so a typo fails loudly instead of leaving a blank in a manager's mail;
autoescape for *.html.j2. Every template is rendered once at start-up with sample
values (template_check.py), so a broken override fails then and not on the first
forward.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
import traceback
from collections.abc import Callable
from pathlib import Path

import jinja2

from inboxbot.compose.russian import greeting_name, ru_date, ru_datetime
from inboxbot.errors import RulesError

TEMPLATE_NAMES = (
    "forward.txt.j2", "forward.html.j2", "absence_notice.txt.j2", "absence_notice.html.j2", "rules_error.txt.j2",
    "ack.txt.j2", "ack.html.j2", "ack_en.txt.j2", "ack_en.html.j2", "reminder.txt.j2", "reminder.html.j2", "escalation.txt.j2", "escalation.html.j2",
    "mailbox_notice.txt.j2", "skipped_digest.txt.j2", "skipped_digest.html.j2", "release_answer.txt.j2",
    "handover.txt.j2", "handover.html.j2", "ledger_refusal.txt.j2",
    "presence_answer.txt.j2", "presence_answer.html.j2", "credit_answer.txt.j2", "credit_answer.html.j2",
)


class TemplateError(RulesError):
    """A template is missing, does not parse, or uses a name the context lacks.
    A RulesError because the template folder is named in rules.toml."""


def _autoescape(name: str | None) -> bool:
    # jinja's select_autoescape looks at the last extension only, and ours is ".j2".
    return name is not None and name.endswith((".html.j2", ".htm.j2", ".html", ".htm"))


def _load_default(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    resource = importlib.resources.files("inboxbot.templates").joinpath(name)
    if not resource.is_file():
        return None
    return resource.read_text("utf-8"), f"(встроенный) {name}", lambda: True


@functools.lru_cache(maxsize=1)
def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (jinja2's per-user folder in the temp dir,
    checked to be private): compiling the 15 templates is most of what `inboxbot check`
    and start-up spend on them. A template whose text changed is compiled anew (the
    cache compares the source); no usable temp folder → no cache."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


class Templates:
    """The jinja2 environment: templates in `override_dir` win over the built-in ones
    (package `inboxbot.templates`); StrictUndefined, so a typo fails loudly instead of
    leaving a blank in a manager's mail; autoescape for *.html.j2."""

    def __init__(self, override_dir: Path | str | None = None) -> None:
        self.override_dir = Path(override_dir) if override_dir is not None else None
        loaders: list[jinja2.BaseLoader] = []
        if self.override_dir is not None:
            if not self.override_dir.is_dir():
                raise TemplateError(f"папка шаблонов {self.override_dir} не найдена")
            loaders.append(jinja2.FileSystemLoader(self.override_dir))
        loaders.append(jinja2.FunctionLoader(_load_default))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            bytecode_cache=_bytecode_cache(),
            autoescape=_autoescape,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters.update(ru_date=ru_date, ru_datetime=ru_datetime, greeting=greeting_name)

    def render(self, name: str, **ctx: object) -> str:
        """Render one template; every failure is a TemplateError naming the file and line."""
        try:
            template = self.env.get_template(name)
        except jinja2.TemplateNotFound:
            where = f"ни в папке {self.override_dir}, ни " if self.override_dir else ""
            raise TemplateError(
                f"шаблон «{name}» не найден {where}среди встроенных; встроенные: {', '.join(TEMPLATE_NAMES)}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"шаблон {exc.filename or name}, строка {exc.lineno}: ошибка синтаксиса: {exc.message}") from None
        try:
            return template.render(**ctx)
        except jinja2.UndefinedError as exc:
            line = _template_line(exc, template.filename)
            where = f", строка {line}" if line else ""
            raise TemplateError(
                f"шаблон {template.filename or name}{where}: {_undefined_words(exc)}; "
                f"доступны: {', '.join(sorted(ctx))}"
            ) from None


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    # jinja rewrites the traceback so template frames carry the template's file and line.
    if not filename:
        return None
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    return lines[-1] if lines else None


def _undefined_words(exc: jinja2.UndefinedError) -> str:
    match = re.match(r"'([^']+)' is undefined", str(exc))
    if match:
        return f"переменная «{match.group(1)}» не определена"
    match = re.match(r"'.*' has no attribute '([^']+)'", str(exc))
    if match:
        return f"у значения нет поля «{match.group(1)}»"
    return f"неопределённое значение ({exc})"
