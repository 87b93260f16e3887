"""The spaCy extensions the pipeline fills (`Doc._.requisites`, `Span._.legal_form` …),
registered once on import, and the Doc's original text."""

from __future__ import annotations

from spacy.tokens import Doc, Span

for _name, _default in (("requisites", ()), ("rejected", ()), ("notes", ()), ("ner_ranges", ()), ("trusted_ranges", ())):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)
for _name in ("legal_form", "core_name"):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=None)
if not Span.has_extension("quoted"):
    Span.set_extension("quoted", default=False)


def doc_text(doc: Doc) -> str:
    """The Doc's text. `Doc.text` joins every token on each access (a millisecond for a
    3 kB mail, and each component needs it), so `nlp.analyse` keeps the original string."""
    text = doc.user_data.get("text")
    return text if isinstance(text, str) else doc.text
