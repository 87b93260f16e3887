"""The spaCy pipeline that reads a mail's text: who and which organisations it names,
and the company identifiers (INN/KPP/OGRN) it contains.

No spaCy Russian model is installable here, so the pipeline is `spacy.blank("ru")` with
the `tokenizer.FastTokenizer` and registered components:

* ``natasha_ner``   — natasha's Slovnet NER mapped onto `doc.ents` (`ner`); the only
  slow stage, so `analyse(..., ner=False)` skips it for quotes and attachments;
* ``legal_orgs``    — organisations anchored by a legal form → `doc.spans["orgs"]` with
  `Span._.legal_form`, `Span._.core_name` (`orgs`);
* ``quoted_names``  — a quoted proper name in a signature or after an organisation cue →
  `doc.spans["quoted"]` (`orgs`);
* ``requisites``    — INN/KPP/OGRN/OGRNIP → `Doc._.requisites`, rejected numbers with
  their reason → `Doc._.rejected` (`numbers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

# Importing a component's module registers its factory with spaCy.
from inboxbot.extract.ner import NER
from inboxbot.extract.numbers import REQUISITES
from inboxbot.extract.orgs import LEGAL_ORGS, QUOTED_NAMES
from inboxbot.extract.tokenizer import FastTokenizer


def build_pipeline() -> Language:
    """A fresh pipeline: blank Russian tokenizer + natasha_ner, legal_orgs, quoted_names,
    requisites."""
    nlp = spacy.blank("ru")
    nlp.tokenizer = FastTokenizer(nlp.vocab)
    nlp.add_pipe(NER)
    nlp.add_pipe(LEGAL_ORGS)
    nlp.add_pipe(QUOTED_NAMES)
    nlp.add_pipe(REQUISITES)
    return nlp


@lru_cache(maxsize=1)
def get_pipeline() -> Language:
    """The process-wide pipeline, built on first use."""
    return build_pipeline()


def analyse(
    text: str,
    *,
    ner: bool = True,
    ner_ranges: Sequence[tuple[int, int]] = (),
    trusted_ranges: Sequence[tuple[int, int]] = (),
    nlp: Language | None = None,
) -> Doc:
    """Run the pipeline on text; `ner=False` skips natasha (for quotes and attachments,
    where only legal forms and requisites are looked for); `ner_ranges` limits the NER to
    those character ranges (a greeting and a signature, not a 100-line order list);
    `trusted_ranges` are where a bare quoted name is an organisation (a signature, a
    display name, a requisites card)."""
    nlp = nlp or get_pipeline()
    # The stages cap what they hand over (message.MAX_TEXT_CHARS, MAX_HEADER_CHARS), so
    # this only guards against a new caller: past spaCy's limit make_doc raises (E088)
    # and the mail would lose all its facts instead of the tail of one text.
    text = text[: nlp.max_length]
    doc = nlp.make_doc(text)
    doc.user_data["text"] = text
    doc._.ner_ranges = tuple(ner_ranges)
    doc._.trusted_ranges = tuple(trusted_ranges)
    for name, proc in nlp.pipeline:
        if name == NER and not ner:
            continue
        doc = proc(doc)
    return doc
