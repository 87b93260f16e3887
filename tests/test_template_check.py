"""The start-up check of the templates (inboxbot.compose.template_check): it renders every
built-in template, so a broken override of any of them fails at start-up."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
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
    assert len(BUILT_IN) == 26
    assert sorted(templates.rendered) == BUILT_IN


@pytest.mark.parametrize("name", BUILT_IN)
def test_a_broken_override_of_any_template_fails_the_load(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("{{ no_such_value }}\n", encoding="utf-8")
    rules = replace(load_rules(RULES), templates_dir=tmp_path)
    with pytest.raises(TemplateError, match=f"{re.escape(name)}, строка 1: переменная «no_such_value» не определена"):
        load_templates(rules)


def test_the_head_rewords_a_command_answer_by_file_name_and_the_html_is_escaped(tmp_path: Path) -> None:
    from email.message import EmailMessage

    from inboxbot.compose.context import ForwardContext, Recipient
    from inboxbot.compose.presence_answer import RECORDED, compose_presence_answer, presence_view
    from inboxbot.mail.message import Address

    (tmp_path / "presence_answer.txt.j2").write_text("{{ person }}: {{ absent }} нет {{ when }}, письма — {{ stand_in }}\n",
                                                     encoding="utf-8")  # fmt: skip
    head = Recipient("volkov", "Волков Андрей", "a.volkov@example.test")
    ctx = ForwardContext("Отдел", Address("", "bot@example.test"), (), head)
    view = presence_view(RECORDED, head.name, ctx, absent="Петров <script>", when="сегодня", stand_in="Сидоров")
    mail = compose_presence_answer("cmd@example.test", [], (head.email, head.name), "Записано", view, ctx,
                                   Templates(tmp_path), now=datetime(2026, 6, 16, 9, 0, tzinfo=UTC))  # fmt: skip
    assert isinstance(mail, EmailMessage)
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content().rstrip() == "Волков Андрей: Петров <script> нет сегодня, письма — Сидоров"
    assert "Петров &lt;script&gt;" in html.get_content() and "<script>" not in html.get_content()
