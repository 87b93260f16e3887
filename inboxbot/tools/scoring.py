"""How well extraction finds the sender's INN, company and region on a labelled folder,
and how well routing finds the action, the owner and the rule.

A labelled folder holds `.eml` files and a `labels.json` as in tests/corpus: one object
per file name with `sender_company`, `inn`, `inn_source`, `region_code`, `expected_action`,
`expected_owner`, `rule` and `base_rule` (other keys are ignored; see tools/labels.py). A `clients.csv` next to it, if present, is the client base the
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

Every mail is run through the worker's Pipeline in file-name order with an in-memory
history, as `inboxbot replay` does (threads and the pool carry on from mail to mail); the
facts scored are the ones that decision was made on. Routing is scored as
tools/score_routing.py says.

`score_folder` returns a `Report`; tools/score_text.py renders it as a Russian table with
the misses and their reasons, `Report.as_dict` as JSON-ready data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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
from inboxbot.io.mailsource import read_mail
from inboxbot.mail.attachments import attachment_texts
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.run.pipeline import Pipeline
from inboxbot.tools.labels import Label, load_client_names, load_labels
from inboxbot.tools.score_routing import ROUTE_FIELDS, RouteOutcome, Tally, route_outcomes, tally_rule, trail_lines
from inboxbot.tools.whatif import Replayer

FIELDS = ("inn", "company", "region")
FIELD_TITLES = {"inn": "ИНН", "company": "Компания", "region": "Регион"}
MAIL_SOURCES = ("message", "signature", "attachment")


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


@dataclass(frozen=True, slots=True)
class Case:
    """The decision made for one mail, kept for the mails with a miss."""

    file: str
    subject: str
    action: str
    owner: str | None
    rule: str
    reasons: tuple[str, ...]
    trail: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "action": self.action, "owner": self.owner, "rule": self.rule,
                "reasons": list(self.reasons), "trail": list(self.trail)}


@dataclass
class Report:
    folder: str
    mails: int = 0
    skipped: int = 0
    fields: dict[str, FieldScore] = field(default_factory=lambda: {f: FieldScore(f) for f in FIELDS})
    outcomes: list[Outcome] = field(default_factory=list)
    route: dict[str, Tally] = field(default_factory=lambda: {f: Tally() for f in ROUTE_FIELDS})
    rules: dict[str, Tally] = field(default_factory=dict)
    route_outcomes: list[RouteOutcome] = field(default_factory=list)
    cases: dict[str, Case] = field(default_factory=dict)

    @property
    def misses(self) -> list[Outcome]:
        """Extraction misses."""
        return [o for o in self.outcomes if o.verdict in ("wrong", "extra", "missed")]

    @property
    def route_misses(self) -> list[RouteOutcome]:
        return [o for o in self.route_outcomes if not o.ok]

    @property
    def miss_files(self) -> list[str]:
        """Files with any miss, in file order."""
        return sorted({o.file for o in self.misses} | {o.file for o in self.route_misses})

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

    def add_route(self, outcome: RouteOutcome) -> None:
        self.route_outcomes.append(outcome)
        tally = self.route[outcome.field]
        tally.n += 1
        tally.right += outcome.ok

    def as_dict(self) -> dict[str, Any]:
        misses = [
            {"file": o.file, "field": o.field, "expected": o.expected, "found": o.found, "verdict": o.verdict, "why": o.why}
            for o in self.misses
        ] + [
            {"file": o.file, "field": o.field, "expected": o.expected, "found": o.found, "verdict": "wrong", "why": ""}
            for o in self.route_misses
        ]
        return {
            "folder": self.folder,
            "mails": self.mails,
            "skipped": self.skipped,
            "fields": {name: s.as_dict() for name, s in self.fields.items()},
            "route": {name: t.as_dict() for name, t in self.route.items()},
            "rules": {name: t.as_dict(with_rule=True) for name, t in sorted(self.rules.items())},
            "misses": sorted(misses, key=lambda m: m["file"]),
            "decisions": {name: self.cases[name].as_dict() for name in self.miss_files if name in self.cases},
        }


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


def score_folder(folder: Path, pipeline: Pipeline) -> Report:
    """Replay the mails of `folder` in file-name order, as `inboxbot replay` does, and score
    extraction and routing of the labelled ones (module docstring). Unlabelled mails are
    replayed too (they may open a thread) but not scored."""
    labels = {label.file: label for label in load_labels(folder)}
    clients = load_client_names(folder)
    replayer = Replayer(pipeline)
    report = Report(str(folder))
    for stored in read_mail([folder]):
        outcome = replayer.run(stored)
        label = labels.get(stored.label)
        if label is None:
            continue
        report.mails += 1
        routed = route_outcomes(label, outcome.decision, pipeline.rules)
        for route in routed:
            report.add_route(route)
        tally_rule(report.rules, label, routed)
        if label.action == "skip":
            report.skipped += 1
        else:
            for scored in score_mail(label, outcome.facts, outcome.msg, clients):
                report.add(scored)
        report.cases[label.file] = _case(label, outcome.msg, outcome.decision)
    return report


def _case(label: Label, msg: ParsedMessage, decision: Decision) -> Case:
    owner = decision.owner if decision.public_action != "skip" else None
    return Case(label.file, msg.subject, decision.public_action, owner, decision.rule, decision.reasons,
                tuple(trail_lines(decision, label)))
