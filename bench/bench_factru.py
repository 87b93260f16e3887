"""Organisation candidates on Russian news: factRuEval-2016's test set, ORG overlap-F1 of
the bot's candidate generator (legal forms, quoted names in context, Slovnet's ORG spans)
against natasha's Slovnet NER alone.

    .venv/bin/python bench/bench_factru.py                         # the subset in tests/fixtures/factru
    .venv/bin/python bench/bench_factru.py PATH/factRuEval-2016/testset

The full test set: https://github.com/dialogue-evaluation/factRuEval-2016 (MIT), folder
`testset/` (`*.txt`, `*.spans`, `*.objects`); `--write-subset N` writes every N-th
document of it as the JSON-lines fixture.

Overlap-F1: a predicted span is right when it overlaps a gold Org object; a gold Org is
found when some predicted span overlaps it. Gold objects are those with a name span
(an Org made only of «компания» or «министерство» refers back to a name). Predicted spans that overlap only a LocOrg
(«Россия» as a state, «Москва» as its government) are left out of the count: the
annotators' own guidelines leave that reading open. Not a test: it prints numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
FIXTURE = REPO / "tests" / "fixtures" / "factru" / "testset-subset.jsonl"

# factRuEval object types → the three kinds Slovnet knows.
KINDS = {"Org": "ORG", "LocOrg": "LOC_ORG", "Location": "LOC", "Person": "PER"}
# Span types that name an object; an object made of descriptors only is left out.
_NAME_SPANS = frozenset({"org_name", "loc_name", "name", "surname", "patronymic", "nickname"})
# Slovnet reads news sentences; the pipeline caps one NER call at ner.MAX_NER_CHARS.
CHUNK = 5_000

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    text: str
    spans: dict[str, tuple[Span, ...]]  # ORG, LOC_ORG, LOC, PER


def read_testset(folder: Path) -> Iterator[Document]:
    """Documents of factRuEval's folder format: an object is the extent of its spans."""
    for txt in sorted(folder.glob("book_*.txt")):
        text = txt.read_text(encoding="utf-8")
        spans: dict[str, tuple[int, int]] = {}
        named: set[str] = set()
        for line in txt.with_suffix(".spans").read_text(encoding="utf-8").splitlines():
            fields = line.split("#")[0].split()
            if len(fields) >= 4:
                spans[fields[0]] = (int(fields[2]), int(fields[2]) + int(fields[3]))
                if fields[1] in _NAME_SPANS:
                    named.add(fields[0])
        objects: dict[str, list[Span]] = {kind: [] for kind in KINDS.values()}
        for line in txt.with_suffix(".objects").read_text(encoding="utf-8").splitlines():
            fields = line.split("#")[0].split()
            kind = KINDS.get(fields[1]) if len(fields) > 2 else None
            parts = [spans[s] for s in fields[2:] if s in spans]
            # «компания», «министерство» alone refer back to a name: no name, no object.
            if kind and parts and named.intersection(fields[2:]):
                objects[kind].append((min(p[0] for p in parts), max(p[1] for p in parts)))
        yield Document(txt.stem, text, {k: tuple(sorted(set(v))) for k, v in objects.items()})


def read_jsonl(path: Path) -> Iterator[Document]:
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        yield Document(row["name"], row["text"], {k: tuple((s, e) for s, e in v) for k, v in row["spans"].items()})


def write_jsonl(docs: Iterable[Document], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [json.dumps({"name": d.name, "text": d.text, "spans": d.spans}, ensure_ascii=False) for d in docs]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def chunks(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) cut at paragraph ends, each at most CHUNK characters."""
    start = 0
    while start < len(text):
        end = min(len(text), start + CHUNK)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        yield start, text[start:end]
        start = end


def natasha_orgs(text: str) -> list[Span]:
    from inboxbot.extract.ner import natasha_tagger

    tagger = natasha_tagger()
    return [(at + s.start, at + s.stop) for at, piece in chunks(text) for s in tagger(piece).spans if s.type == "ORG"]


def bot_orgs(text: str) -> list[Span]:
    """The bot's organisation candidates: what the pipeline's org components and the
    NER hand to company extraction (`orgs.org_mentions`)."""
    from inboxbot.extract.nlp import analyse
    from inboxbot.extract.orgs import org_mentions

    return [(at + o.start, at + o.end) for at, piece in chunks(text) for o in org_mentions(analyse(piece, ner=True))]


@dataclass(frozen=True, slots=True)
class Score:
    predicted: int
    right: int
    gold: int
    found: int

    @property
    def f1(self) -> float:
        p = self.right / self.predicted if self.predicted else 0.0
        r = self.found / self.gold if self.gold else 0.0
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(
            self.predicted + other.predicted, self.right + other.right, self.gold + other.gold, self.found + other.found
        )


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def overlap_score(doc: Document, predicted: Iterable[Span]) -> Score:
    gold = doc.spans["ORG"]
    kept = [
        p
        for p in set(predicted)
        if any(_overlaps(p, g) for g in gold) or not any(_overlaps(p, g) for g in doc.spans["LOC_ORG"])
    ]
    right = sum(any(_overlaps(p, g) for g in gold) for p in kept)
    found = sum(any(_overlaps(p, g) for p in kept) for g in gold)
    return Score(len(kept), right, len(gold), found)


def score(docs: Iterable[Document], predict: Callable[[str], list[Span]]) -> Score:
    total = Score(0, 0, 0, 0)
    for doc in docs:
        total += overlap_score(doc, predict(doc.text))
    return total


def _show(label: str, s: Score) -> None:
    p = s.right / s.predicted if s.predicted else 0.0
    r = s.found / s.gold if s.gold else 0.0
    print(
        f"{label:<22} F1 {s.f1:.3f}  precision {p:.3f} ({s.right}/{s.predicted})  recall {r:.3f} ({s.found}/{s.gold})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("testset", nargs="?", type=Path, help="factRuEval-2016/testset (default: the fixture subset)")
    parser.add_argument("--write-subset", type=int, metavar="N", help="write every N-th document to the fixture")
    parser.add_argument("--errors", action="store_true", help="list the bot's wrong and missed spans")
    args = parser.parse_args()
    docs = list(read_testset(args.testset) if args.testset else read_jsonl(FIXTURE))
    if args.write_subset:
        write_jsonl(docs[:: args.write_subset], FIXTURE)
        print(f"{len(docs[:: args.write_subset])} documents → {FIXTURE}")
        return
    print(
        f"{len(docs)} documents, {sum(len(d.text) for d in docs)} characters, {sum(len(d.spans['ORG']) for d in docs)} gold ORG"
    )
    _show("natasha (Slovnet) ORG", score(docs, natasha_orgs))
    _show("bot candidates", score(docs, bot_orgs))
    if args.errors:
        for doc in docs:
            predicted = bot_orgs(doc.text)
            for p in sorted(set(predicted)):
                if not any(_overlaps(p, g) for g in doc.spans["ORG"] + doc.spans["LOC_ORG"]):
                    print(f"  лишнее  {doc.name}: {doc.text[p[0] : p[1]]!r}")
            for g in doc.spans["ORG"]:
                if not any(_overlaps(p, g) for p in predicted):
                    print(f"  пропуск {doc.name}: {doc.text[g[0] : g[1]]!r}")


if __name__ == "__main__":
    main()
