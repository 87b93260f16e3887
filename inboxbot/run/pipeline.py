"""Raw bytes → parsed mail → facts → decision: the pure part of handling one message.

The worker, `explain` and `replay` all go through `Pipeline.run`, so a mail is judged
the same way wherever it comes from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import select
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import forkserver, get_context
from typing import TYPE_CHECKING, TypeVar

from inboxbot import logsetup
from inboxbot.directory.client_dictionary import ClientDictionary
from inboxbot.directory.clients import BaseSource
from inboxbot.errors import ExtractionError
from inboxbot.mail.message import ParsedMessage, parse, parse_headers
from inboxbot.model.decision import DUPLICATE_RULE, QUARANTINE_RULE, Decision, Step
from inboxbot.model.facts import Facts
from inboxbot.route.context import ClientLedger, History, RecentRequests
from inboxbot.route.decide import decide
from inboxbot.rules.model import Absence, Rules
from inboxbot.run.failpoints import mail_failpoint, process_failpoint

if TYPE_CHECKING:
    from inboxbot.extract.extract import Extractor

log = logging.getLogger(__name__)

T = TypeVar("T")

CHILD_DIED = "процесс разбора аварийно завершился на этом письме"


@dataclass(frozen=True, slots=True)
class Outcome:
    msg: ParsedMessage
    facts: Facts
    decision: Decision


def quarantine(reason: str) -> Decision:
    """A decision that leaves the mail to a human, with the reason in Russian."""
    return Decision(
        action="triage",
        owner=None,
        rule=QUARANTINE_RULE,
        reasons=(reason,),
        trail=(Step(QUARANTINE_RULE, True, reason),),
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A parsed mail and its facts; `error` names what failed, if anything did."""

    msg: ParsedMessage
    facts: Facts
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractParams:
    """What extraction needs from the rules: plain values, so a child process gets them."""

    internal_domains: tuple[str, ...]
    shared_addresses: tuple[str, ...]
    free_mail_domains: tuple[str, ...]
    own_company_names: tuple[str, ...]
    # Where the client base comes from: a child process opens it (its dictionary) from this.
    clients: BaseSource | None = None

    @classmethod
    def of(cls, rules: Rules) -> ExtractParams:
        dept = rules.department
        source = rules.clients.source if len(rules.clients) else None
        return cls(tuple(dept.internal_domains), tuple(dept.shared_addresses),
                   tuple(dept.free_mail_domains), (dept.name,), source)


def prepare(raw: bytes, extractor: Extractor, params: ExtractParams, clients: ClientDictionary | None = None) -> Prepared:
    """Parse and extract one mail; never raises (a failure is named in `error`)."""
    mail_failpoint("prepare", raw)
    msg = parse(raw)
    if msg.unreadable is not None:
        return Prepared(msg, Facts(), msg.unreadable)
    try:
        facts = prepare_facts(msg, extractor, params, clients)
    except Exception as exc:  # any bug triggered by odd mail must not stop the worker
        log.exception("facts of %s could not be extracted", msg.message_id)
        return Prepared(msg, Facts(), f"{type(exc).__name__}: {exc}")
    return Prepared(msg, facts)


# Extraction in child processes, forked from a forkserver that holds the NLP models
# (models_context): one copy of the models, shared by every child.
#
# The children run at a lower CPU priority. Extraction is throughput work that runs
# ahead of need (prepare_ahead); the worker's own process runs the part that waits on
# the network, in order — decide, forward, mark — and on a busy machine it (and a mail
# server on the same host) should get a core the moment a reply arrives instead of
# queueing behind an extraction. The children then fill the time it leaves idle. On the
# benchmark's 2 cores this alone took a 3,000-mail backlog from ~140 to ~165 mails/s.
CHILD_NICENESS = 10
_child: tuple[Extractor, ExtractParams] | None = None
# The client dictionary a child opened, by the base's version: built once per version.
_child_clients: tuple[BaseSource, ClientDictionary] | None = None


