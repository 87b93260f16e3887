"""Importing this module loads the NLP models: the extraction processes' forkserver
imports it once (`set_forkserver_preload`), and every extraction process forked from it
shares the models' pages copy-on-write instead of loading its own copy.

One mail is prepared here first, so that what the stages build on first use (caches,
the BLAS controller, spaCy's strings) is built once, before the fork, too.
`gc.freeze` then moves everything out of the collector's reach: a collection in a child
would otherwise write to every object's header and copy the shared pages.
"""

from __future__ import annotations

import gc

from inboxbot.directory.names import morph
from inboxbot.run.pipeline import ExtractParams, new_extractor, prepare

SAMPLE = (
    "From: Иван Петров <ivan@example.test>\r\nTo: sales@example.test\r\nSubject: Заявка\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Добрый день! Просим счёт на 100 коробок.\r\n--\r\nИван Петров, ООО «Ромашка», ИНН 7707083893\r\n"
).encode()

morph()
prepare(SAMPLE, new_extractor(), ExtractParams((), (), (), ()))
gc.freeze()
