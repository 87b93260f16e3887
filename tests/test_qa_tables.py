"""The secretary's tables saved with junk (cp1251, control bytes, a pasted page): each
error names the cell briefly and readably, never the whole paste or invisible bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import RULES, demo_department

from inboxbot.errors import RulesError
from inboxbot.rules.load import load_rules

PASTE = "я" * 5000


@pytest.mark.parametrize(("section", "header"), [
    ("presence", "дата;менеджер;заместитель;с;до;причина"),
    ("roster", "дата;с;до;менеджер"),
])  # fmt: skip
def test_a_junk_cell_is_named_short_and_without_control_bytes(tmp_path: Path, section: str, header: str) -> None:
    rules = demo_department(tmp_path, RULES.read_text(encoding="utf-8") + f'\n[{section}]\nfile = "t.csv"\n')
    table = f"{header}\r\n\x00\x01garbage;;;\r\n{PASTE};;;\r\n03.02.2027;Никтоев\x07{PASTE};;\r\n"
    (tmp_path / "t.csv").write_bytes(table.encode("cp1251"))
    with pytest.raises(RulesError) as caught:
        load_rules(rules)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3, lines
    for line in lines:
        assert len(line) < 400, line[:200]
        assert not any(ord(c) < 32 for c in line), repr(line[:200])
    assert "«garbage»" in lines[0] and "«яяя" in lines[1] and "…»" in lines[1]