def _child_init(params: ExtractParams, worker: int, environ: dict[str, str], logs: tuple[int, bool] | None) -> None:
    global _child
    # Forked from the forkserver, this process has its environment from when that
    # started and no log set-up; it works for the worker as it is now, and logs as it
    # does (mail-parser's chatter about ordinary mail stays quiet here too).
    os.environ.clear()
    os.environ.update(environ)
    if logs is not None:
        logsetup.configure(logs[0], service=logs[1])
    # Before anything else: a worker killed meanwhile must not leave us behind either.
    threading.Thread(target=_exit_with, args=(worker,), name="exit-with-worker", daemon=True).start()
    process_failpoint("child_start")
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    _child = (new_extractor(), params)  # the forkserver's models (preload), not a copy


def _exit_with(worker: int) -> None:
    """End this child when the worker it prepares mail for is gone. After a kill -9 of
    the worker nobody shuts the pool down, and a child blocked on its task queue never
    sees EOF (it holds both ends of the queue's pipe): it would live on, with its share
    of the models, after every crash. Its parent is the forkserver, not the worker (and
    multiprocessing's parent sentinel of a forkserver child is at EOF from the start),
    so it waits on a pidfd of the worker."""
    try:
        handle = os.pidfd_open(worker)
    except ProcessLookupError:
        os._exit(0)
    select.select([handle], [], [])
    os._exit(0)


def _child_dictionary(source: BaseSource | None) -> ClientDictionary | None:
    """The dictionary of this version of the base, opened once per child (a large base's
    comes from its on-disk index, nothing is built)."""
    global _child_clients
    if source is None:
        return None
    if _child_clients is None or _child_clients[0] != source:
        _child_clients = (source, source.open().dictionary)
    return _child_clients[1]


def _child_prepare_many(raws: Sequence[bytes]) -> list[Prepared]:
    assert _child is not None
    extractor, params = _child
    clients = _child_dictionary(params.clients)
    return [prepare(raw, extractor, params, clients) for raw in raws]


def new_extractor() -> Extractor:
    """The NLP pipeline of this process. Imported here, not at the top: spaCy alone is
    ~80 MB, and the worker, whose mail is prepared in the extraction processes, never
    needs it."""
    from inboxbot.extract.extract import Extractor

    return Extractor()


def models_context() -> multiprocessing.context.ForkServerContext:
    """Extraction processes forked from one forkserver that loaded the NLP models at its
    start (run/preload.py): the children share the models' pages instead of each loading
    its own copy, and a new child is ready at once. The forkserver starts from a fresh
    interpreter (none of the worker's threads) and exits when the worker does."""
    context = get_context("forkserver")
    context.set_forkserver_preload(["inboxbot.run.preload"])
    return context


def start_models() -> None:
    """Start the forkserver (loading the models, ~2 s) if it is not running yet."""
    models_context()
    forkserver.ensure_running()


def extraction_processes(cores: int) -> int:
    """The worker's extraction processes by default: one per core beside the worker's own
    (it decides, sends and marks the whole time a backlog is worked), at least one, at most
    two (each holds ~60 MB of its own besides the shared models, and a third finds no
    core). On 2 cores a second one only made the three take turns: the same 10,000-mail
    backlog went 94.0 mails/s with one, 92.1 with two, and the second cost 263 MB."""
    return max(1, min(2, cores - 1))


