"""A mail's claim before its forward is held per process (run/claims.py): two processes of
one worker id on one machine — `run --once` beside a serving `run` — never both send a
forward; a restarted worker takes its killed incarnation's claim over at once; nobody takes
a live process's claim, nor another worker's before it lapses (the holder's rules:
test_holders.py). The processes here are real ones on a real journal."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from samples import RULES
from test_store_contract import decision, key, record

from inboxbot.compose.template_check import load_templates
from inboxbot.config import ServerSettings, Settings
from inboxbot.io.imap import RawMessage
from inboxbot.mail.message import parse
from inboxbot.model.facts import Facts
from inboxbot.run.context import RunContext
from inboxbot.run.effects import EffectRunner, Work
from inboxbot.run.ledger_command import LedgerCommands
from inboxbot.run.outbox import Outbox
from inboxbot.run.plan import State
from inboxbot.run.rulesholder import RulesHolder
from inboxbot.store.factory import open_store

HERE = Path(__file__).parent
UID = 1
RAW = b"From: client@example.ru\r\nSubject: Zayavka\r\nMessage-ID: <m1@x>\r\n\r\n1\r\n"
HOUR = 3600  # a claim that never lapses within a test: every takeover here is the holder's death, not the clock


# -- real processes on one SQLite journal ---------------------------------------------


def runner(journal: Path, worker_id: str) -> EffectRunner:
    """The effect runner as a worker builds it, for `worker_id`, over the journal at `journal`."""
    store = open_store(journal)
    server = ServerSettings("127.0.0.1", 1143, "none", "bot", "secret")
    settings = Settings(imap=server, smtp=None, journal=str(journal), worker_id=worker_id, lease_seconds=HOUR)
    holder = RulesHolder(RULES)
    ctx = RunContext(settings, holder, store, lambda: datetime.now(UTC), load_templates(holder.rules))
    return EffectRunner(ctx, Outbox(ctx), LedgerCommands(ctx))


def work() -> Work:
    return Work(RawMessage("INBOX", 7, UID, RAW, ()), key(UID), parse(RAW), Facts(), decision(), State.DECIDED)


def hold_a_claim(journal: str, worker_id: str) -> None:
    """In a child process: claim the mail, say whether it was won, and live on until told to end."""
    print(runner(Path(journal), worker_id).claim(work()), flush=True)
    sys.stdin.readline()


class Claimant:
    """Another process with its own runner: it claims the mail at once and lives until `end()`."""

    def __init__(self, journal: Path, worker_id: str) -> None:
        code = f"import test_claims; test_claims.hold_a_claim({str(journal)!r}, {worker_id!r})"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True)  # fmt: skip
        assert self.proc.stdout is not None
        self.won = self.proc.stdout.readline().strip()

    def end(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait() == 0


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "journal.sqlite"
    with open_store(path) as store:
        record(store, UID, "m1@x", decision())
    yield path


def test_two_processes_of_one_worker_id_never_both_claim_a_mail(journal: Path) -> None:
    serving = Claimant(journal, "sales-1")  # the serving `run`, inside its poll
    try:
        assert serving.won == "True"
        assert not runner(journal, "sales-1").claim(work())  # `run --once` beside it: sends nothing
        assert Claimant(journal, "sales-1").won == "False"  # nor does a second `run` of the same unit
    finally:
        serving.end()


def test_a_restarted_worker_takes_its_killed_incarnations_claim_over_at_once(journal: Path) -> None:
    killed = Claimant(journal, "sales-1")
    assert killed.won == "True"
    killed.end()  # gone before its claim's hour is out
    restarted = runner(journal, "sales-1")
    assert restarted.claim(work())
    assert restarted.claim(work())  # its own now: renewed
    assert Claimant(journal, "sales-1").won == "False"  # and the restarted one lives: nobody else takes it


def test_another_workers_claim_is_kept_until_it_lapses_dead_or_alive(journal: Path) -> None:
    other = Claimant(journal, "sales-2")  # another machine on a shared store
    try:
        assert other.won == "True"
        assert not runner(journal, "sales-1").claim(work())
    finally:
        other.end()
    assert not runner(journal, "sales-1").claim(work())  # its pid means nothing on this machine
