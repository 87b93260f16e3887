"""not_a_request: auto-replies, mailings, our own mail, robots' notices and pitches to us
are no requests; a mail that only may not be one is forwarded with a warning."""

from __future__ import annotations

from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.rules.options import ConditionOptions


@condition("not_a_request", ConditionOptions, action="skip")
def not_a_request(options: ConditionOptions, s: Situation) -> Match | Miss:
    from inboxbot.mail.classify import classify

    dept = s.rules.department
    verdict = classify(
        s.msg,
        internal_domains=dept.internal_domains,
        bot_addresses=(dept.bot_address,) if dept.bot_address else (),
        loop_headers=dept.loop_headers,
        shared_addresses=dept.shared_addresses,
    )
    if verdict.is_request:
        if verdict.doubt:
            # Forwarded all the same (a skipped request is a lost client), with the warning.
            s.notes.append(verdict.doubt)
        return Miss(verdict.reason or "похоже на живое письмо с просьбой")
    return Match(None, verdict.reason, (verdict.reason,))

