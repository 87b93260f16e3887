"""The pure planner: what is left to do for one mail, given what the journal says of it.

No I/O here: the journal state and the decision go in, a tuple of effects comes out, and
the effect runner (effects.py) performs them in that order, journalling each one after it
succeeded. The crash-ordering rules are this module's shape; tests/test_plan.py tables them:

* forward → journal `forwarded` → notices → acknowledgement → IMAP mark → journal `marked`:
  a kill anywhere is finished by the next run from the journal state, never decided anew.
  Only a kill between the forward and its `forwarded` row sends the forward again, under
  the same deterministic Message-ID (the manager's mail client collapses the two).
* Mail that is not forwarded (skip, tag, triage) is journalled `marked` *before* its mark:
  nothing went out, so the worst a kill leaves is a pending mail the journal calls marked,
  which the next run only marks again. The other order would leave a marked mail (never
  looked at again) `decided` for ever.
* A new client's first assignment (`Claim`, decision.claim) is written to the client
  ledger right after `forwarded`, and again by every run that finds the mail `forwarded`
  (its write keeps the first owner, so repeating it changes nothing): a kill between the
  two neither loses it nor writes it twice.
* A mail command («передать Сидорову», decision.rule LEDGER_COMMAND_RULE) is carried
  out (`Command`: the ledger change, or the refusal mailed) before its `marked` row: a
  kill between them carries it out again, which finds the change made (it is keyed by
  the command's Message-ID) and writes nothing, or mails the refusal again under the
  same Message-ID.
* Disputes over the client (`RaiseDisputes`) are recorded after `forwarded`, each once by
  its facts, and the owner's notice is journalled on the dispute after it went: a kill
  between them sends it on the next run, never twice.
* Absence notices and the acknowledgement go after `forwarded` is journalled, each
  journalled once it went: a kill while they go never sends the forward again.
* `marked` in the journal while the server still lists the mail (a dropped keyword, a
  human, a kill before the mark): mark again, never resend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from inboxbot.model.decision import CREDIT_COMMAND_RULE, LEDGER_COMMAND_RULE, PRESENCE_COMMAND_RULE, Decision

# A mail the SMTP server keeps refusing "for now" (4xx to it or its recipient, e.g. a full
# mailbox) while other mail goes out is handed to a human after this long. Only such
# failures count: when the server fails as a whole (down, login, 421, or refusing every
# mail), no mail is at fault and all of them wait, however long the outage — the old
# rule (triage after 20 failed attempts) sent waiting mail to triage during an outage of
# ~3 hours (the backoff reaches 15 min). See `refused` and `overtaken`.
GIVE_UP_AFTER = timedelta(days=1)


class State(StrEnum):
    """A mail's state in the journal (the journal stores these very strings)."""

    DECIDED = "decided"
    FORWARDED = "forwarded"
    MARKED = "marked"


@dataclass(frozen=True, slots=True)
class Journalled:
    """What the journal knows of a mail when its effects are planned. A `decided` mail
    has neither notices nor acknowledgement journalled: both come after `forwarded`."""

    state: State
    notified: bool = False  # its absence notices went (or were refused for good)
    acked: bool = False  # its acknowledgement went (or was refused for good)


# -- effects ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forward:
    """Send the forward to the decision's owner (alone: the notices follow later)."""


@dataclass(frozen=True, slots=True)
class Record:
    """Journal the mail in `state` (`forwarded` with the forward's Message-ID)."""

    state: State


@dataclass(frozen=True, slots=True)
class Claim:
    """Write the decision's first assignment to the client ledger (idempotent)."""


@dataclass(frozen=True, slots=True)
class Command:
    """Carry out a mail command (run/ledger_command.py, run/presence_command.py); safe to repeat."""


@dataclass(frozen=True, slots=True)
class RaiseDisputes:
    """Record the decision's disputes over who owns the client (each once, by its facts)
    and tell the owner of a client who wrote to a colleague, once per dispute."""


@dataclass(frozen=True, slots=True)
class NotifyAbsent:
    """Tell each absent manager in `managers` whose request went to whom; journalled once
    the last one went."""

    managers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """Tell the client who has the request, once per thread; journalled after it went."""


@dataclass(frozen=True, slots=True)
class Mark:
    """The IMAP mark "handled", with the owner's keyword when `owner` is set."""

    owner: str | None


@dataclass(frozen=True, slots=True)
class MarkTriage:
    """The IMAP mark "for manual triage"."""


