"""The start-up check of the templates (inboxbot.compose.template_check): it renders every
built-in template, so a broken override of any of them fails at start-up."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from samples import REPO, RULES

from inboxbot.compose.template_check import check_mail_templates, check_report_templates, load_templates
from inboxbot.compose.templates import TemplateError, Templates
from inboxbot.rules.load import load_rules

BUILT_IN = sorted(path.name for path in (REPO / "templates").glob("*.j2"))


class Recording(Templates):
    """Templates that remember which names were rendered."""

    def __init__(self, override_dir: Path | None = None) -> None:
        super().__init__(override_dir)
        self.rendered: set[str] = set()

    def render(self, name: str, **ctx: object) -> str:
        self.rendered.add(name)
        return super().render(name, **ctx)


def test_the_check_renders_every_built_in_template() -> None:
    templates = Recording()
    check_mail_templates(templates)
    check_report_templates(templates, load_rules(RULES))
    assert len(BUILT_IN) == 22
    assert sorted(templates.rendered) == BUILT_IN


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_broken_override_of_any_template_fails_the_load(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("{{ no_such_value }}\n", encoding="utf-8")
    rules = replace(load_rules(RULES), templates_dir=tmp_path)
    with pytest.raises(TemplateError, match=f"{re.escape(name)}, строка 1: переменная «no_such_value» не определена"):
        load_templates(rules)
