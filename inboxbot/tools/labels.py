"""A labelled folder: `.eml` files and a `labels.json` as in tests/corpus (one object per
file name), with an optional `clients.csv` (the client base the labels refer to)."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

from inboxbot.errors import InboxbotError


class LabelsError(InboxbotError):
    """The labelled folder is unusable: no labels.json, bad JSON, or files missing."""


@dataclass(frozen=True, slots=True)
class Label:
    """What the labeller expects of one mail. `owner_labelled` / `action_labelled` say
    whether the label names them at all (a fixture set may label extraction only)."""

    file: str
    sender_company: str | None
    inn: str | None
    inn_source: str | None
    region_code: str | None
    action: str
    rule: str | None = None
    region_in_mail: bool | None = None
    owner: str | None = None
    owner_labelled: bool = False
    action_labelled: bool = False
    base_rule: str | None = None


def load_labels(folder: Path) -> list[Label]:
    """The labels of a folder, in file-name order. Raises LabelsError naming the fix."""
    path = folder / "labels.json"
    if not path.is_file():
        raise LabelsError(f"{path}: нет файла разметки labels.json (формат — как в tests/corpus/labels.json в репозитории inboxbot; поля описаны в tests/corpus/README.md)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: не читается как JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise LabelsError(f"{path}: ожидался объект {{имя файла: разметка}}")
    missing = sorted(name for name in data if not (folder / name).is_file())
    if missing:
        raise LabelsError(f"{path}: нет файлов, названных в разметке: {', '.join(missing[:5])}" + (" …" if len(missing) > 5 else ""))
    labels = []
    for name in sorted(data):
        item = data[name]
        labels.append(
            Label(
                file=name,
                sender_company=item.get("sender_company"),
                inn=item.get("inn"),
                inn_source=item.get("inn_source"),
                region_code=item.get("region_code"),
                action=item.get("expected_action") or "forward",
                rule=item.get("rule"),
                region_in_mail=item.get("region_in_mail"),
                owner=item.get("expected_owner"),
                owner_labelled="expected_owner" in item,
                action_labelled="expected_action" in item,
                base_rule=item.get("base_rule"),
            )
        )
    return labels


def load_client_names(folder: Path) -> dict[str, tuple[str, ...]]:
    """Canonical client name → its alt_names, from clients.csv in the folder (empty if none)."""
    path = folder / "clients.csv"
    if not path.is_file():
        return {}
    names: dict[str, tuple[str, ...]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            alts = tuple(a.strip() for a in re.split(r"[;|]", row.get("alt_names") or "") if a.strip())
            names[row["name"]] = alts
    return names
