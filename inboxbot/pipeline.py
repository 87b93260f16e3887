"""Raw bytes → parsed mail → facts → decision: the pure part of handling one message.

The worker, `explain` and `replay` all go through `Pipeline.run`, so a mail is judged
the same way wherever it comes from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from inboxbot.decision import Decision, Step
from inboxbot.extract import Extractor
from inboxbot.facts import Facts
from inboxbot.message import ParsedMessage, parse
from inboxbot.route import History, decide
from inboxbot.rules import Rules

log = logging.getLogger(__name__)

QUARANTINE_RULE = "quarantine"
DUPLICATE_RULE = "duplicate"


@dataclass(frozen=True, slots=True)
class Outcome:
    msg: ParsedMessage
    facts: Facts
    decision: Decision


def quarantine(reason: str) -> Decision:
    """A decision that leaves the mail to a human, with the reason in Russian."""
    return Decision(
        action="triage",
        owner=None,
        rule=QUARANTINE_RULE,
        reasons=(reason,),
        trail=(Step(QUARANTINE_RULE, True, reason),),
    )


class Pipeline:
    """Holds what is expensive to build (the NLP pipeline) across messages."""

    def __init__(self, rules: Rules, extractor: Extractor | None = None) -> None:
        self.rules = rules
        self.extractor = extractor or Extractor()

    def facts(self, msg: ParsedMessage) -> Facts:
        dept = self.rules.department
        return self.extractor.extract(
            msg,
            internal_domains=dept.internal_domains,
            shared_addresses=dept.shared_addresses,
            free_mail_domains=dept.free_mail_domains,
            own_company_names=(dept.name,),
        )

    def run(self, raw: bytes, history: History, *, received_at: datetime | None = None) -> Outcome:
        """Decide for one message. A message that makes a stage fail is not lost and does
        not stop the caller: it gets a quarantine decision naming the failure."""
        msg = parse(raw)
        try:
            facts = self.facts(msg)
            decision = decide(msg, facts, self.rules, history, received_at=received_at)
        except Exception as exc:  # any bug triggered by odd mail must not stop the worker
            log.exception("message %s could not be decided", msg.message_id)
            return Outcome(msg, Facts(), quarantine(f"письмо не удалось разобрать: {type(exc).__name__}: {exc}"))
        return Outcome(msg, facts, decision)

    def refacts(self, raw: bytes) -> tuple[ParsedMessage, Facts]:
        """Parse and extract again for a message whose decision is already journalled
        (a restart after a crash): the facts feed the forward's text, the stored
        decision stays as it was."""
        msg = parse(raw)
        try:
            return msg, self.facts(msg)
        except Exception:
            log.exception("facts for %s could not be rebuilt", msg.message_id)
            return msg, Facts()


def duplicate_of(owner: str | None, message_id: str) -> Decision:
    reason = f"письмо уже обработано ранее (Message-ID <{message_id}>): повторная доставка или папка пересоздана"
    return Decision(
        action="skip",
        owner=owner,
        rule=DUPLICATE_RULE,
        reasons=(reason,),
        trail=(Step(DUPLICATE_RULE, True, reason),),
    )
