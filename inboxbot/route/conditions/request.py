"""not_a_request: auto-replies, mailings and our own mail are no requests."""

from __future__ import annotations

from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import Context, History, Match
from inboxbot.rules.model import Rules, RuleSpec


def cond_not_a_request(msg: ParsedMessage, facts: Facts, spec: RuleSpec, rules: Rules, history: History, ctx: Context) -> Match | Step:
    from inboxbot.mail.classify import classify

    dept = rules.department
    verdict = classify(
        msg,
        internal_domains=dept.internal_domains,
        bot_addresses=(dept.bot_address,) if dept.bot_address else (),
        loop_headers=dept.loop_headers,
        shared_addresses=dept.shared_addresses,
    )
    if verdict.is_request:
        return Step(spec.id, False, verdict.reason or "похоже на живое письмо с просьбой")
    return Match(None, verdict.reason, (verdict.reason,))

