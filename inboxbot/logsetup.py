"""Where log lines go and which ones: set once, by the command line, never by the library.

A running `inboxbot run` writes at most one Russian line per job run at INFO (the
worker's summary of a poll, of the follow-ups, of the report) and its warnings and
errors. The libraries underneath are quiet below WARNING: apscheduler would write four English lines per poll («Running job…», «Job … executed
successfully»), ~5,800 a day; mail-parser warns «Email content 'alternative' not handled»
for most multipart mail, which is normal mail and not a problem, so it is quiet below
ERROR. `-v` lets all of them through at INFO (and the bot's per-message lines at DEBUG),
`-vv` everything.
"""

from __future__ import annotations

import logging
import sys

# Loggers of libraries whose lines are chatter for a user; each quiet below this level
# unless -v is given (the rest of the libraries go by the root's WARNING).
QUIET_LIBRARIES: dict[str, int] = {
    "apscheduler": logging.WARNING,
    # Its warnings are the scheduler at work: «skipped: maximum number of running
    # instances reached» each time a job falls due while a long poll (a backlog) still
    # runs. Job errors (the executors' logger) stay at WARNING.
    "apscheduler.scheduler": logging.ERROR,
    "mailparser": logging.ERROR,  # its WARNINGs are about ordinary multipart mail
    "pypdf": logging.ERROR,  # warns about every slightly malformed PDF attachment
}
# Only the worker and its jobs speak at INFO: a summary of each job that did something
# and the rare events (started, rules reloaded, connection back). Other modules' INFO
# lines are per mail.
SERVICE_LOGGERS = ("inboxbot.run.worker", "inboxbot.run.jobs")
LEVEL_WORDS = {
    logging.DEBUG: "отладка",
    logging.INFO: "",
    logging.WARNING: "ВНИМАНИЕ",
    logging.ERROR: "ОШИБКА",
    logging.CRITICAL: "СБОЙ",
}


def levels(verbose: int, *, service: bool = False) -> dict[str, int]:
    """Logger name ("" is the root) → level. `service`: the long-running worker, whose
    per-poll summary (INFO) is wanted without -v."""
    if verbose >= 2:
        return {"": logging.DEBUG, "inboxbot": logging.DEBUG, **dict.fromkeys(SERVICE_LOGGERS, logging.DEBUG),
                **{name: logging.DEBUG for name in QUIET_LIBRARIES}}  # fmt: skip
    if verbose == 1:
        return {"": logging.INFO, "inboxbot": logging.DEBUG, **dict.fromkeys(SERVICE_LOGGERS, logging.DEBUG),
                **{name: logging.INFO for name in QUIET_LIBRARIES}}  # fmt: skip
    return {
        "": logging.WARNING,
        "inboxbot": logging.WARNING,
        **dict.fromkeys(SERVICE_LOGGERS, logging.INFO if service else logging.WARNING),
        **QUIET_LIBRARIES,
    }


class RussianFormatter(logging.Formatter):
    """«2026-11-16 10:30:00 ВНИМАНИЕ: …»; INFO lines carry no level word; with -v the
    logger's name is added for a developer."""

    def __init__(self, verbose: int = 0) -> None:
        super().__init__(datefmt="%Y-%m-%d %H:%M:%S")
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        word = LEVEL_WORDS.get(record.levelno, record.levelname)
        head = self.formatTime(record, self.datefmt)
        if word:
            head += f" {word}"
        if self.verbose:
            head += f" [{record.name}]"
        text = f"{head}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the line (click's test runner and
    daemons replace it), not to the stream that was current when logging was set up."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


# How this process was configured, for the extraction processes to do the same (they
# start from the forkserver, a fresh interpreter): (verbose, service), or None.
configured: tuple[int, bool] | None = None


def configure(verbose: int = 0, *, service: bool = False) -> None:
    """Set the levels and the one stderr handler of the root logger (idempotent: a second
    call changes the levels and the format, it adds no second handler)."""
    global configured
    configured = (verbose, service)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        root.addHandler(handler)
    handler.setFormatter(RussianFormatter(verbose))
    for name, level in levels(verbose, service=service).items():
        logging.getLogger(name or None).setLevel(level)
