"""Named crash points for fault-injection tests: a real SIGKILL at a chosen step.

`INBOXBOT_FAILPOINT=after_smtp` kills the process the first time the worker passes
that point; `after_smtp:3` the third time. Unset (always, in production), a failpoint
is one environment look-up and nothing else.

The points, in the order the worker passes them for one message (see plan.py):

    after_fetch      a message was fetched, nothing decided yet
    after_decide     the decision is journalled (`decided`)
    before_smtp      about to open the SMTP transaction of the forward
    after_smtp       the SMTP server accepted the forward; not yet journalled
    after_forwarded  `forwarded` is journalled; the IMAP mark is not set yet
    after_mark       the IMAP mark is set; `marked` is not journalled yet (for forwarded
                     mail; mail that was not forwarded is journalled `marked` just
                     before its mark, see effects.EffectRunner.mark_all)

One point belongs to the release of skipped mail by the head (releases.py):

    after_release_smtp  a released mail's forward went out; its release is not journalled

One belongs to the head's «передать Сидорову» by mail (ledger_command.py):
    after_command       the command's change is made (or its refusal mailed); the command
                        mail is not journalled `marked`

The worker takes a batch in runs: every decision of a run, then its forwards, then its
marks (set together); each point is still passed once per message.

One point is tied to a mail rather than a count: `INBOXBOT_FAILPOINT=prepare` kills the
process (worker or extraction child) that prepares a mail carrying the header
`X-Inboxbot-Failpoint: prepare` — a mail that kills whoever reads it, every time. And
`INBOXBOT_FAILPOINT=child_start` kills every extraction child as it starts, before any
mail reaches it (the models cannot load, no memory): no mail is at fault.
"""

from __future__ import annotations

import os
import re
import signal

ENV = "INBOXBOT_FAILPOINT"
# The steps every forward goes through; a released mail (the head's «переслать») has its own.
FORWARD_POINTS = ("after_fetch", "after_decide", "before_smtp", "after_smtp", "after_forwarded", "after_mark")
RELEASE_POINTS = ("after_release_smtp",)
COMMAND_POINTS = ("after_command",)
POINTS = FORWARD_POINTS + RELEASE_POINTS + COMMAND_POINTS
MAIL_POINTS = ("prepare",)
PROCESS_POINTS = ("child_start",)
_hits: dict[str, int] = {}


def failpoint(name: str) -> None:
    """SIGKILL this process when INBOXBOT_FAILPOINT names `name` (on its N-th hit with
    `name:N`). A kill, not an exception: no `finally`, no atexit, no flushed buffers."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point in MAIL_POINTS or point in PROCESS_POINTS:
        return
    if point not in POINTS or not (nth or "1").isdigit():
        # A typo would otherwise make a crash test pass without ever crashing.
        raise ValueError(f"{ENV}={spec!r}: expected POINT or POINT:N, POINT one of {', '.join(POINTS)}")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def mail_failpoint(name: str, raw: bytes) -> None:
    """SIGKILL this process when INBOXBOT_FAILPOINT is `name` and `raw` carries the header
    `X-Inboxbot-Failpoint: name`."""
    if os.environ.get(ENV) == name and re.search(rb"(?m)^X-Inboxbot-Failpoint: " + re.escape(name.encode()), raw):
        os.kill(os.getpid(), signal.SIGKILL)


def process_failpoint(name: str) -> None:
    """SIGKILL this process when INBOXBOT_FAILPOINT is `name`, each time it passes here."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
