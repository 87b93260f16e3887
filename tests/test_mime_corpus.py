"""Every real malformed or unusual mail gets an answer: a decision or a quarantine with
a reason, never an exception (the worker must go on)."""

from collections import Counter

import pytest
from samples import RULES, mime_corpus_files

from inboxbot.io.mailsource import read_mail
from inboxbot.model.records import MessageKey
from inboxbot.rules.load import load_rules
from inboxbot.run.pipeline import QUARANTINE_RULE, Pipeline
from inboxbot.store.factory import memory_store


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(load_rules(RULES))


def test_every_mail_of_the_mime_corpus_is_answered(pipeline: Pipeline) -> None:
    files = mime_corpus_files()
    assert len(files) == 272, "the MIME corpus is missing or incomplete"
    outcomes: Counter[str] = Counter()
    quarantined: list[str] = []
    with memory_store() as journal:
        for index, stored in enumerate(read_mail(files), start=1):
            outcome = pipeline.run(stored.raw, journal.history)
            decision = outcome.decision
            assert decision.reasons, stored.label
            journal.messages.record_decision(MessageKey("mime", 0, index), outcome.msg, decision)
            outcomes[decision.public_action] += 1
            if decision.rule == QUARANTINE_RULE:
                quarantined.append(f"{stored.label}: {decision.reasons[0]}")
    print(f"\nmime corpus: {sum(outcomes.values())} mails, {dict(outcomes)}")
    # A quarantine means a stage raised on this mail: a bug to fix, not an answer to accept.
    assert quarantined == []
