"""Named crash points for fault-injection tests: a real SIGKILL at a chosen step.

`INBOXBOT_FAILPOINT=after_smtp` kills the process the first time the worker passes
that point; `after_smtp:3` the third time. Unset (always, in production), a failpoint
is one dictionary look-up.
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_decide", "before_smtp", "after_smtp", "after_forwarded", "after_mark")
_hits: dict[str, int] = {}


def failpoint(name: str) -> None:
    spec = os.environ.get("INBOXBOT_FAILPOINT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
