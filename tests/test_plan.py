"""The crash-ordering rules as tables over the pure planner (run/plan.py): no servers.

For each journal state × decision, the effects planned; for each point a kill -9 can hit,
what the journal then says and what the next run plans. tests/test_crash.py kills a real
worker between real servers; these say why the order is what it is.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inboxbot.model.decision import LEDGER_COMMAND_RULE, Decision
from inboxbot.model.ledger import ClientKey
from inboxbot.run.plan import (
    GIVE_UP_AFTER,
    MARKED_ROW,
    Acknowledge,
    Claim,
    Command,
    Effect,
    Forward,
    Intake,
    Journalled,
    Mark,
    MarkTriage,
    NotifyAbsent,
    Quarantine,
    Record,
    RecordFailure,
    State,
    StopPoll,
    Wait,
    batched,
    intake,
    overtaken,
    plan,
    refused,
)

D, F, M = State.DECIDED, State.FORWARDED, State.MARKED
FORWARDED_ROW = Record(F)


def decision(
    action: str, owner: str | None = "orlov", notify: tuple[str, ...] = (), claim: tuple[ClientKey, ...] = ()
) -> Decision:
    return Decision(action=action, owner=owner, rule="r", reasons=("why",), notify=notify, claim=claim)


FORWARD = decision("forward")
FORWARD_AWAY = decision("forward", notify=("petrova",))  # the base owner is away: she hears of it
FORWARD_TAG = decision("forward_and_tag")
TAG = decision("tag")
SKIP = decision("skip")
TRIAGE = decision("triage", owner=None)
NEW_CLIENT = decision("forward", notify=("petrova",), claim=(ClientKey("domain", "acme.ru"),))  # a first assignment
COMMAND = Decision(action="skip", owner=None, rule=LEDGER_COMMAND_RULE, reasons=("передать Сидорову",))

PLANS = [
    # state, notified, acked, decision, planned effects
    (D, False, False, FORWARD, (Forward(), FORWARDED_ROW, Acknowledge(), Mark("orlov"), MARKED_ROW)),
    (D, False, False, FORWARD_AWAY,
     (Forward(), FORWARDED_ROW, NotifyAbsent(("petrova",)), Acknowledge(), Mark("orlov"), MARKED_ROW)),
    (D, False, False, FORWARD_TAG, (Forward(), FORWARDED_ROW, Acknowledge(), Mark("orlov"), MARKED_ROW)),
    # A new client's first owner is written right after `forwarded`, before anything else goes.
    (D, False, False, NEW_CLIENT,
     (Forward(), FORWARDED_ROW, Claim(), NotifyAbsent(("petrova",)), Acknowledge(), Mark("orlov"), MARKED_ROW)),
    # Nothing goes out: `marked` is journalled before the mark.
    (D, False, False, TAG, (MARKED_ROW, Mark("orlov"))),
    (D, False, False, SKIP, (MARKED_ROW, Mark(None))),
    (D, False, False, TRIAGE, (MARKED_ROW, MarkTriage())),
    # «передать Сидорову» by mail: carried out before its `marked` row, then marked like skipped mail.
    (D, False, False, COMMAND, (Command(), MARKED_ROW, Mark(None))),
    # Forwarded before a crash: never forwarded again; what did not go yet goes.
    (F, False, False, FORWARD_AWAY, (NotifyAbsent(("petrova",)), Acknowledge(), Mark("orlov"), MARKED_ROW)),
    (F, True, False, FORWARD_AWAY, (Acknowledge(), Mark("orlov"), MARKED_ROW)),
    (F, True, True, FORWARD_AWAY, (Mark("orlov"), MARKED_ROW)),
    (F, False, True, FORWARD, (Mark("orlov"), MARKED_ROW)),
    # A run finding it `forwarded` writes the claim again (kept if written: idempotent).
    (F, True, True, NEW_CLIENT, (Claim(), Mark("orlov"), MARKED_ROW)),
    # Journalled `marked` yet still pending (a dropped keyword, a human): mark again, only.
    (M, False, False, FORWARD_AWAY, (Mark("orlov"),)),
    (M, True, True, FORWARD, (Mark("orlov"),)),
    (M, False, False, SKIP, (Mark(None),)),
    (M, False, False, TRIAGE, (MarkTriage(),)),
    (M, True, True, NEW_CLIENT, (Mark("orlov"),)),
    (M, False, False, COMMAND, (Mark(None),)),  # carried out and journalled: never again
]


@pytest.mark.parametrize(("state", "notified", "acked", "decided", "expected"), PLANS)
def test_plan_for_each_state_and_decision(
    state: State, notified: bool, acked: bool, decided: Decision, expected: tuple[Effect, ...]
) -> None:
    assert plan(Journalled(state, notified, acked), decided) == expected


def test_the_batched_tail_is_the_mark_and_the_marked_row_around_it() -> None:
    effects = plan(Journalled(D), FORWARD_AWAY)
    assert [e for e in effects if batched(e)] == [Mark("orlov"), MARKED_ROW]
    assert not batched(FORWARDED_ROW)  # `forwarded` is journalled at once, before anything else goes
    assert [e for e in plan(Journalled(D), SKIP) if batched(e)] == [MARKED_ROW, Mark(None)]


# -- crashes ---------------------------------------------------------------------

SENT = (Forward, NotifyAbsent, Acknowledge)  # what a person receives: never twice, never lost
MARKS = (Mark, MarkTriage)


def journal_after(journalled: Journalled, effect: Effect) -> Journalled:
    """What the journal says once `effect` completed, as the effect runner records it."""
    match effect:
        case Record(state=state):
            return Journalled(state, journalled.notified, journalled.acked)
        case NotifyAbsent():
            return Journalled(journalled.state, True, journalled.acked)
        case Acknowledge():
            return Journalled(journalled.state, journalled.notified, True)
    return journalled


def crash_after(start: Journalled, decided: Decision, done: int) -> tuple[tuple[Effect, ...], tuple[Effect, ...]]:
    """A kill right after the first `done` planned effects: (what was done, what the next
    run plans). A mail whose mark landed is no longer pending: nothing is planned for it."""
    effects = plan(start, decided)
    journalled = start
    for effect in effects[:done]:
        journalled = journal_after(journalled, effect)
    if any(isinstance(e, MARKS) for e in effects[:done]):
        return effects[:done], ()
    return effects[:done], plan(journalled, decided)


STARTS = [(Journalled(s, n, a), d) for s, n, a, d, _ in PLANS]


@pytest.mark.parametrize(("start", "decided"), STARTS)
def test_a_kill_at_any_point_neither_drops_nor_doubles_a_mail(start: Journalled, decided: Decision) -> None:
    effects = plan(start, decided)
    for done in range(len(effects) + 1):
        before, rerun = crash_after(start, decided, done)
        both = before + rerun
        # Nothing a person should receive is lost, and the mail ends marked.
        for effect in effects:
            if isinstance(effect, SENT + MARKS):
                assert effect in both, (done, effect)
        # Notices and acknowledgements are journalled once they went: never twice.
        for kind in (NotifyAbsent, Acknowledge):
            assert sum(isinstance(e, kind) for e in both) <= 1, (done, kind)
        # The forward goes again only after a kill between it and its `forwarded` row, and
        # then under the same Message-ID (tests/test_crash.py checks the collapse).
        forwards = sum(isinstance(e, Forward) for e in both)
        resend = done > 0 and effects[done - 1] == Forward()
        assert forwards == (2 if resend else int(Forward() in effects)), done
        # A mail command is carried out whatever the kill, before the mail is marked; a
        # kill after it and before its `marked` row carries it out again, which the
        # ledger's command key makes a no-op (test_store_ledger_changes, test_ledger_command).
        if Command() in effects:
            marked_at = next((i for i, e in enumerate(both) if isinstance(e, MARKS)), len(both))
            assert Command() in both[:marked_at], done
            assert sum(e == Command() for e in both) == (2 if done == 1 else 1), done
        # A first assignment is written whatever the kill, before the mail is marked.
        if Claim() in effects:
            assert Claim() in both, done
            marked_at = next((i for i, e in enumerate(both) if isinstance(e, MARKS)), len(both))
            assert Claim() in both[:marked_at], done


# The named crash points of a forward to a manager who is standing in for an absent one.
CRASH_POINTS = [
    # killed after…    the journal then says          …and the next run plans
    ("the decision", Journalled(D),
     (Forward(), FORWARDED_ROW, NotifyAbsent(("petrova",)), Acknowledge(), Mark("orlov"), MARKED_ROW)),
    ("the forward, before its row", Journalled(D),
     (Forward(), FORWARDED_ROW, NotifyAbsent(("petrova",)), Acknowledge(), Mark("orlov"), MARKED_ROW)),
    ("`forwarded`", Journalled(F), (NotifyAbsent(("petrova",)), Acknowledge(), Mark("orlov"), MARKED_ROW)),
    ("the absence notices", Journalled(F, notified=True), (Acknowledge(), Mark("orlov"), MARKED_ROW)),
    ("the acknowledgement", Journalled(F, notified=True, acked=True), (Mark("orlov"), MARKED_ROW)),
]


@pytest.mark.parametrize(("point", "left", "rerun"), CRASH_POINTS, ids=[p[0] for p in CRASH_POINTS])
def test_what_a_rerun_plans_after_each_crash_point(point: str, left: Journalled, rerun: tuple[Effect, ...]) -> None:
    done = [p[0] for p in CRASH_POINTS].index(point)
    before, planned = crash_after(Journalled(D), FORWARD_AWAY, done)
    assert planned == rerun
    journalled = Journalled(D)
    for effect in before:
        journalled = journal_after(journalled, effect)
    assert journalled == left


def test_after_the_mark_the_mail_is_gone_and_a_lost_marked_row_sends_nothing() -> None:
    effects = plan(Journalled(D), FORWARD)
    _, rerun = crash_after(Journalled(D), FORWARD, effects.index(Mark("orlov")) + 1)
    assert rerun == ()  # marked on the server: never looked at again, even with the row lost
    # The mark did not stick though the row says `marked`: only marked again.
    assert plan(Journalled(M, True, True), FORWARD) == (Mark("orlov"),)


@pytest.mark.parametrize(("decided", "mark"), [(TAG, Mark("orlov")), (SKIP, Mark(None)), (TRIAGE, MarkTriage())])
def test_mail_not_forwarded_is_journalled_marked_before_its_mark(decided: Decision, mark: Effect) -> None:
    _, rerun = crash_after(Journalled(D), decided, 1)  # `marked` written, the mark not set
    assert rerun == (mark,)


# -- refusals, double deliveries -------------------------------------------------


@pytest.mark.parametrize(
    ("permanent", "about_message", "then"),
    [
        (True, False, Quarantine("550 no such user")),  # for good: a human takes it, with the reason
        (True, True, Quarantine("550 no such user")),
        (False, True, Wait()),  # "for now" for this mail: it waits, the others go on
        (False, False, StopPoll()),  # the server fails as a whole: every mail waits, backoff
    ],
)
def test_a_refused_forward(permanent: bool, about_message: bool, then: Effect) -> None:
    effects = refused("550 no such user", permanent=permanent, about_message=about_message)
    assert effects == (RecordFailure("550 no such user", about_message), then)


def test_a_mail_refused_for_now_goes_to_a_human_only_when_overtaken_for_a_day() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert overtaken(now - GIVE_UP_AFTER, now)
    assert not overtaken(now - GIVE_UP_AFTER + timedelta(seconds=1), now)
    assert not overtaken(None, now)  # refused only while the server failed as a whole


@pytest.mark.parametrize(
    ("decided", "copy", "copy_pending", "expected"),
    [
        (True, None, False, Intake.RESUME),  # journalled before a crash: never decided anew
        (True, D, True, Intake.RESUME),
        (False, None, False, Intake.DECIDE),
        (False, D, True, Intake.HOLD),  # the first copy still waits: this one waits with it
        (False, D, False, Intake.ADOPT),  # the first copy is gone: this one carries its decision out
        (False, F, True, Intake.DUPLICATE),
        (False, F, False, Intake.DUPLICATE),
        (False, M, False, Intake.DUPLICATE),
    ],
)
def test_double_deliveries(decided: bool, copy: State | None, copy_pending: bool, expected: Intake) -> None:
    assert intake(decided=decided, copy=copy, copy_pending=copy_pending) is expected


def test_the_states_are_the_journals() -> None:
    from inboxbot.model.records import DECIDED, FORWARDED, MARKED

    assert (State.DECIDED, State.FORWARDED, State.MARKED) == (DECIDED, FORWARDED, MARKED)
