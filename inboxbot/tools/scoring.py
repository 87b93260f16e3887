"""How well extraction finds the sender's INN, company and region on a labelled folder.

A labelled folder holds `.eml` files and a `labels.json` as in tests/corpus: one object
per file name with `sender_company`, `inn`, `inn_source`, `region_code` and `expected_action`
(other keys are ignored). A `clients.csv` next to it, if present, is the client base the
labels refer to: its `alt_names` count as correct spellings of a client's name.

Scoring rules (per mail, then summed per field):

* Mails with `expected_action == "skip"` are not scored: their identity fields are null
  because the mail is skipped, not because nobody could tell the sender.
* A field *found* by extraction is `Facts.company.inn`, `Facts.company.name` and
  `Facts.region.code`. Every found value counts for **precision**: it is right when it equals
  the label (the company name compared loosely, see `same_company`), wrong otherwise —
  including a value found where the label is null (an unknown or foreign sender has no region;
  a sender nobody can name has no company).
* **Recall** counts only mails where the mail itself shows the value, since the client base
  is not extraction's business:
  - INN: `inn_source` is `message`, `signature` or `attachment` (not `client_base`);
  - company: the label names a company and it is a new company (not in clients.csv), or the
    client's name (or one of its alt_names) can be read in the mail's text or attachments —
    every word of the name in any grammatical case;
  - region: the label has a region, the sender is not known from the client base
    (`inn_source != "client_base"`) and the label's rule is not `thread` (a reply inherits
    what the thread's first mail showed): then the labeller read the region from the mail
    (INN, KPP, address, city, phone code, domain). Otherwise the region is scored for
    precision only, unless the label says `"region_in_mail": true`.
  A mail whose value is found wrong counts as a miss for recall too.
* The company name is compared loosely: legal form, quotes, case, grammatical case and
  script do not matter, a sole proprietor's initials match the full name, and the words in
  brackets after a label's name (a note such as «(бывш. …)») are dropped.

`score_folder` returns a `Report`; `format_report` renders it as a Russian table with the
list of misses, `Report.as_dict` as JSON-ready data.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inboxbot.directory.names import (
    innermost_quoted,
    name_key,
    name_tokens,
    normal_form,
    score,
    skeleton,
)
from inboxbot.errors import InboxbotError
from inboxbot.extract.extract import Extractor
from inboxbot.mail.attachments import attachment_texts
from inboxbot.mail.message import ParsedMessage, parse
from inboxbot.model.facts import Facts

FIELDS = ("inn", "company", "region")
FIELD_TITLES = {"inn": "ИНН", "company": "Компания", "region": "Регион"}
MAIL_SOURCES = ("message", "signature", "attachment")


class LabelsError(InboxbotError):
    """The labelled folder is unusable: no labels.json, bad JSON, or files missing."""


@dataclass(frozen=True, slots=True)
class Label:
    file: str
    sender_company: str | None
    inn: str | None
    inn_source: str | None
    region_code: str | None
    action: str
    rule: str | None = None
    region_in_mail: bool | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One field of one mail. verdict: ok | wrong | extra (found where the label has none) |
    missed (not found though the mail shows it) | absent (neither) | unscored_ok."""

    file: str
    field: str
    expected: str | None
    found: str | None
    verdict: str
    in_recall: bool
    why: str = ""


@dataclass
class FieldScore:
    field: str
    right: int = 0  # found and equal to the label
    wrong: int = 0  # found, differs from the label (or the label is null)
    recall_total: int = 0  # mails where the mail shows the value
    recall_hit: int = 0

    @property
    def found(self) -> int:
        return self.right + self.wrong

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.recall_hit / self.recall_total if self.recall_total else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "right": self.right,
            "wrong": self.wrong,
            "recall_total": self.recall_total,
            "recall_hit": self.recall_hit,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


