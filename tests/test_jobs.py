"""The scheduler wiring of run/jobs.py, checked through apscheduler itself: the jobs and
their triggers, the backoff as the poll's next run time, a job that raises. Nothing here
waits for or measures time; what the jobs do is tested against real servers in
test_worker.py, test_outages.py and test_followup.py."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.interval import IntervalTrigger
from samples import RULES
from servers import free_port

from inboxbot.config import ServerSettings, Settings
from inboxbot.run.jobs import FOLLOWUPS, JOBS, POLL, REPORT, Jobs, new_scheduler, pass_seconds
from inboxbot.run.pollreport import PollReport
from inboxbot.run.worker import Worker
from inboxbot.store.factory import open_store

POLL_SECONDS = 45


@pytest.fixture
def jobs(tmp_path: Path) -> Iterator[Jobs]:
    """Jobs of a worker whose IMAP server is not there (nothing listens on the port): its
    polls fail at once, as in an outage."""
    imap = ServerSettings(host="127.0.0.1", port=free_port(), tls="none", user="sales", password="x", timeout=5.0)
    settings = Settings(imap=imap, smtp=None, journal=str(tmp_path / "journal.sqlite"), poll_seconds=POLL_SECONDS)
    with open_store(settings.journal) as store:
        worker = Worker(settings, RULES, store, processes=0)
        yield Jobs(worker)
        worker.close()


@pytest.fixture
def paused(jobs: Jobs) -> Iterator[Any]:
    """The jobs' scheduler, started paused: the jobs are in its job store with their
    next run times, and none runs unless the test runs it."""
    scheduler = jobs.scheduler = new_scheduler()
    jobs.schedule(scheduler, datetime.now(UTC))
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def test_pass_interval_is_whole_polls_and_at_least_a_minute() -> None:
    assert [pass_seconds(s) for s in (1, 45, 60, 300)] == [60, 90, 60, 300]


def test_the_three_jobs_are_scheduled_in_order_with_their_intervals(jobs: Jobs, paused: Any) -> None:
    scheduled = sorted(paused.get_jobs(), key=lambda job: job.next_run_time)
    assert [job.id for job in scheduled] == list(JOBS) == [POLL, FOLLOWUPS, REPORT]
    seconds = {job.id: job.trigger.interval for job in scheduled}
    assert seconds == {POLL: timedelta(seconds=45), FOLLOWUPS: timedelta(seconds=90), REPORT: timedelta(seconds=90)}
    for job in scheduled:
        assert isinstance(job.trigger, IntervalTrigger)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    # One executor thread: the jobs never overlap, and run in the order they fall due.
    assert paused._lookup_executor("default")._pool._max_workers == 1


def test_a_failed_poll_moves_its_next_run_to_the_backoff(jobs: Jobs, paused: Any) -> None:
    first = paused.get_job(POLL).next_run_time
    before = datetime.now(UTC)
    jobs.poll_job()  # connection refused: an outage, not a bug
    after = datetime.now(UTC)
    assert jobs.worker.failures == 1 and jobs.worker.backoff_seconds() == 5
    moved = paused.get_job(POLL).next_run_time
    assert before + timedelta(seconds=5) <= moved <= after + timedelta(seconds=5)
    assert moved < first + timedelta(seconds=POLL_SECONDS)  # sooner than the interval
    # The interval goes on from the moved run; the other jobs keep their times.
    assert paused.get_job(POLL).trigger.get_next_fire_time(moved, moved) == moved + timedelta(seconds=POLL_SECONDS)
    jobs.poll_job()
    again = paused.get_job(POLL).next_run_time
    assert jobs.worker.failures == 2 and again >= datetime.now(UTC) + timedelta(seconds=9)  # 10 s now


def test_a_job_that_raises_stops_neither_the_scheduler_nor_the_other_jobs(jobs: Jobs) -> None:
    def bug(report: PollReport) -> None:
        raise RuntimeError("a bug in the follow-ups")

    jobs.followups_pass = bug  # type: ignore[method-assign]
    events: queue.Queue[Any] = queue.Queue()
    scheduler = jobs.scheduler = new_scheduler()
    scheduler.add_listener(events.put, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    jobs.schedule(scheduler, datetime.now(UTC))
    scheduler.start()
    try:
        # The timeout only keeps a broken scheduler from hanging CI; nothing is timed.
        seen = [events.get(timeout=600) for _ in JOBS]
        assert [event.job_id for event in seen] == list(JOBS)  # one thread, in order
        by_id = {event.job_id: event for event in seen}
        assert isinstance(by_id[FOLLOWUPS].exception, RuntimeError)
        assert by_id[POLL].exception is None and by_id[REPORT].exception is None
        assert jobs.worker.failures == 1  # the poll ran (and failed as an outage)
        # apscheduler keeps the failed job; run it again now, and the poll after it (the
        # poll may also come by itself, at its backoff: the events are picked by job).
        def next_run_of(job_id: str) -> Any:
            while (event := events.get(timeout=600)).job_id != job_id:
                pass
            return event

        scheduler.modify_job(FOLLOWUPS, next_run_time=datetime.now(UTC))
        assert isinstance(next_run_of(FOLLOWUPS).exception, RuntimeError)
        scheduler.modify_job(POLL, next_run_time=datetime.now(UTC))
        assert next_run_of(POLL).exception is None
        assert scheduler.running and jobs.worker.failures >= 2
        assert {job.id for job in scheduler.get_jobs()} == set(JOBS)
    finally:
        scheduler.shutdown(wait=True)


def test_news_moves_the_poll_to_now_and_news_during_a_poll_asks_for_one_more(jobs: Jobs, paused: Any) -> None:
    """`wake` (the IDLE watcher heard of mail): the poll is due now. Heard while a poll
    runs, it would be skipped by apscheduler (max_instances=1), and that poll may have
    searched before the mail came: the next poll is due right after it instead."""
    jobs.worker.failures = 0
    paused.modify_job(POLL, next_run_time=datetime.now(UTC) + timedelta(hours=1))
    before = datetime.now(UTC)
    jobs.wake()
    assert before <= paused.get_job(POLL).next_run_time <= datetime.now(UTC)

    paused.modify_job(POLL, next_run_time=datetime.now(UTC) + timedelta(hours=1))
    jobs.worker.guarded_poll = jobs.wake  # type: ignore[method-assign]  # mail arrives mid-poll
    before = datetime.now(UTC)
    jobs.poll_job()
    assert before <= paused.get_job(POLL).next_run_time <= datetime.now(UTC)

    paused.modify_job(POLL, next_run_time=datetime.now(UTC) + timedelta(hours=1))
    jobs.worker.guarded_poll = lambda: None  # type: ignore[method-assign]  # a quiet poll
    jobs.poll_job()
    assert paused.get_job(POLL).next_run_time > datetime.now(UTC) + timedelta(minutes=59)
