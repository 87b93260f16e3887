"""`inboxbot check`'s verdict on a rules file, for the command and the web's rules page:
the rules, their templates and the client base, every error and warning in Russian with
its line."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from inboxbot.compose.template_check import load_templates
from inboxbot.errors import RulesError
from inboxbot.rules.load import examine
from inboxbot.rules.model import Rules


@dataclass(frozen=True, slots=True)
class Verdict:
    rules: Rules | None  # None when the file does not load
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def check_rules(path: Path) -> Verdict:
    """Load `path` as the worker would, then its templates; a client base that loads but
    looks damaged is an error too (the worker would run on a part of it)."""
    rules, errors, warnings = examine(path)
    if rules is not None:
        try:
            load_templates(rules)
        except RulesError as exc:
            errors.append(str(exc))
        else:
            if rules.clients.damage and not errors:
                errors.append(f"база клиентов повреждена (замечаний: {len(rules.clients.damage)}, см. выше); "
                              "исправьте файл и повторите проверку")  # fmt: skip
    return Verdict(rules if not errors else None, tuple(errors), tuple(warnings))


def check_edit(rules_path: Path, data: bytes) -> Verdict:
    """The verdict on `data` as the new text of `rules_path`, which stays as it is: the
    text is checked from a temporary file beside it (the client base and the other files
    it names are found where the worker would find them), named like it in the messages."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Verdict(None, (f"{rules_path.name}: файл не в кодировке UTF-8 (байт {exc.start + 1}); "
                              "сохраните его в UTF-8 и загрузите снова",), ())  # fmt: skip
    temp = rules_path.with_name(f".{rules_path.stem}.upload-{secrets.token_hex(6)}{rules_path.suffix}")
    try:
        temp.write_bytes(data)
        verdict = check_rules(temp)
    finally:
        temp.unlink(missing_ok=True)

    def named(lines: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(line.replace(temp.name, rules_path.name) for line in lines)

    return Verdict(verdict.rules, named(verdict.errors), named(verdict.warnings))