@dataclass
class Report:
    folder: str
    mails: int = 0
    skipped: int = 0
    fields: dict[str, FieldScore] = field(default_factory=lambda: {f: FieldScore(f) for f in FIELDS})
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.verdict in ("wrong", "extra", "missed")]

    def add(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        score_ = self.fields[outcome.field]
        if outcome.verdict == "ok":
            score_.right += 1
        elif outcome.verdict in ("wrong", "extra"):
            score_.wrong += 1
        if outcome.in_recall:
            score_.recall_total += 1
            score_.recall_hit += outcome.verdict == "ok"

    def as_dict(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "mails": self.mails,
            "skipped": self.skipped,
            "fields": {name: s.as_dict() for name, s in self.fields.items()},
            "misses": [
                {"file": o.file, "field": o.field, "expected": o.expected, "found": o.found, "verdict": o.verdict, "why": o.why}
                for o in self.misses
            ],
        }


# --- labels ------------------------------------------------------------------------------------


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


# --- comparing ---------------------------------------------------------------------------------

_NOTE_IN_BRACKETS = re.compile(r"\s*\([^)]*\)\s*$")


def same_company(got: str, want: str) -> bool:
    """Loose comparison of company names (legal form, quotes, case, grammatical case,
    script); a sole proprietor's initials match the full name."""
    want = _NOTE_IN_BRACKETS.sub("", want)
    if name_key(got) == name_key(want) or score(got, want) >= 85:
        return True
    inner_got, inner_want = innermost_quoted(got) or got, innermost_quoted(want) or want
    if name_key(inner_got) == name_key(inner_want):
        return True  # «ГБУЗ Республики Карелия «…»» = «ГБУЗ РК «…»», «ФГБОУ ВО «…»» = «…»
    g, w = name_key(got).split(), name_key(want).split()
    return bool(g and w) and g[0] == w[0] and ("ИП" in got or "ИП" in want)


_WORD = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")


def _text_words(text: str) -> set[str]:
    """The mail's words as name keys compare them: normal form, then one shared script."""
    return {skeleton(normal_form(w)) for w in _WORD.findall(text.lower().replace("ё", "е"))}


def name_shown(names: Iterable[str], words: set[str]) -> bool:
    """True when every word of one of `names` (legal form and generic words dropped) is in
    `words`, in any grammatical case."""
    for name in names:
        name = _NOTE_IN_BRACKETS.sub("", name)
        tokens = [skeleton(t) for t in name_tokens(name)]
        if tokens and all(t in words for t in tokens):
            return True
    return False


def mail_text(msg: ParsedMessage) -> str:
    """Everything a reader of the mail sees: subject, text, forwarded mails, attachments."""
    parts = [msg.subject, msg.text or msg.html]
    for inner in msg.forwarded:
        parts.append(mail_text(inner))
    parts.extend(t.text for t in attachment_texts(msg.attachments).texts)
    return "\n".join(parts)


# --- scoring -----------------------------------------------------------------------------------


def score_mail(label: Label, facts: Facts, msg: ParsedMessage, clients: dict[str, tuple[str, ...]]) -> list[Outcome]:
    """The outcomes of the three fields of one non-skipped mail (rules: module docstring)."""
    company = facts.company
    found_inn = company.inn if company else None
    found_name = company.name if company and company.name else None
    found_region = facts.region.code if facts.region else None
    outcomes = []

    inn_recall = label.inn is not None and label.inn_source in MAIL_SOURCES
    outcomes.append(_outcome(label.file, "inn", label.inn, found_inn, found_inn == label.inn, inn_recall))

    want = label.sender_company
    if want is None:
        name_recall, why = False, ""
    elif want not in clients:
        name_recall, why = True, "новая компания"
    else:
        name_recall = name_shown((want, *clients[want]), _text_words(mail_text(msg)))
        why = "название есть в письме" if name_recall else "клиент из базы, названия в письме нет"
    ok = found_name is not None and want is not None and same_company(found_name, want)
    if found_name is not None and want is not None and not ok and want in clients:
        ok = any(same_company(found_name, alt) for alt in clients[want])
    outcomes.append(_outcome(label.file, "company", want, found_name, ok, name_recall, why))

    if label.region_in_mail is not None:
        region_recall = label.region_in_mail and label.region_code is not None
    else:
        region_recall = label.region_code is not None and label.inn_source != "client_base" and label.rule != "thread"
    outcomes.append(_outcome(label.file, "region", label.region_code, found_region, found_region == label.region_code, region_recall))
    return outcomes


def _outcome(file: str, field_: str, want: str | None, got: str | None, equal: bool, in_recall: bool, why: str = "") -> Outcome:
    if got is not None:
        verdict = "ok" if want is not None and equal else ("extra" if want is None else "wrong")
    else:
        verdict = "missed" if in_recall else "absent"
    return Outcome(file, field_, want, got, verdict, in_recall, why)


def score_folder(
    folder: Path,
    extractor: Extractor | None = None,
    *,
    internal_domains: Sequence[str] = (),
    shared_addresses: Sequence[str] = (),
    free_mail_domains: Sequence[str] | None = None,
    own_company_names: Sequence[str] = (),
) -> Report:
    """Run extraction over every labelled mail of `folder` and score it (module docstring)."""
    labels = load_labels(folder)
    clients = load_client_names(folder)
    extractor = extractor or Extractor()
    report = Report(str(folder))
    for label in labels:
        report.mails += 1
        if label.action == "skip":
            report.skipped += 1
            continue
        msg = parse((folder / label.file).read_bytes())
        facts = extractor.extract(
            msg,
            internal_domains=internal_domains,
            shared_addresses=shared_addresses,
            free_mail_domains=free_mail_domains,
            own_company_names=own_company_names,
        )
        for outcome in score_mail(label, facts, msg, clients):
            report.add(outcome)
    return report


# --- printing ----------------------------------------------------------------------------------

_VERDICT_WORDS = {"wrong": "неверно", "extra": "лишнее", "missed": "не найдено"}


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def format_report(report: Report) -> str:
    """A readable Russian table of precision and recall per field, then every miss."""
    lines = [
        f"Папка: {report.folder}",
        f"Писем: {report.mails}, из них пропускаемых (не оцениваются): {report.skipped}",
        "",
        f"{'Поле':<10}{'найдено':>9}{'верно':>7}{'неверно':>9}{'точность':>10}{'полнота':>18}",
    ]
    for name in FIELDS:
        s = report.fields[name]
        recall = f"{s.recall_hit}/{s.recall_total} {_pct(s.recall)}"
        lines.append(f"{FIELD_TITLES[name]:<10}{s.found:>9}{s.right:>7}{s.wrong:>9}{_pct(s.precision):>10}{recall:>18}")
    lines += [
        "",
        "Точность — доля верных среди найденных; полнота — доля найденных верно среди писем, где",
        "значение видно из самого письма (ИНН из базы клиентов и регион клиента из базы не в счёт).",
    ]
    misses = report.misses
    lines += ["", f"Промахи: {len(misses)}" if misses else "Промахов нет."]
    for o in misses:
        expected = o.expected if o.expected is not None else "—"
        found = o.found if o.found is not None else "—"
        lines.append(f"  {o.file}  {FIELD_TITLES[o.field]}: {_VERDICT_WORDS[o.verdict]}; ожидалось {expected}, найдено {found}")
    return "\n".join(lines)
