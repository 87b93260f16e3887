"""kill -9 of the real worker process at every step, then a restart: every request is
forwarded exactly once (a resend after a cut SMTP transaction carries the same
Message-ID) and marked; nothing else is forwarded. Real Dovecot, real aiosmtpd."""

from __future__ import annotations

import asyncio
import email
import os
import random
import re
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from samples import REPO, deliver, pending, sample
from servers import SmtpCatcher, free_port

from inboxbot.config import ServerSettings
from inboxbot.failpoints import POINTS

INBOXBOT = Path(sys.executable).with_name("inboxbot")
REQUESTS = ("001", "006", "019")  # forwarded
NOT_REQUESTS = ("015",)  # an auto-reply


def message_id(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=policy.default)["Message-ID"]).strip().strip("<>")


def worker_env(imap: ServerSettings, smtp_port: int, journal: Path, failpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INBOXBOT_")}
    env.update(
        INBOXBOT_IMAP_HOST=imap.host, INBOXBOT_IMAP_PORT=str(imap.port), INBOXBOT_IMAP_TLS="none",
        INBOXBOT_IMAP_USER=imap.user, INBOXBOT_IMAP_PASSWORD=imap.password,
        INBOXBOT_SMTP_HOST="127.0.0.1", INBOXBOT_SMTP_PORT=str(smtp_port), INBOXBOT_SMTP_TLS="none",
        INBOXBOT_JOURNAL=str(journal), INBOXBOT_BOT_ADDRESS="sales-bot@severkarton.test",
    )
    if failpoint:
        env["INBOXBOT_FAILPOINT"] = failpoint
    return env


def run_worker(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INBOXBOT), "run", "--once", "--rules", str(REPO / "rules.toml")],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )


def forwards_by_original(raws: list[bytes]) -> dict[str, set[str]]:
    """original Message-ID → the distinct forward Message-IDs that reached the managers."""
    found: dict[str, set[str]] = defaultdict(set)
    for raw in raws:
        msg = email.message_from_bytes(raw, policy=policy.default)
        if msg["In-Reply-To"] and str(msg["Message-ID"]).startswith("<fwd."):
            found[str(msg["In-Reply-To"]).strip().strip("<>")].add(str(msg["Message-ID"]))
    return found


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_step_then_restart(point: str, imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                        tmp_path: Path) -> None:
    mails = [sample(p) for p in (*REQUESTS, *NOT_REQUESTS)]
    deliver(imap_inbox, *mails)
    journal = tmp_path / "journal.sqlite"

    crashed = run_worker(worker_env(imap_inbox, smtp_server.port, journal, f"{point}:2"))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    finished = run_worker(worker_env(imap_inbox, smtp_server.port, journal))
    assert finished.returncode == 0, finished.stderr[-2000:]

    sent = forwards_by_original([m.raw for m in smtp_server.messages])
    wanted = {message_id(sample(p)) for p in REQUESTS}
    assert set(sent) == wanted  # nothing lost, auto-reply never forwarded
    assert all(len(ids) == 1 for ids in sent.values()), sent  # one forward (same Message-ID if resent)
    copies = len(smtp_server.messages)
    # Only a kill between the SMTP server's "250 OK" and the journal may resend a forward.
    assert copies == len(wanted) + (1 if point == "after_smtp" else 0)
    assert pending(imap_inbox) == []


class _HoldingSink:
    """aiosmtpd handler that keeps the first DATA open until the test has killed the
    client: the server took the mail, the client never heard so."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.in_data = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        # The server has queued the mail before it answers: the worst case, a delivered
        # mail whose sender never learns it.
        first = not self.messages
        self.messages.append(envelope.original_content or envelope.content)  # type: ignore[attr-defined]
        if first:
            self.in_data.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return "250 OK"


@pytest.fixture
def holding_smtp() -> Iterator[tuple[_HoldingSink, int]]:
    handler = _HoldingSink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        handler.release.set()
        controller.stop()


def test_kill_inside_the_smtp_transaction(imap_inbox: ServerSettings, holding_smtp: tuple[_HoldingSink, int],
                                          tmp_path: Path) -> None:
    handler, port = holding_smtp
    deliver(imap_inbox, *(sample(p) for p in REQUESTS))
    journal = tmp_path / "journal.sqlite"
    proc = subprocess.Popen(
        [str(INBOXBOT), "run", "--once", "--rules", str(REPO / "rules.toml")],
        env=worker_env(imap_inbox, port, journal), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    assert handler.in_data.wait(timeout=120), "the worker never reached DATA"
    proc.kill()
    proc.wait()
    handler.release.set()
    finished = run_worker(worker_env(imap_inbox, port, journal))
    assert finished.returncode == 0, finished.stderr[-2000:]

    sent = forwards_by_original(handler.messages)
    assert set(sent) == {message_id(sample(p)) for p in REQUESTS}
    assert all(len(ids) == 1 for ids in sent.values()), sent
    assert len(handler.messages) == len(REQUESTS) + 1  # the cut one arrived twice, same Message-ID
    assert pending(imap_inbox) == []


def varied_backlog(count: int, rng: random.Random) -> tuple[list[bytes], set[str]]:
    """Requests and non-requests from the samples, each with its own Message-ID."""
    kinds = [(sample(p), True) for p in ("001", "004", "006", "009", "017", "019", "024")]
    kinds += [(sample(p), False) for p in ("015", "025")]
    mails, requests = [], set()
    for index in range(count):
        raw, is_request = rng.choice(kinds)
        mid = f"soak-{index}@test.invalid"
        raw = re.sub(rb"(?im)^Message-ID:[^\r\n]*", f"Message-ID: <{mid}>".encode(), raw, count=1)
        mails.append(raw)
        if is_request:
            requests.add(mid)
    return mails, requests


def test_random_kills_lose_nothing_and_double_nothing(imap_inbox: ServerSettings, smtp_server: SmtpCatcher,
                                                      tmp_path: Path) -> None:
    rng = random.Random(20261122)
    mails, requests = varied_backlog(200, rng)
    deliver(imap_inbox, *mails)
    journal = tmp_path / "journal.sqlite"
    env = worker_env(imap_inbox, smtp_server.port, journal)
    kills = 0
    for _round in range(25):
        if not pending(imap_inbox):
            break
        proc = subprocess.Popen([str(INBOXBOT), "run", "--once", "--rules", str(REPO / "rules.toml")],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Start-up (models) takes ~2 s; kill somewhere in the work that follows.
        try:
            proc.wait(timeout=rng.uniform(2.5, 6.0))
        except subprocess.TimeoutExpired:
            proc.kill()
            kills += 1
        proc.wait()
    final = run_worker(env)
    assert final.returncode == 0, final.stderr[-2000:]

    sent = forwards_by_original([m.raw for m in smtp_server.messages])
    lost = requests - set(sent)
    doubled = {mid: ids for mid, ids in sent.items() if len(ids) > 1}
    extra = set(sent) - requests
    resent = len(smtp_server.messages) - len(sent)
    print(f"\nrandom kills: {kills} kills, {len(mails)} mails, {len(requests)} requests, "
          f"lost {len(lost)}, doubled {len(doubled)}, non-requests forwarded {len(extra)}, "
          f"same-Message-ID resends {resent}")
    assert kills >= 3  # the test did kill the worker mid-work
    assert lost == set() and doubled == {} and extra == set()
    assert pending(imap_inbox) == []
