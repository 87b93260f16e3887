"""natasha's Slovnet NER (PER, LOC, ORG) as the `natasha_ner` spaCy component: the only
statistical and the only slow stage (~3 ms per short mail), so callers run it on the
new text and signature only. Its weights ship inside the wheels; nothing is downloaded."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from inboxbot.extract.docext import doc_text

log = logging.getLogger(__name__)

# The component's name in the pipeline.
NER = "natasha_ner"


@lru_cache(maxsize=1)
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


@lru_cache(maxsize=1)
def natasha_tagger() -> Any:
    """natasha's news NER: embeddings and weights come inside the wheels, nothing is
    downloaded. Loaded once per process (~0.8 s)."""
    from natasha import NewsEmbedding, NewsNERTagger

    return NewsNERTagger(NewsEmbedding())


# Slovnet's NER is trained on news sentences; on a whole mail of thousands of characters
# it only gets slower, and what we need from it (names) lives in the new text and signature.
MAX_NER_CHARS = 6_000


@Language.factory(NER)
class NatashaNER:
    """natasha/Slovnet NER (PER, LOC, ORG) as a spaCy component: its character spans are
    mapped onto the Doc's tokens with alignment_mode="expand"."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.tagger = natasha_tagger()

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        # The ranges are read in one tagger call (its fixed cost is ~3 ms): their texts
        # joined by blank lines, each found span mapped back through `pieces`.
        pieces: list[tuple[int, int, int]] = []  # (offset in joined, offset in text, length)
        joined: list[str] = []
        size = 0
        for start, end in doc._.ner_ranges or ((0, len(text)),):
            end = min(end, len(text), start + MAX_NER_CHARS - size)
            if end <= start or not text[start:end].strip():
                continue
            pieces.append((size, start, end - start))
            joined.append(text[start:end])
            size += end - start + 2
        if not pieces:
            return doc
        try:
            # Slovnet multiplies tiny matrices: with BLAS's thread pool on a busy machine
            # one short mail took 100 ms instead of 3 ms. One thread, only around the call.
            with _blas().limit(limits=1, user_api="blas"):
                markup = self.tagger("\n\n".join(joined))
        except Exception as exc:
            log.warning("natasha NER failed: %s: %s", type(exc).__name__, exc)
            doc._.notes = (*doc._.notes, f"NER не сработал: {type(exc).__name__}")
            return doc
        spans: list[Span] = []
        for found in markup.spans:
            for joined_at, text_at, length in pieces:
                if joined_at <= found.start and found.stop <= joined_at + length:
                    shift = text_at - joined_at
                    span = doc.char_span(found.start + shift, found.stop + shift, label=found.type, alignment_mode="expand")
                    if span is not None:
                        spans.append(span)
                    break
        doc.ents = spacy.util.filter_spans(spans)
        return doc
