"""duty: the manager on duty by the roster ([[duty]], [roster]) at the mail's moment."""

from __future__ import annotations

from inboxbot.route.conditions.registry import condition
from inboxbot.route.context import Match, Miss, Situation
from inboxbot.route.reasons import nobody_known, who
from inboxbot.rules.model import local_time
from inboxbot.rules.options import ConditionOptions


@condition("duty", ConditionOptions)
def duty(options: ConditionOptions, s: Situation) -> Match | Miss:
    roster = s.rules.roster
    if not roster:
        return Miss("график дежурств не задан ([[duty]] или [roster])")
    if s.moment is None:
        return Miss("время письма неизвестно")
    # The mail's moment on the department's wall clock, as the roster is written.
    local = local_time(s.rules, s.moment.astimezone(s.rules.department.timezone))
    shift = roster.at(local)
    if shift is None:
        return Miss(f"по графику на {local:%d.%m %H:%M} никто не дежурит")
    if shift.manager not in s.rules.managers:  # the roster names only described managers; a bug otherwise
        return Miss(f"дежурный «{shift.manager}» не описан в правилах")
    when = f"{local:%d.%m %H:%M}, {'по заголовку Date' if s.moment_source == 'Date' else 'по времени получения'}"
    reasons = (nobody_known(s.facts), f"дежурный по графику на {shift.label} → {who(s.rules, shift.manager)} (письмо {when})")
    return Match(shift.manager, f"дежурный {shift.manager} ({shift.label}, {shift.where})", reasons)
