from datetime import UTC, datetime, timedelta
from pathlib import Path

from inboxbot.mail.message import parse
from inboxbot.model.decision import ClientRef, Decision, Step
from inboxbot.model.records import DECIDED, FORWARDED, MARKED, MessageKey
from inboxbot.model.subjects import subject_key
from inboxbot.store.factory import memory_store, open_store
from inboxbot.store.interfaces import Store
from inboxbot.store.sqlite import Database


def _decision(owner: str | None = "petrov", *, action: str = "forward", pool: str | None = None) -> Decision:
    return Decision(
        action=action,
        owner=owner,
        rule="pool" if pool else "territory",
        reasons=("Вологодская область → СЗФО → Петров",),
        trail=(Step("territory", True, "регион 35"),),
        client=ClientRef("ООО «Ромашка»", "7707083893", "petrov", "clients.csv", 12),
        pool=pool,
    )


def _record(journal: Store, uid: int, message_id: str, decision: Decision, *,
            sender: str = "client@example.ru", subject: str = "Заявка", body: str = "") -> None:
    raw = f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\n{body or uid}\r\n"
    journal.messages.record_decision(MessageKey("INBOX", 7, uid), parse(raw.encode()), decision)


def test_lifecycle_is_recorded_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    key = MessageKey("INBOX", 7, 1)
    with open_store(path) as journal:
        _record(journal, 1, "m1@x", _decision())
        assert journal.messages.entry(key).state == DECIDED  # type: ignore[union-attr]
        journal.messages.mark_forwarded(key, "fwd1@bot", "petrov", "territory")
        assert journal.messages.entry(key).state == FORWARDED  # type: ignore[union-attr]
    with open_store(path) as reopened:  # each step is committed: a crash keeps it
        entry = reopened.messages.entry(key)
        assert entry is not None and entry.state == FORWARDED and entry.forward_id == "fwd1@bot"
        assert Decision.from_dict(entry.decision["decision"]) == _decision()  # type: ignore[index,arg-type]
        reopened.messages.mark_done(key)
        assert reopened.messages.entry(key).state == MARKED  # type: ignore[union-attr]


def test_recording_again_keeps_the_first_decision() -> None:
    journal = memory_store()
    _record(journal, 1, "m1@x", _decision("petrov"))
    _record(journal, 1, "m1@x", _decision("ivanova"))
    assert journal.messages.entry(MessageKey("INBOX", 7, 1)).owner == "petrov"  # type: ignore[union-attr]


def test_thread_owner_by_original_and_by_forward_id() -> None:
    journal = memory_store()
    _record(journal, 1, "orig@client", _decision("ivanova"))
    journal.messages.mark_forwarded(MessageKey("INBOX", 7, 1), "fwd@bot", "ivanova", "territory")
    assert journal.history.thread_owner(["unknown@x", "orig@client"]) == ("ivanova", "orig@client")
    assert journal.history.thread_owner(["fwd@bot"]) == ("ivanova", "fwd@bot")
    assert journal.history.thread_owner(["nothing@x"]) is None


def test_skipped_mail_starts_no_thread() -> None:
    journal = memory_store()
    _record(journal, 1, "auto@x", _decision(None, action="skip"))
    assert journal.history.thread_owner(["auto@x"]) is None


def test_subject_fallback_ignores_reply_prefixes() -> None:
    journal = memory_store()
    _record(journal, 1, "a@x", _decision("orlov"), sender="Buyer@Shop.ru", subject="Коробки 40x30")
    assert journal.history.subject_owner("buyer@shop.ru", "RE: Fwd: коробки 40x30") == "orlov"
    assert journal.history.subject_owner("other@shop.ru", "RE: Коробки 40x30") is None
    assert subject_key("Re[2]: Отв: Тема  письма") == "тема письма"


def test_pool_history_and_counts() -> None:
    journal = memory_store()
    _record(journal, 1, "a@x", _decision("ivanova", pool="main"))
    _record(journal, 2, "b@x", _decision("petrov", pool="main"))
    _record(journal, 3, "c@x", _decision("orlov"))
    assert journal.history.last_pool_owner("main") == "petrov"
    assert journal.history.last_pool_owner("other") is None
    since = datetime.now(UTC) - timedelta(days=1)
    assert journal.history.owner_counts(since) == {"ivanova": 1, "petrov": 1, "orlov": 1}
    assert journal.history.owner_counts(since, pool="main") == {"ivanova": 1, "petrov": 1}
    assert journal.history.owner_counts(datetime.now(UTC) + timedelta(days=1)) == {}


def test_find_copy_prefers_a_finished_copy_to_one_only_decided() -> None:
    journal = memory_store()
    _record(journal, 1, "same@x", _decision("petrov"))
    content_hash = journal.messages.entry(MessageKey("INBOX", 7, 1)).content_hash  # type: ignore[union-attr]
    waiting = journal.messages.find_copy("same@x", content_hash, has_message_id=True)
    assert waiting is not None and waiting.state == "decided" and waiting.key.uid == 1
    _record(journal, 2, "same@x", _decision("petrov"))
    journal.messages.mark_forwarded(MessageKey("INBOX", 7, 2), "fwd@bot", "petrov", "territory")
    copy = journal.messages.find_copy("same@x", "other-hash", has_message_id=True)
    assert copy is not None and copy.owner == "petrov" and copy.state == "forwarded" and copy.key.uid == 2
    assert journal.messages.find_copy("x@y", content_hash, has_message_id=False) is not None
    assert journal.messages.find_copy("x@y", "h2", has_message_id=False) is None


def test_failures_are_counted_and_summarised() -> None:
    journal = memory_store()
    _record(journal, 1, "a@x", _decision())
    key = MessageKey("INBOX", 7, 1)
    assert journal.messages.record_failure(key, "SMTP 451") == 1
    assert journal.messages.record_failure(key, "SMTP 451") == 2
    summary = journal.queries.summary()
    assert summary["total"] == 1
    assert summary["owners"] == {"petrov": 1}
    assert summary["failing"][0]["attempts"] == 2  # type: ignore[index]


def test_a_corrupt_journal_is_set_aside_and_a_new_one_started(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with open_store(path) as journal:
        _record(journal, 1, "a@x", _decision())
        assert journal.messages.entry(MessageKey("INBOX", 7, 1)) is not None
    kept = list(tmp_path.glob("journal.sqlite.corrupt-*"))
    assert len(kept) == 1 and kept[0].read_bytes().startswith(b"this is not a database")


def test_grouped_commits_are_fsynced_at_sync_and_at_the_end(tmp_path: Path) -> None:
    """Inside grouped() a commit is written (another connection, like a restarted worker,
    reads it at once) without its own fsync; outside, every commit is FULL again."""
    path = tmp_path / "j.sqlite"
    with open_store(path) as journal:
        database = journal.durability
        assert isinstance(database, Database)
        synchronous = lambda: database.db.execute("PRAGMA synchronous").fetchone()[0]  # noqa: E731
        assert synchronous() == 2  # FULL
        with journal.grouped():
            assert synchronous() == 1  # NORMAL
            _record(journal, 1, "m1@x", _decision())
            with open_store(path) as other:  # committed, not merely buffered
                assert other.messages.entry(MessageKey("INBOX", 7, 1)) is not None
            journal.sync()
            assert synchronous() == 1 and journal.meta.get("synced_at")
            journal.messages.mark_done_many([MessageKey("INBOX", 7, 1)])
        assert synchronous() == 2
    with open_store(path) as reopened:
        assert reopened.messages.entry(MessageKey("INBOX", 7, 1)).state == MARKED  # type: ignore[union-attr]
