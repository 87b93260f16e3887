"""kill -9 of the real worker process at every step, then a restart: every request is
forwarded exactly once (a resend after a cut SMTP transaction carries the same
Message-ID) and marked; nothing else is forwarded. Real Dovecot, real aiosmtpd, the
real `inboxbot run --once` in a subprocess; the kills are real SIGKILLs.

"Exactly once" is counted the way a manager sees it: per original Message-ID, the
number of *distinct* forward Message-IDs that reached the SMTP server must be 1. A
second copy with the same Message-ID is allowed only where the protocol cannot avoid
it (the server took the mail, the worker died before hearing or journalling it); the
manager's mail client shows it once.
"""

from __future__ import annotations

import asyncio
import email
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from samples import RULES, deliver, pending, sample
from servers import Received, SmtpCatcher, free_port

from inboxbot.config import ServerSettings
from inboxbot.rules.load import load_rules
from inboxbot.run.failpoints import FORWARD_POINTS

INBOXBOT = Path(sys.executable).with_name("inboxbot")
REQUESTS = ("001", "006", "019")  # forwarded
NOT_REQUESTS = ("015",)  # an auto-reply: marked, never forwarded
OWNER_PREFIX = "$inboxbotto-"


def message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip().strip("<>")


def worker_env(imap: ServerSettings, smtp_port: int, journal: Path, failpoint: str | None = None,
               **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXBOT_")}
    env.update(
        INBOXBOT_IMAP_HOST=imap.host, INBOXBOT_IMAP_PORT=str(imap.port), INBOXBOT_IMAP_TLS="none",
        INBOXBOT_IMAP_USER=imap.user, INBOXBOT_IMAP_PASSWORD=imap.password,
        INBOXBOT_SMTP_HOST="127.0.0.1", INBOXBOT_SMTP_PORT=str(smtp_port), INBOXBOT_SMTP_TLS="none",
        INBOXBOT_JOURNAL=str(journal), INBOXBOT_BOT_ADDRESS="sales-bot@severkarton.test",
    )
    if failpoint:
        env["INBOXBOT_FAILPOINT"] = failpoint
    env.update(extra)
    return env


WORKER_ARGS = [str(INBOXBOT), "run", "--once", "--rules", str(RULES)]


def run_worker(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The timeout only keeps a hung worker from hanging CI; nothing is asserted on time.
    return subprocess.run(WORKER_ARGS, env=env, capture_output=True, text=True, timeout=600, check=False)


def start_worker(env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    # The log goes to a file, never a pipe nobody reads: a full pipe would stall the worker.
    with open(log or os.devnull, "wb") as out:
        return subprocess.Popen(WORKER_ARGS, env=env, stdout=out, stderr=subprocess.STDOUT)


def forwards_by_original(raws: list[bytes]) -> dict[str, list[str]]:
    """original Message-ID → the forward Message-IDs that reached the server, one per copy."""
    found: dict[str, list[str]] = defaultdict(list)
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if msg["In-Reply-To"] and str(msg["Message-ID"]).startswith("<fwd."):
            found[str(msg["In-Reply-To"]).strip().strip("<>")].append(str(msg["Message-ID"]).strip())
    return found


def mailbox_flags(imap: ServerSettings) -> dict[str, set[str]]:
    """original Message-ID → its IMAP flags (lower case), read as a human's client would."""
    client = IMAPClient(imap.host, imap.port, ssl=False)
    try:
        client.login(imap.user, imap.password)
        client.select_folder("INBOX", readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    finally:
        client.logout()
    flags = {}
    for item in data.values():
        mid = message_id(item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"])
        flags[mid] = {(f.decode() if isinstance(f, bytes) else f).lower() for f in item[b"FLAGS"]}
    return flags


def owner_emails() -> dict[str, str]:
    return {mid.lower(): m.email.lower() for mid, m in load_rules(RULES).managers.items()}


@dataclass
class Tally:
    """What the servers saw, counted per original: the test's verdict and its report."""

    requests: set[str]
    others: set[str]
    delivered: list[Received]
    flags: dict[str, set[str]]
    copies: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.copies = forwards_by_original([m.raw for m in self.delivered])

    @property
    def lost(self) -> set[str]:
        """Requests with no forward at the server."""
        return {mid for mid in self.requests if not self.copies.get(mid)}

    @property
    def doubled(self) -> dict[str, set[str]]:
        """Originals that reached a manager under more than one forward Message-ID."""
        return {mid: set(ids) for mid, ids in self.copies.items() if len(set(ids)) > 1}

    @property
    def wrongly_forwarded(self) -> set[str]:
        return set(self.copies) - self.requests

    @property
    def resends(self) -> int:
        """Extra copies under the same Message-ID (the server took it, the worker died)."""
        return sum(len(ids) - len(set(ids)) for ids in self.copies.values())

    @property
    def ack_resends(self) -> int:
        """Client acknowledgements sent more than once under the same Message-ID."""
        acks = Counter(
            str(email.message_from_bytes(m.raw, policy=policy.default)["Message-ID"]).strip()
            for m in self.delivered if re.search(rb"^X-Inboxbot: ack", m.raw, re.MULTILINE)
        )
        return sum(count - 1 for count in acks.values())

    @property
    def unmarked(self) -> set[str]:
        return {mid for mid in self.requests | self.others if "$inboxbotdone" not in self.flags.get(mid, set())}

    @property
    def triaged(self) -> set[str]:
        return {mid for mid, flags in self.flags.items() if "$inboxbottriage" in flags}

    def misrouted(self) -> set[str]:
        """Requests whose IMAP owner keyword names someone else than the forward's recipient
        (a decision taken twice would show up here)."""
        emails = owner_emails()
        bad = set()
        for received in self.delivered:
            fwd = forwards_by_original([received.raw])
            for mid in fwd:
                owners = [f[len(OWNER_PREFIX):] for f in self.flags.get(mid, ()) if f.startswith(OWNER_PREFIX)]
                if [emails.get(o) for o in owners] != [r.lower() for r in received.rcpt_tos]:
                    bad.add(mid)
        return bad

    def report(self) -> str:
        return (f"{len(self.requests) + len(self.others)} mails, {len(self.requests)} requests: "
                f"lost {len(self.lost)}, doubled {len(self.doubled)}, "
                f"non-requests forwarded {len(self.wrongly_forwarded)}, unmarked {len(self.unmarked)}, "
                f"triaged {len(self.triaged)}, same-Message-ID resends: forwards {self.resends}, "
                f"acknowledgements {self.ack_resends}")

    def assert_exactly_once(self) -> None:
        assert self.lost == set(), self.report()
        assert self.doubled == {}, self.doubled
        assert self.wrongly_forwarded == set(), self.report()
        assert self.unmarked == set(), self.report()
        assert self.triaged == set(), self.report()
        assert self.misrouted() == set(), self.report()


def journal_rows(path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM messages").fetchall()
    finally:
        db.close()


# -- kill -9 at each named step ------------------------------------------------------


@pytest.mark.parametrize("point", FORWARD_POINTS)
def test_kill_at_each_step_then_restart(point: str, imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                        tmp_path: Path) -> None:
    mails = [sample(p) for p in (*REQUESTS, *NOT_REQUESTS)]
    deliver(imap_inbox, *mails)
    journal = tmp_path / "journal.sqlite"

    # The second pass of the point: one mail is through, the next one is cut.
    crashed = run_worker(worker_env(imap_inbox, smtp_server.port, journal, f"{point}:2"))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    finished = run_worker(worker_env(imap_inbox, smtp_server.port, journal))
    assert finished.returncode == 0, finished.stderr[-2000:]

    tally = Tally({message_id(sample(p)) for p in REQUESTS}, {message_id(sample(p)) for p in NOT_REQUESTS},
                  smtp_server.messages, mailbox_flags(imap_inbox))
    tally.assert_exactly_once()
    # Only a kill between the SMTP server's "250 OK" and the journal may resend a forward.
    assert tally.resends == (1 if point == "after_smtp" else 0), tally.report()
    assert pending(imap_inbox) == []
    # Whatever the journal says was forwarded did reach the server, under that Message-ID.
    for row in journal_rows(journal):
        if row["forward_id"]:
            assert f"<{row['forward_id']}>" in tally.copies[row["message_id"]]
        assert row["state"] != "decided", dict(row)



def test_an_unknown_failpoint_name_is_an_error(imap_inbox: ServerSettings, tmp_path: Path) -> None:
    deliver(imap_inbox, sample("001"))
    done = run_worker(worker_env(imap_inbox, free_port(), tmp_path / "j.sqlite", "after_smpt"))
    assert done.returncode != 0 and "after_smtp" in done.stderr  # names the valid points


# -- kill -9 inside the SMTP transaction ---------------------------------------------


class _HoldingSink:
    """aiosmtpd handler that holds the first DATA open until the test has killed the
    client, then takes the mail (the worst case: delivered, the sender never heard) or
    does not (the transaction died with the client)."""

    def __init__(self, takes_it: bool) -> None:
        self.takes_it = takes_it
        self.messages: list[Received] = []
        self.cut_forward_id = ""
        self.in_data = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        received = Received(envelope.mail_from, tuple(envelope.rcpt_tos), raw)
        if self.in_data.is_set():
            self.messages.append(received)
            return "250 OK"
        self.cut_forward_id = str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip()
        if self.takes_it:
            self.messages.append(received)  # queued before the reply, as a real MTA does
        self.in_data.set()
        # aiosmtpd cancels this coroutine once the client is gone; either way no reply
        # ever reaches the worker.
        while not self.release.is_set():
            await asyncio.sleep(0.02)
        return "250 OK" if self.takes_it else "451 4.3.0 transaction aborted"


@pytest.mark.parametrize("takes_it", [True, False], ids=["server-took-it", "server-dropped-it"])
def test_kill_inside_the_smtp_transaction(takes_it: bool, imap_inbox: ServerSettings, tmp_path: Path) -> None:
    handler = _HoldingSink(takes_it)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        deliver(imap_inbox, *(sample(p) for p in REQUESTS))
        journal = tmp_path / "journal.sqlite"
        env = worker_env(imap_inbox, controller.port, journal)
        proc = start_worker(env)
        while not handler.in_data.wait(0.05):
            assert proc.poll() is None, "the worker exited before it reached DATA"
        proc.kill()
        proc.wait()
        handler.release.set()
        finished = run_worker(env)
        assert finished.returncode == 0, finished.stderr[-2000:]
    finally:
        handler.release.set()
        controller.stop()

    tally = Tally({message_id(sample(p)) for p in REQUESTS}, set(), handler.messages, mailbox_flags(imap_inbox))
    tally.assert_exactly_once()
    assert tally.resends == (1 if takes_it else 0)
    # The resend of the cut forward carries the Message-ID the cut transaction had.
    assert handler.cut_forward_id in {i for ids in tally.copies.values() for i in ids}
    assert pending(imap_inbox) == []


# -- a short soak of random kills ----------------------------------------------------

SOAK_MAILS = 60  # ≥ Pipeline.PARALLEL_MIN: a batch of 100 is parsed in child processes
SOAK_SEED = 20261122
SOAK_ATTEMPTS = 6  # rounds that try to kill, until each way has killed once; then runs until done
MAX_ROUNDS = 40
WAYS = ("failpoint", "progress", "smtp-data")


def varied_backlog(count: int, rng: random.Random) -> tuple[list[bytes], set[str], set[str]]:
    """Requests and non-requests from the shared corpus, each with its own Message-ID.
    Returns (mails, request Message-IDs, other Message-IDs)."""
    kinds = [(sample(p), True) for p in ("001", "004", "006", "009", "017", "019", "024")]
    kinds += [(sample(p), False) for p in ("015", "025")]  # an auto-reply, a bounce
    mails, requests, others = [], set(), set()
    for index in range(count):
        raw, is_request = rng.choice(kinds)
        mid = f"soak-{index}-{rng.getrandbits(32):08x}@test.invalid"
        raw = re.sub(rb"(?im)^Message-ID:[^\r\n]*", f"Message-ID: <{mid}>".encode(), raw, count=1)
        mails.append(raw)
        (requests if is_request else others).add(mid)
    return mails, requests, others


class _KillingSink:
    """SMTP catcher that can SIGKILL the worker from inside a DATA command (before the
    reply), then take the mail or not; and lets the test wait for progress."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.data_commands = 0
        self.progress = threading.Condition()
        self.plan: tuple[int, int, bool] | None = None  # (at DATA number, pid, take it)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        with self.progress:
            self.data_commands += 1
            plan = self.plan
            if plan and self.data_commands >= plan[0]:
                self.plan = None
                os.kill(plan[1], signal.SIGKILL)
                if not plan[2]:
                    return "451 4.3.0 transaction aborted"
            self.messages.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), raw))
            self.progress.notify_all()
        return "250 OK"

    def wait_for(self, count: int, proc: subprocess.Popen[bytes]) -> None:
        with self.progress:
            while len(self.messages) < count and proc.poll() is None:
                self.progress.wait(0.05)


@pytest.fixture
def killing_smtp() -> Iterator[tuple[_KillingSink, int]]:
    sink = _KillingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def processes_using(journal: Path) -> list[int]:
    """PIDs of live processes started for this journal (the worker and its extraction
    children inherit the environment): none may outlive a kill -9 of the worker."""
    needle = f"INBOXBOT_JOURNAL={journal}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0") and \
                        (entry / "stat").read_text().split(") ")[-1][0] not in "ZX":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_random_kills_lose_nothing_and_double_nothing(imap_inbox: ServerSettings,
                                                      killing_smtp: tuple[_KillingSink, int],
                                                      tmp_path: Path) -> None:
    """An integration soak: a backlog of varied mail, the real worker SIGKILLed a few
    times at random moments, three ways: at a random named step and pass (failpoint),
    asynchronously a random moment after a random amount of progress (anywhere: an
    SQLite commit, an IMAP STORE, a child process extracting), and from inside a random
    SMTP DATA (the server then takes the mail or not). Restart after each kill until
    every mail is marked, then count.

    The exhaustive ordering — every crash point against every journal state and
    decision — is in tests/test_plan.py, as pure tests of the planner; the kills at each
    named step are test_kill_at_each_step_then_restart above. This soak checks that the
    real processes, servers and journal keep those promises together."""
    sink, port = killing_smtp
    rng = random.Random(SOAK_SEED)
    mails, requests, others = varied_backlog(SOAK_MAILS, rng)
    deliver(imap_inbox, *mails)
    journal = tmp_path / "journal.sqlite"
    kills: Counter[str] = Counter()
    attempts = 0
    productive = 0  # killed lives that got some mail to the server first
    rounds = 0
    while pending(imap_inbox):
        rounds += 1
        assert rounds <= MAX_ROUNDS, f"still {len(pending(imap_inbox))} mails pending after {MAX_ROUNDS} rounds"
        # 100: the production batch, parsed in child processes; 30: in the worker itself.
        env = worker_env(imap_inbox, port, journal, INBOXBOT_BATCH_SIZE=str(rng.choice((100, 30))))
        # A way that has not killed yet (a failpoint may be passed too few times).
        how = next((way for way in WAYS if not kills[way]), "none") if attempts < SOAK_ATTEMPTS else "none"
        attempts += how != "none"
        sent_before = len(sink.messages)
        log = tmp_path / f"round-{rounds}.log"
        if how == "failpoint":
            point = rng.choice(FORWARD_POINTS)
            # Small passes: a point not reached would let the round finish the backlog.
            env["INBOXBOT_FAILPOINT"] = f"{point}:{rng.randint(1, {'after_fetch': 20, 'after_mark': 1}.get(point, 5))}"
            proc = start_worker(env, log)
        elif how == "progress":
            proc = start_worker(env, log)
            sink.wait_for(len(sink.messages) + rng.randint(1, 8), proc)
            try:  # lands anywhere in the work that follows the n-th forward
                proc.wait(rng.uniform(0.0, 0.08))
            except subprocess.TimeoutExpired:
                proc.kill()
        elif how == "smtp-data":
            proc = start_worker(env, log)
            with sink.progress:
                sink.plan = (sink.data_commands + rng.randint(1, 8), proc.pid, rng.random() < 0.5)
        else:
            proc = start_worker(env, log)
        returncode = proc.wait()
        sink.plan = None
        if returncode == -signal.SIGKILL:
            kills[how] += 1
            productive += len(sink.messages) > sent_before
        else:
            assert returncode == 0, f"round {rounds} ({how}): exit code {returncode}\n{log.read_text()[-3000:]}"
        print(f"round {rounds} {how} rc={returncode} sent={len(sink.messages)}", flush=True)

    settled = run_worker(worker_env(imap_inbox, port, journal))  # one clean run: nothing left to do
    assert settled.returncode == 0 and "Обработано писем: 0" in settled.stdout, settled.stdout

    tally = Tally(requests, others, sink.messages, mailbox_flags(imap_inbox))
    print(f"\nrandom kills: {sum(kills.values())} kill -9 in {rounds} rounds ({dict(kills)}), {productive} productive; "
          f"{tally.report()}")
    tally.assert_exactly_once()
    assert len(kills) == 3  # the worker really was killed, every way
    rows = journal_rows(journal)
    assert not [dict(r) for r in rows if r["state"] == "decided"]  # every decided mail was finished
    for row in rows:  # the journal never claims a forward the server did not get
        if row["forward_id"]:
            assert f"<{row['forward_id']}>" in tally.copies[row["message_id"]]
    for _ in range(100):  # killed workers' extraction children exit on their own, promptly
        if not processes_using(journal):
            break
        threading.Event().wait(0.05)
    assert processes_using(journal) == []


def test_a_killed_worker_leaves_no_extraction_process_behind(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                             tmp_path: Path) -> None:
    """A backlog is parsed in child processes; kill -9 of the worker must take them along
    (they used to live on, each with its NLP models in memory, after every crash)."""
    mails, _, _ = varied_backlog(45, random.Random(1))  # ≥ Pipeline.PARALLEL_MIN: children start
    deliver(imap_inbox, *mails)
    journal = tmp_path / "journal.sqlite"
    crashed = run_worker(worker_env(imap_inbox, smtp_server.port, journal, "after_decide:1"))
    assert crashed.returncode == -signal.SIGKILL
    assert journal_rows(journal)  # it got as far as deciding the batch (the log says so only with -v)
    for _ in range(200):
        if not processes_using(journal):
            break
        threading.Event().wait(0.05)
    assert processes_using(journal) == []
