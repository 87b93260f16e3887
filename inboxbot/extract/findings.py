"""What the pipeline finds in each segment of a mail — organisations, identifiers,
rejected numbers, person spans — with offsets into the segment's text. The NER reads
only the head of each own text and its signature, one pipeline pass per text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from spacy.language import Language

from inboxbot.extract.nlp import analyse
from inboxbot.extract.numbers import NumberHit, find_requisites
from inboxbot.extract.orgs import OrgMention, org_mentions
from inboxbot.extract.personnames import GREETING_RE, is_person_name
from inboxbot.extract.quotes import quoted_cores
from inboxbot.extract.segments import Segment
from inboxbot.model.facts import Evidence

# Text the NER reads per part: the head of the new text (greeting, self-introduction) and
# the signature. Slovnet costs ~1 ms per 150 characters.
HEAD_NER_CHARS = 200
SIG_NER_CHARS = 300


@dataclass(frozen=True, slots=True)
class Found:
    """What the pipeline found in one segment (offsets into segment.text)."""

    segment: Segment
    orgs: tuple[OrgMention, ...]
    numbers: tuple[NumberHit, ...]
    rejected: tuple[NumberHit, ...]
    persons: tuple[tuple[int, int], ...]
    notes: tuple[str, ...] = ()


def find_all(nlp: Language, segments: Sequence[Segment]) -> list[Found]:
    """Findings per segment, in segment order; NER segments of one text in one pass."""
    by_index: dict[int, Found] = {}
    groups: dict[int, list[int]] = {}
    for i, seg in enumerate(segments):
        if seg.ner:
            groups.setdefault(id(seg.text), []).append(i)
        else:
            by_index[i] = find_one(nlp, seg)
    for indexes in groups.values():
        for i, f in zip(indexes, _analyse(nlp, [segments[i] for i in indexes]), strict=True):
            by_index[i] = f
    return [by_index[i] for i in range(len(segments))]


def find_one(nlp: Language, seg: Segment) -> Found:
    """Findings in one segment read without the NER."""
    if seg.detail == "ours":
        # Our own letter in the quote: only our company's name is wanted from it
        # (so the client's mention of us is not taken for the client).
        orgs = tuple(OrgMention(c, seg.start, seg.start, None, c, True, "quoted") for c in quoted_cores(seg.body))
        # Its identifiers are ours: kept as rejected, so the explanation can say why not taken.
        ours = tuple(replace(n, start=n.start + seg.start, end=n.end + seg.start, reason="ours") for n in find_requisites(seg.body)[0])
        return Found(seg, orgs, (), ours, ())
    return _analyse(nlp, [seg])[0]


def found_of(founds: Sequence[Found], hit: NumberHit) -> Found | None:
    """The first findings holding an identifier equal to `hit`."""
    for f in founds:
        if hit in f.numbers:
            return f
    return None


def evidence_of(hit: NumberHit, found: Found | None) -> Evidence:
    """Where an identifier was found, as evidence."""
    if found is None:
        return Evidence("body", hit.value, hit.start, hit.end)
    return found.segment.evidence(hit.start, hit.end)


def _analyse(nlp: Language, segs: Sequence[Segment]) -> list[Found]:
    """Run the pipeline once over segments that share a text and are contiguous parts of
    it (new text + signature): one NER call per mail instead of one per part. Segments
    without NER are processed one by one with the light pipeline."""
    if not segs:
        return []
    text = segs[0].text
    start, end = min(s.start for s in segs), max(s.end for s in segs)
    ner = any(s.ner for s in segs)
    # Names sit in the greeting and the signature: the NER reads the head of each text
    # part and the signature whole, not a long order list in between.
    ranges = [(s.start - start, _head_end(s) - start) for s in segs if s.ner]
    # A bare quoted name is an organisation in a signature or a requisites card.
    trusted = [(s.start - start, s.end - start) for s in segs if s.sig or (s.source == "attachment" and s.own)]
    doc = analyse(text[start:end], ner=ner, ner_ranges=ranges, trusted_ranges=trusted, nlp=nlp)
    persons = _merge_adjacent([(e.start_char + start, e.end_char + start) for e in doc.ents if e.label_ == "PER"], text) if ner else ()
    orgs = [replace(o, start=o.start + start, end=o.end + start) for o in org_mentions(doc)]
    numbers = [replace(n, start=n.start + start, end=n.end + start) for n in doc._.requisites]
    rejected = [replace(n, start=n.start + start, end=n.end + start) for n in doc._.rejected]
    notes = tuple(doc._.notes)
    found: list[Found] = []
    for seg in segs:
        lo, hi = seg.start, seg.end
        seg_orgs = tuple(o for o in orgs if lo <= o.start and o.end <= hi)
        if seg.own and seg.source in ("body", "forwarded") and not seg.sig:
            seg_orgs = tuple(sorted(seg_orgs + tuple(_intro_orgs(seg)), key=lambda o: o.start))
        found.append(
            Found(
                seg,
                seg_orgs,
                tuple(n for n in numbers if lo <= n.start and n.end <= hi),
                tuple(n for n in rejected if lo <= n.start and n.end <= hi),
                tuple(p for p in persons if lo <= p[0] and p[1] <= hi),
                notes if seg is segs[0] else (),
            )
        )
    return found


def _head_end(seg: Segment) -> int:
    """Where the NER stops reading a part: a signature up to SIG_NER_CHARS, other text
    up to HEAD_NER_CHARS, cut at a line end so no name is split."""
    limit = SIG_NER_CHARS if seg.sig else HEAD_NER_CHARS
    if seg.end - seg.start <= limit:
        return seg.end
    cut = seg.text.rfind("\n", seg.start, seg.start + limit)
    return cut if cut > seg.start + limit // 3 else seg.start + limit


def _merge_adjacent(spans: list[tuple[int, int]], text: str) -> tuple[tuple[int, int], ...]:
    """Slovnet cuts «Кириллова Наталья Андреевна» into two PER spans; join spans that only
    a space separates."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and text[merged[-1][1] : s].strip(" \t") == "" and s - merged[-1][1] <= 2:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return tuple(merged)


# «Пельменная мануфактура, закупки.» — a company introducing itself without form or quotes.
_INTRO = re.compile(
    r"(?:^|[.!]\s+)(?P<name>[А-ЯЁA-Z][\w-]+(?:\s+[\w-]+){0,3}),\s*(?:отдел\s+)?"
    r"(?:закупк\w*|снабжени\w*|отдел\s+закупок|purchasing|procurement)\b"
    # A web form or a card: «Компания: Ромашка-Опт», "Company: Baltic Pack".
    r"|^[ \t]*(?:компания|организация|наименование(?:\s+организации)?|название\s+компании|company)"
    r"[ \t]*:[ \t]*(?P<label_name>[^\n,;:]{2,80}?)[ \t]*(?:[,;]|$)",
    re.MULTILINE | re.IGNORECASE,
)


def _intro_orgs(seg: Segment) -> list[OrgMention]:
    result: list[OrgMention] = []
    for m in _INTRO.finditer(seg.body):
        group = "name" if m.group("name") else "label_name"
        name = m.group(group).strip()
        if not name or is_person_name(name) or GREETING_RE.match(name) or any(ch in name for ch in "«»\"„“"):
            continue  # quoted names and legal forms are found by the pipeline itself
        if group == "name" and not name[0].isupper():
            continue
        s = m.start(group) + seg.start
        result.append(OrgMention(name, s, s + len(name), None, name, False, "intro"))
    return result