@dataclass(frozen=True, slots=True)
class Quarantine:
    """Mark the mail for manual triage now and journal it `marked` with `reason` (which
    stays for the human who picks it up): its forward cannot go out."""

    reason: str


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """Count a failed forward in the journal; `about_message` starts the clock of
    GIVE_UP_AFTER (the server refused this very mail, not every mail)."""

    error: str
    about_message: bool


@dataclass(frozen=True, slots=True)
class Wait:
    """Leave the mail pending, journalled `decided`: it is tried again next poll."""


@dataclass(frozen=True, slots=True)
class StopPoll:
    """The server fails as a whole: the poll stops (backoff), every mail waits."""


Effect = Forward | Record | Claim | Command | RaiseDisputes | NotifyAbsent | Acknowledge | Mark | MarkTriage | Quarantine | RecordFailure | Wait | StopPoll
MARKED_ROW = Record(State.MARKED)


def batched(effect: Effect) -> bool:
    """Done for a whole run of mails at once (a few IMAP commands, one journal transaction
    each side of them), each mail's planned order kept: its mark and its `marked` row."""
    return isinstance(effect, Mark | MarkTriage) or effect == MARKED_ROW


def mark_of(decision: Decision) -> Mark | MarkTriage:
    """The IMAP mark a handled mail gets: skipped mail carries no owner keyword."""
    if decision.action == "triage":
        return MarkTriage()
    return Mark(decision.owner if decision.action != "skip" else None)


def plan(journalled: Journalled, decision: Decision) -> tuple[Effect, ...]:
    """The effects left to do for a mail, in order, from its journal state."""
    mark = mark_of(decision)
    state = journalled.state
    if state is State.MARKED:
        return (mark,)
    if state is State.DECIDED and decision.rule in (LEDGER_COMMAND_RULE, PRESENCE_COMMAND_RULE, CREDIT_COMMAND_RULE):
        return (Command(), Record(State.MARKED), mark)
    if state is State.DECIDED and not decision.forwards:
        return (Record(State.MARKED), mark)
    effects: list[Effect] = []
    if state is State.DECIDED:
        effects += [Forward(), Record(State.FORWARDED)]
    if decision.claim and decision.forwards:
        effects.append(Claim())
    if decision.disputes and decision.forwards:
        effects.append(RaiseDisputes())
    if decision.notify and not journalled.notified:
        effects.append(NotifyAbsent(decision.notify))
    if decision.forwards and not journalled.acked:
        effects.append(Acknowledge())
    return (*effects, mark, Record(State.MARKED))


def refused(error: str, *, permanent: bool, about_message: bool) -> tuple[Effect, ...]:
    """What follows a forward the SMTP server refused: for good (5xx) → manual triage with
    the reason; "for now" for this mail or its recipient (4xx) → the mail waits and the
    others go on; the server failing as a whole → the poll stops."""
    failure = RecordFailure(error, about_message)
    if permanent:
        return (failure, Quarantine(error))
    if about_message:
        return (failure, Wait())
    return (failure, StopPoll())


def overtaken(failing_since: datetime | None, now: datetime) -> bool:
    """A mail refused "for now" when a later forward went out: the server works, so the
    refusal is about this mail; after GIVE_UP_AFTER of that it goes to a human."""
    return failing_since is not None and now - failing_since >= GIVE_UP_AFTER


class Intake(StrEnum):
    """How a fetched mail enters the planner, from the journal's rows of it and its copies."""

    RESUME = "resume"  # journalled with a decision before a crash: act on it, never decide anew
    HOLD = "hold"  # a second copy of a mail still waiting in the mailbox: left pending with it
    DECIDE = "decide"  # new: decide it
    ADOPT = "adopt"  # a copy of a decided mail gone from the mailbox: carry out that decision
    DUPLICATE = "duplicate"  # a copy of a mail forwarded or handled already: skipped as such


def intake(*, decided: bool, copy: State | None, copy_pending: bool) -> Intake:
    """`decided`: the journal has this mail's decision; `copy`: the journal state of an
    earlier copy (same Message-ID or content), if any; `copy_pending`: that copy is in the
    mailbox's pending mail of this poll."""
    if decided:
        return Intake.RESUME
    if copy is None:
        return Intake.DECIDE
    if copy is State.DECIDED:
        # A first copy decided and still pending is forwarded (or handed to a human) first;
        # one gone from the mailbox (deleted, the folder recreated) before its forward was
        # known to go out is carried out by this copy: same manager, same Message-ID.
        return Intake.HOLD if copy_pending else Intake.ADOPT
    return Intake.DUPLICATE
