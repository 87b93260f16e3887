"""repeat: the same sender with nearly the same text within a few days is the same request.

A client resends a request (a new Message-ID: «не дошло?»), or sends it to sales@ and then
to zakaz@, and both copies land in the shared mailbox: without this rule the round robin
could give the second copy to another manager, two managers would quote the same client,
and the shares would count one request twice. The repeat goes to the manager who got the
first copy, says so, and is not counted again (store: messages.repeat_of).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from inboxbot.mail.fingerprint import most_similar, request_text
from inboxbot.mail.message import ParsedMessage
from inboxbot.model.decision import Decision
from inboxbot.model.facts import Facts
from inboxbot.model.repeats import RecentRequest, RepeatOf
from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import who
from inboxbot.rules.model import Rules
from inboxbot.rules.options import ConditionOptions, option

# Decisions whose forward is a request another copy can repeat: not an answer in a thread
# («спасибо, ждём» twice is no repeated request), nothing skipped or left to a human.
NOT_REQUESTS = ("thread", "not_a_request")


@dataclass(frozen=True, slots=True)
class RepeatOptions(ConditionOptions):
    window_days: float = option(3, "number", what="в течение скольких дней повтор считается той же заявкой")
    similarity: float = option(90, "number", what="насколько похож текст, в процентах (100 — совпадает полностью)")

    def problem(self) -> str | None:
        if self.window_days <= 0:
            return "«window_days» — число дней больше 0"
        if not 50 <= self.similarity <= 100:
            return "«similarity» — процент от 50 до 100"
        return None


def sender_of(msg: ParsedMessage, facts: Facts) -> str:
    """Whose request it is: the client a colleague forwarded, else the sender (lower case)."""
    address = facts.client_address or msg.sender
    return address.email.lower() if address is not None and "@" in address.email else ""


def text_of(msg: ParsedMessage, facts: Facts) -> str:
    return request_text(msg.subject, facts.new_text, (a.filename for a in msg.attachments if a.filename))


@condition("repeat", RepeatOptions)
def repeat(options: RepeatOptions, s: Situation) -> Match | Miss:
    if s.recent is None:
        return Miss("недавние заявки не сохраняются")
    sender, moment = sender_of(s.msg, s.facts), s.moment
    if not sender or moment is None:
        return Miss("не видно, от кого или когда письмо")
    text = text_of(s.msg, s.facts)
    if not text:
        return Miss("в письме нет текста, чтобы сравнить")
    earlier = [r for r in s.recent.recent(sender, moment - timedelta(days=options.window_days))
               if r.message_id != s.msg.message_id and r.at <= moment]  # fmt: skip
    if not earlier:
        return Miss(f"от {sender} за {options.window_days:g} дн. заявок не было")
    score, closest = most_similar(text, [r.text for r in earlier])
    best = max((earlier[i] for i in closest), key=lambda r: r.at)  # of equals, the latest
    if score < options.similarity:
        return Miss(f"от {sender} за {options.window_days:g} дн. заявок: {len(earlier)}, ни одна не совпадает "
                    f"(самая похожая — на {score}%, нужно {options.similarity:g}%)")  # fmt: skip
    if best.owner not in s.rules.managers:
        return Miss(f"повтор заявки, но её менеджера «{best.owner}» в правилах больше нет — по правилам как обычно")
    first = best.first_at.astimezone(s.rules.department.timezone)
    matched = f"текст совпадает на {score}% с заявкой от {sender} от {first:%d.%m %H:%M}"
    reason = f"повтор заявки от {first:%d.%m %H:%M}, первая ушла → {who(s.rules, best.owner)}"
    return Match(
        best.owner, f"{matched} → {best.owner}", (matched, reason),
        repeat_of=RepeatOf(best.first_id, best.first_at, best.owner, score),
    )  # fmt: skip


def to_remember(
    rules: Rules, msg: ParsedMessage, facts: Facts, decision: Decision, received_at: datetime
) -> RecentRequest | None:
    """The request a forwarded decision adds to its sender's recent ones, sent at its
    Date (else `received_at`), kept under the manager the rule chose (an absent one's
    backup only covers for them). None: nothing to keep — not forwarded, an answer in a
    thread, no sender or no text."""
    owner = decision.base_owner or decision.owner
    if not decision.forwards or owner is None:
        return None
    spec = next((r for r in rules.rules if r.id == decision.rule), None)
    if spec is not None and spec.when in NOT_REQUESTS:
        return None
    sender, text = sender_of(msg, facts), text_of(msg, facts)
    if not sender or not text:
        return None
    at = msg.date or received_at
    first = decision.repeat_of
    first_id, first_at = (first.message_id, first.at) if first is not None else (msg.message_id, at)
    return RecentRequest(sender, msg.message_id, at, owner, text, first_id, first_at)