class Pipeline:
    """Holds what is expensive to build (the NLP pipeline) across messages.

    Parsing and extraction are pure and per mail, so a backlog is spread over
    `processes` child processes; deciding stays in order in this process, because a
    decision depends on the ones before it (threads, the round robin).

    With `in_children` (the worker) every mail is prepared in a child process, however
    few: this process never loads the models (the forkserver holds the one copy), and a
    mail that crashes the parser takes a child down, never the worker."""

    # Below this many mails a batch is not worth the round trips to the children (and,
    # before the forkserver runs, its ~2 s of loading the models) unless `in_children`.
    PARALLEL_MIN = 40
    # From this many pending mails on, every extraction process is used; a smaller
    # backlog gets one (each child's own memory grows to ~60 MB over a backlog, besides
    # the shared models, and a few hundred mails take seconds either way).
    BIG_BACKLOG = 1000
    CHUNK = 4  # mails per task sent to a child

    def __init__(
        self, rules: Rules, extractor: Extractor | None = None, *, processes: int = 0,
        in_children: bool = False,
    ) -> None:
        self.rules = rules
        self._extractor = extractor
        self.params = ExtractParams.of(rules)
        self.processes = processes
        self._children = processes  # the pool's size for the backlog at hand (`size_for`)
        self.in_children = in_children and processes >= 1
        self._pool: ProcessPoolExecutor | None = None
        self._loading: threading.Thread | None = None

    def warm_up(self) -> None:
        """Start loading the NLP pipeline in a thread, so that it overlaps the caller's
        I/O (connecting, fetching); `extractor` waits for it. With `in_children`, the
        forkserver loads them instead."""
        if self._extractor is None and self._loading is None:
            load = start_models if self.in_children else self._load
            self._loading = threading.Thread(target=load, name="load-nlp", daemon=True)
            self._loading.start()

    def _load(self) -> None:
        self._extractor = new_extractor()

    @property
    def extractor(self) -> Extractor:
        """The NLP pipeline in this process, loaded on first use (or by `warm_up`)."""
        if self._loading is not None:
            self._loading.join()
            self._loading = None
        if self._extractor is None:
            self._extractor = new_extractor()
        return self._extractor

    @property
    def loaded_extractor(self) -> Extractor | None:
        """The extractor if this process has loaded it, for the next Pipeline to reuse."""
        if self._loading is not None:
            self._loading.join()
        return self._extractor

    @property
    def clients(self) -> ClientDictionary | None:
        """The rules' client base as a dictionary (None for an empty base), for extraction here."""
        base = self.rules.clients
        return base.dictionary if len(base) else None

    def facts(self, msg: ParsedMessage) -> Facts:
        return prepare_facts(msg, self.extractor, self.params, self.clients)

    def prepare_many(self, raws: Sequence[bytes]) -> list[Prepared]:
        """Parse and extract a batch, in order; in child processes for big batches."""
        if not self._parallel(len(raws)):
            return self._prepare_here(raws)
        return self._collect(raws, self._submit(raws))

    def _prepare_here(self, raws: Sequence[bytes]) -> list[Prepared]:
        """Prepare in this process: the command-line tools (replay, explain, score), and
        the worker only in tests (`processes=0`); a serving worker prepares every mail in
        a child, so a mail that crashes the parser never takes the worker down."""
        return [prepare(raw, self.extractor, self.params, self.clients) for raw in raws]

    def prepare_ahead(
        self, batches: Iterable[Sequence[T]], raw_of: Callable[[T], bytes], *, ahead: int = 2
    ) -> Iterator[tuple[Sequence[T], list[Prepared]]]:
        """Each batch with its prepared mails, in order, while the child processes already
        work on the next `ahead` batches: the caller's own work on one batch (deciding,
        sending, marking) overlaps the extraction of the next instead of waiting for it.
        Batches too small for the children are prepared here, when their turn comes.
        Work still queued when the caller stops early is cancelled."""
        queue: deque[tuple[Sequence[T], list[bytes], list[Future[list[Prepared]]] | None]] = deque()
        source = iter(batches)
        try:
            while True:
                while len(queue) <= ahead:
                    batch = next(source, None)
                    if batch is None:
                        break
                    raws = [raw_of(item) for item in batch]
                    queue.append((batch, raws, self._submit(raws) if self._parallel(len(raws)) else None))
                if not queue:
                    return
                batch, raws, futures = queue.popleft()
                if futures is None:
                    yield batch, self.prepare_many(raws)
                else:
                    yield batch, self._collect(raws, futures)
        finally:
            for _, _, futures in queue:
                for future in futures or ():
                    future.cancel()

    def size_for(self, backlog: int) -> None:
        """Size the extraction processes for a poll with `backlog` pending mails: all of
        them for a big backlog, one otherwise; a pool of the other size is stopped now,
        before its memory adds to the next one's."""
        wanted = self.processes if backlog >= self.BIG_BACKLOG else min(self.processes, 1)
        if wanted != self._children:
            self.close()
            self._children = wanted

    def _parallel(self, count: int) -> bool:
        if self.in_children:
            return count > 0
        return self.processes >= 2 and count >= self.PARALLEL_MIN

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max(1, self._children), mp_context=models_context(), initializer=_child_init,
                initargs=(self.params, os.getpid(), dict(os.environ), logsetup.configured),
            )
        return self._pool

    def _submit(self, raws: Sequence[bytes]) -> list[Future[list[Prepared]]]:
        """Tasks of CHUNK mails (fewer round trips through the pool's queues than one
        per mail); the children take them in order as they get free."""
        pool = self._executor()
        return [pool.submit(_child_prepare_many, raws[i : i + self.CHUNK]) for i in range(0, len(raws), self.CHUNK)]

    def _collect(self, raws: Sequence[bytes], futures: list[Future[list[Prepared]]]) -> list[Prepared]:
        """The results of `_submit(raws)`, in order. A child that dies on a mail (killed
        for memory, a crash in native code) breaks the whole pool and every task in it:
        those mails are prepared again one by one in a new pool, so the mail that kills
        a child again is the only one that fails, named, and the rest go on."""
        result: list[Prepared] = []
        checked = False
        for index, future in enumerate(futures):
            chunk = raws[index * self.CHUNK : (index + 1) * self.CHUNK]
            try:
                result.extend(future.result())
            except BrokenProcessPool:
                if not checked:  # the other tasks of the broken pool fail the same way
                    self._require_children()
                    checked = True
                result.extend(self._isolated(raw) for raw in chunk)
        return result

    def _require_children(self) -> None:
        """After a child died: a fresh pool that cannot even take an empty task (the
        models fail to load, no memory to start) is not the mail's fault. Raises
        ExtractionError, so the poll is retried instead of every mail going to triage."""
        self.close()
        try:
            self._executor().submit(_child_prepare_many, []).result()
        except BrokenProcessPool as exc:
            self.close()
            raise ExtractionError("процессы разбора писем не запускаются; повторю позже") from exc

    def _isolated(self, raw: bytes) -> Prepared:
        """Prepare one mail alone in a child process. A broken pool refuses the task at
        once (and is replaced); a child that dies on this mail in a fresh pool too
        leaves it to a human with its headers."""
        for _ in range(2):
            try:
                return self._submit([raw])[0].result()[0]
            except BrokenProcessPool:
                self.close()
        log.error("a child process died preparing one mail; it goes to manual triage")
        return Prepared(parse_headers(raw, CHILD_DIED), Facts(), CHILD_DIED)

    def decide(
        self, prepared: Prepared, history: History, *, received_at: datetime | None = None,
        ledger: ClientLedger | None = None, recent: RecentRequests | None = None, absences: Sequence[Absence] = (),
    ) -> Outcome:
        """Decide for one prepared mail. A mail that makes a stage fail is not lost and
        does not stop the caller: it gets a quarantine decision naming the failure.
        `absences`: days away known beside the rules (the head's «сегодня нет: …»)."""
        msg, facts = prepared.msg, prepared.facts
        if prepared.error is not None:
            return Outcome(msg, Facts(), quarantine(f"письмо не удалось разобрать: {prepared.error}"))
        try:
            rules = dataclasses.replace(self.rules, absences=(*self.rules.absences, *absences)) if absences else self.rules
            decision = decide(msg, facts, rules, history, received_at=received_at, ledger=ledger, recent=recent)
        except Exception as exc:  # any bug triggered by odd mail must not stop the worker
            log.exception("message %s could not be decided", msg.message_id)
            return Outcome(msg, Facts(), quarantine(f"письмо не удалось разобрать: {type(exc).__name__}: {exc}"))
        return Outcome(msg, facts, decision)

    def run(
        self, raw: bytes, history: History, *, received_at: datetime | None = None,
        ledger: ClientLedger | None = None, recent: RecentRequests | None = None,
    ) -> Outcome:
        prepared = prepare(raw, self.extractor, self.params, self.clients)
        return self.decide(prepared, history, received_at=received_at, ledger=ledger, recent=recent)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def prepare_facts(msg: ParsedMessage, extractor: Extractor, params: ExtractParams, clients: ClientDictionary | None = None) -> Facts:
    return extractor.extract(
        msg,
        internal_domains=params.internal_domains,
        shared_addresses=params.shared_addresses,
        free_mail_domains=params.free_mail_domains,
        own_company_names=params.own_company_names,
        clients=clients,
    )


def duplicate_of(owner: str | None, message_id: str) -> Decision:
    reason = f"письмо уже обработано ранее (Message-ID <{message_id}>): повторная доставка или папка пересоздана"
    return Decision(
        action="skip",
        owner=owner,
        rule=DUPLICATE_RULE,
        reasons=(reason,),
        trail=(Step(DUPLICATE_RULE, True, reason),),
    )
