"""The shared mailbox over IMAP (IMAPClient): list unhandled UIDs, fetch bytes, mark.

IMAP only: no parsing, no routing. A message is identified by (folder, uidvalidity, uid);
what a UIDVALIDITY change means is the journal's business, this module only exposes it.

"Handled" lives on the server so that a lost journal never means mail handled twice.
It is a keyword ($InboxbotDone, $InboxbotTriage, $InboxbotTo-<owner>) where the server
keeps custom keywords, otherwise a move to a folder (Inboxbot/Done, Inboxbot/Triage,
placed in the personal namespace: INBOX.Inboxbot.Done on Cyrus or Courier).
Nothing is ever expunged except, on servers without MOVE, the one message just copied.

How marking works on a server is learnt once (`Marking`, kept by the worker between
connections) and checked before anything could need a mark (`Mailbox.check_marking`):
a server that can keep no mark at all is a `MarkingError`, and nothing is forwarded.
A keyword the server refuses later (a full keyword table: Cyrus keeps 100 per mailbox
and never frees one) makes the mark fall back, first to the handled keyword alone, then
to the folder; `Marking.notes` says so in Russian, for the sales head.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self

from imapclient import IMAPClient  # type: ignore[import-untyped]

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError, MarkingError
from inboxbot.io.imaperrors import clean, guard, server_answer
from inboxbot.io.imaplogin import connect
from inboxbot.io.marking import (
    FOLDERS,
    KEYWORDS,
    MODES,
    PROBE_KEYWORD,
    Marking,
    keyword_allowed,
    owner_keyword,
    server_folder,
)

log = logging.getLogger(__name__)

DELETED = b"\\Deleted"


def key_folder(folder: str, mailbox: str = "") -> str:
    """The folder as message keys name it: with several mailboxes in one deployment, each
    but the main one's prefixed with the mailbox's name (two accounts' INBOX may even
    share a UIDVALIDITY: Dovecot derives it from the creation time)."""
    return f"{mailbox}:{folder}" if mailbox else folder


@dataclass(frozen=True, slots=True)
class RawMessage:
    folder: str  # as keys name it (key_folder)
    uidvalidity: int
    uid: int
    raw: bytes = field(repr=False)
    flags: tuple[str, ...]


class Mailbox:
    """One IMAP connection with `folder` selected. Use as a context manager.

    `handled_folder`/`triage_folder` are configured names ("/" between levels), placed in
    the server's personal namespace. `known`: what an earlier connection learnt about
    marking on this server (`state`), so that it is not asked again; `on_change` hears of
    each change of `state` at once (a fallback is learnt even if the poll fails after it)."""

    def __init__(
        self,
        settings: ServerSettings,
        folder: str = "INBOX",
        *,
        handled_keyword: str = "$InboxbotDone",
        triage_keyword: str = "$InboxbotTriage",
        owner_prefix: str = "$InboxbotTo-",
        handled_folder: str = "Inboxbot/Done",
        triage_folder: str = "Inboxbot/Triage",
        owner_keywords: bool = True,
        batch_size: int = 100,
        marking: str = "auto",  # "auto", or force "keywords" / "folders"
        known: Marking | None = None,
        on_change: Callable[[Marking], None] | None = None,
        mailbox: str = "",  # the name of a mailbox besides the main one (key_folder)
    ) -> None:
        if marking not in MODES:
            raise ValueError(f"marking must be auto, keywords or folders, not {marking!r}")
        self.settings = settings
        self.folder = folder
        self.key_folder = key_folder(folder, mailbox)
        self.handled_keyword = handled_keyword
        self.triage_keyword = triage_keyword
        self.owner_prefix = owner_prefix
        self.handled_folder = handled_folder
        self.triage_folder = triage_folder
        self.owner_keywords = owner_keywords
        self.batch_size = max(1, batch_size)
        self._forced = None if marking == "auto" else marking
        self._known = known
        self._on_change = on_change
        self._client: IMAPClient | None = None
        self._uidvalidity = 0
        self._permanent: frozenset[str] = frozenset()
        self._marking_state = Marking(KEYWORDS, handled_folder, triage_folder, owner_keywords)
        self._folders_ready: set[str] = set()
        self._keywords_seen = False  # a keyword was seen to stick on this connection

    # -- connection ----------------------------------------------------------

    def open(self) -> None:
        try:
            self._open()
        except BaseException:
            self.close()  # no half-open socket left behind on a failed login or SELECT
            raise

    def _open(self) -> None:
        with self._guard("подключении"):
            self._client = connect(self.settings)
            self._select()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        # LOGOUT, never CLOSE: CLOSE would expunge every \Deleted message in the folder.
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def uidvalidity(self) -> int:
        return self._uidvalidity

    @property
    def marking(self) -> str:
        """"keywords" or "folders": how handled mail is marked on this server."""
        return self._state.mode

    @property
    def state(self) -> Marking:
        """What this connection knows of marking: hand it to the next one as `known`."""
        return self._state

    @property
    def _state(self) -> Marking:
        return self._marking_state

    @_state.setter
    def _state(self, value: Marking) -> None:
        changed = value != self._marking_state
        self._marking_state = value
        if changed and self._on_change is not None:
            self._on_change(value)

    @property
    def done_folder(self) -> str:
        """The folder handled mail moves to in folder mode, as the server spells it."""
        return self._state.done_folder

    # -- reading -------------------------------------------------------------

    def pending_uids(self) -> list[int]:
        """UIDs not yet handled or sent to triage, ascending; never \\Deleted ones."""
        # The keywords are excluded in folder mode too: mail marked by keyword before the
        # server's keyword table filled up (and the mode changed) stays handled.
        criteria = ["NOT", "DELETED", "NOT", "KEYWORD", self.handled_keyword, "NOT", "KEYWORD", self.triage_keyword]
        with self._guard("поиске писем"):
            return sorted(int(uid) for uid in self._imap.search(criteria))

    def fetch(self, uids: Sequence[int]) -> Iterator[RawMessage]:
        """Whole messages in `uids` order, batch_size per FETCH. BODY.PEEK[] leaves \\Seen
        alone. A UID deleted or moved away since SEARCH is not yielded."""
        for start in range(0, len(uids), self.batch_size):
            batch = list(uids[start : start + self.batch_size])
            with self._guard("получении писем"):
                try:
                    response = self._imap.fetch(batch, ["BODY.PEEK[]", "FLAGS"])
                except imaplib.IMAP4.abort:
                    raise
                except imaplib.IMAP4.error as exc:
                    # Some servers answer NO [EXPUNGEISSUED] for the whole batch when one UID
                    # vanished; NOOP takes in the expunge, and a retry then returns the rest.
                    log.info("FETCH refused (%s); retrying after NOOP", exc)
                    self._imap.noop()
                    response = self._imap.fetch(batch, ["BODY.PEEK[]", "FLAGS"])
            for uid in batch:
                data = response.get(uid, {})
                body = data.get(b"BODY[]")
                # Dovecot answers a UID expunged by another session (not yet announced to
                # this one) with FLAGS (\Deleted) and BODY[] NIL: gone, not empty.
                if body is None:
                    log.info("uid %s vanished from %s before it could be fetched", uid, self.folder)
                    continue
                flags = tuple(_text(f) for f in data.get(b"FLAGS", ()))
                yield RawMessage(self.key_folder, self._uidvalidity, uid, bytes(body), flags)

    def is_marked(self, uid: int) -> bool:
        """The handled or triage keyword is set, or (when some mark is a move) the
        message has left the folder or is \\Deleted there."""
        with self._guard("чтении флагов"):
            flags = self._flags(uid)
        moves = self._state.mode == FOLDERS or bool(self._state.refused)
        if flags is None or DELETED.decode().lower() in flags:
            return moves
        return bool(flags & {self.handled_keyword.lower(), self.triage_keyword.lower()})

    def answered_uids(self, uids: Sequence[int]) -> set[int]:
        """Which of `uids` carry \\Answered: someone replied to them from the shared
        mailbox itself (their mail client sets the flag). In folder mode the handled mail
        has left the folder under new UIDs, so nothing is learnt here."""
        if not uids or self._state.mode == FOLDERS:
            return set()
        found: set[int] = set()
        with self._guard("поиске отвеченных писем"):
            for start in range(0, len(uids), self.batch_size):
                batch = ",".join(str(u) for u in uids[start : start + self.batch_size])
                found.update(int(u) for u in self._imap.search(["ANSWERED", "UID", batch]))
        return found

    # -- marking -------------------------------------------------------------

    def check_marking(self, sample: int | None = None) -> Marking:
        """Make sure handled mail can be marked, before anything is forwarded: the
        folders that marking (or triage) needs exist or are created, and keywords are
        tried on `sample` (a UID) when the answer to SELECT leaves it open whether they
        stick. Asks the server nothing once `state` is checked. Without a sample a
        keyword check waits (nothing can be forwarded without mail either).

        Raises MarkingError, in Russian with the server's answer, when no mark works."""
        state = self._state
        if state.checked:
            return state
        with self._guard("проверке пометки писем"):
            if state.mode == KEYWORDS and not self._keyword_usable(self.handled_keyword):
                state = self._state = replace(state, mode=FOLDERS)
            # The handled keyword listed in PERMANENTFLAGS exists in this folder: an earlier
            # mark stuck, so keywords are proven without a probe. Otherwise probe: pymap
            # lists no \\* and keeps none, but servers have been seen to list \\* and still
            # drop a keyword (and each probe costs a slot of a limited keyword table).
            if state.mode == KEYWORDS and self.handled_keyword.lower() not in self._permanent:
                if sample is None:
                    return state
                kept, refusal = self._probe(sample)
                if kept is None:
                    return state  # the sample vanished meanwhile: asked again next time
                if not kept:
                    if self._forced == KEYWORDS:
                        raise MarkingError(self._clean(
                            f"IMAP-сервер {self.settings.host} не сохраняет метки писем ({refusal}), а "
                            f"INBOXBOT_MARKING=keywords требует меток; уберите INBOXBOT_MARKING или укажите folders"
                        ))
                    log.info("%s keeps no keywords (%s): marking by folders", self.settings.host, refusal)
                    state = self._state = replace(state, mode=FOLDERS)
            for keyword, folder in ((self.handled_keyword, state.done_folder), (self.triage_keyword, state.triage_folder)):
                if state.mode == FOLDERS or not self._keyword_usable(keyword):
                    self._ensure_folder(folder)
        self._state = replace(self._state, checked=True)
        return self._state

    def mark_handled(self, uid: int, owner: str | None) -> None:
        self.mark_many([uid], owner)

    def mark_triage(self, uid: int) -> None:
        self._mark([uid], self.triage_keyword, self._state.triage_folder, ())

    def mark_many(self, uids: Sequence[int], owner: str | None = None) -> None:
        """mark_handled for many UIDs with one command per batch (much faster than one
        STORE per message). Safe to repeat; UIDs already gone are ignored by the server."""
        extra = (owner_keyword(self.owner_prefix, owner),) if owner and self.owner_keywords else ()
        for start in range(0, len(uids), self.batch_size):
            self._mark(list(uids[start : start + self.batch_size]), self.handled_keyword, self._state.done_folder, extra)

    def append(self, raw: bytes, folder: str | None = None, flags: Sequence[str] = ()) -> None:
        """Put a message into `folder` (default: the selected one), creating the folder."""
        target = folder or self.folder
        with self._guard("добавлении письма"):
            self._ensure_folder(target)
            self._imap.append(target, raw, flags=tuple(flags))

    def _mark(self, uids: list[int], keyword: str, folder: str, extra: Sequence[str]) -> None:
        """Set `keyword` (and `extra`) on `uids`, or move them to `folder`. A keyword the
        server refuses falls back, for this mark and every later one: the owner keywords
        are dropped first, then the kind of mark goes to its folder (`Marking.notes`)."""
        if not uids:
            return
        with self._guard("пометке письма"):
            if self._state.mode == KEYWORDS and self._keyword_usable(keyword):
                extra = [k for k in extra if self._state.owner_keywords and self._keyword_usable(k)]
                refusal = self._store(uids, [keyword, *extra])
                if refusal is not None and extra and self._store(uids, [keyword]) is None:
                    self._fall_back(owner_keywords=False, note=(
                        f"сервер {self.settings.host} не принял новую метку с именем менеджера ({refusal}); "
                        f"имя менеджера больше не ставится меткой на письмо, оно записано в журнале бота"
                    ))
                    refusal = None
                if refusal is None and not (self._state.checked or self._keywords_seen):
                    # Not checked (check_marking was not called): the first mark is the check.
                    refusal = self._kept(uids[0], keyword)
                    if refusal is not None:  # OK to STORE, yet dropped: no keyword will stick
                        self._fall_back(mode=FOLDERS, note=(
                            f"сервер {self.settings.host} перестал сохранять метки писем ({refusal}); "
                            f"обработанные письма переносятся в папку «{self._state.done_folder}»"
                        ))
                if refusal is None:
                    return
                if self._state.mode == KEYWORDS:
                    self._fall_back(refused=keyword, note=(
                        f"сервер {self.settings.host} не принял метку {keyword} ({refusal}); такие письма "
                        f"теперь переносятся в папку «{folder}»"
                    ))
            self._move(uids, folder)

    def _fall_back(self, *, note: str, mode: str | None = None, owner_keywords: bool | None = None,
                   refused: str | None = None) -> None:
        state = self._state
        log.warning("marking changed: %s", note)
        self._state = replace(
            state,
            mode=mode or state.mode,
            owner_keywords=state.owner_keywords if owner_keywords is None else owner_keywords,
            refused=state.refused | ({refused.lower()} if refused else set()),
            notes=(*state.notes, self._clean(note)),
        )

    def _keyword_usable(self, keyword: str) -> bool:
        """Not refused before, and PERMANENTFLAGS allow it (unless keywords are forced)."""
        if keyword.lower() in self._state.refused:
            return False
        return self._forced == KEYWORDS or keyword_allowed(keyword, self._permanent)

    def _store(self, uids: list[int], keywords: list[str]) -> str | None:
        """STORE +FLAGS; None when the server took it, else its answer (NO or BAD)."""
        try:
            self._imap.add_flags(uids, keywords, silent=True)
        except imaplib.IMAP4.abort:
            raise  # the connection is gone: an outage, not a refusal
        except imaplib.IMAP4.error as exc:
            return f"ответ сервера: {server_answer(exc)}"
        return None

    def _kept(self, uid: int, keyword: str) -> str | None:
        """None when `keyword` stuck on `uid` (or `uid` is gone: nothing learnt, nothing
        lost), else why not."""
        flags = self._flags(uid)
        if flags is None:
            return None
        if keyword.lower() in flags:
            self._keywords_seen = True
            return None
        return "сервер ответил OK, но метку не сохранил"

    def _probe(self, uid: int) -> tuple[bool | None, str]:
        """Store and remove PROBE_KEYWORD on `uid`: (True, "") when it stuck, (False,
        why) when not, (None, "") when `uid` vanished meanwhile and nothing was learnt."""
        refusal = self._store([uid], [PROBE_KEYWORD])
        if refusal is not None:
            return False, refusal
        flags = self._flags(uid)
        if flags is None:
            return None, ""
        if PROBE_KEYWORD.lower() not in flags:
            return False, "сервер ответил OK, но метку не сохранил"
        self._imap.remove_flags([uid], [PROBE_KEYWORD], silent=True)
        return True, ""

    def _move(self, uids: list[int], folder: str) -> None:
        self._ensure_folder(folder)
        imap = self._imap
        if imap.has_capability("MOVE"):
            imap.move(uids, folder)
            return
        imap.copy(uids, folder)
        imap.add_flags(uids, [DELETED], silent=True)
        # Expunge only what was just copied; without UIDPLUS the copy stays \Deleted
        # (pending_uids skips it) rather than expunging mail a human marked deleted.
        if imap.has_capability("UIDPLUS"):
            imap.uid_expunge(uids)

    def _ensure_folder(self, folder: str) -> None:
        """Create `folder` unless it exists. A refusal is a MarkingError: without the
        folder no mail that needs it can be marked, and so none may be forwarded."""
        if folder in self._folders_ready or folder == self.folder:
            return
        if not self._imap.folder_exists(folder):
            try:
                self._imap.create_folder(folder)
            except imaplib.IMAP4.abort:
                raise
            except imaplib.IMAP4.error as exc:
                if not self._imap.folder_exists(folder):  # else another worker won the race
                    self._state = replace(self._state, checked=False)  # check again before forwarding
                    raise MarkingError(self._clean(
                        f"IMAP-сервер {self.settings.host} не дал создать папку «{folder}» для обработанных "
                        f"писем (ответ сервера: {server_answer(exc)}); создайте её сами или укажите другую "
                        f"в INBOXBOT_DONE_FOLDER / INBOXBOT_TRIAGE_FOLDER (уровни через «/»)"
                    )) from None
            with contextlib.suppress(imaplib.IMAP4.error):
                self._imap.subscribe_folder(folder)  # so people see it in their mail client
        self._folders_ready.add(folder)

    # -- internals -----------------------------------------------------------

    def _select(self) -> None:
        try:
            info = self._imap.select_folder(self.folder)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise FetchError(f"папка «{self.folder}» не открывается на {self.settings.host}: {exc}; "
                             f"проверьте INBOXBOT_FOLDER") from None
        self._uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        self._permanent = frozenset(_text(f).lower() for f in info.get(b"PERMANENTFLAGS", ()))
        # An earlier connection's knowledge wins, fallbacks included; PERMANENTFLAGS are
        # read afresh (a keyword table may fill up meanwhile).
        self._state = self._known if self._known is not None else self._first_guess()
        log.debug("selected %s: uidvalidity %s, marking by %s", self.folder, self._uidvalidity, self._state.mode)

    def _first_guess(self) -> Marking:
        """Marking as SELECT's PERMANENTFLAGS suggest it, with the folder names placed in
        the personal namespace. Nothing is stored here (see check_marking)."""
        prefix, separator = self._personal_namespace()
        done = server_folder(self.handled_folder, prefix, separator)
        triage = server_folder(self.triage_folder, prefix, separator)
        mode = self._forced or (KEYWORDS if keyword_allowed(self.handled_keyword, self._permanent) else FOLDERS)
        return Marking(mode, done, triage, self.owner_keywords)

    def _personal_namespace(self) -> tuple[str, str | None]:
        """(prefix, hierarchy separator) of the user's own folders: NAMESPACE (RFC 2342),
        or without it the separator LIST "" "" names and no prefix."""
        imap = self._imap
        if imap.has_capability("NAMESPACE"):
            personal = imap.namespace().personal
            if personal:
                prefix, separator = personal[0]
                return str(prefix), separator or None
        listed = imap.list_folders("", "")
        separator = listed[0][1] if listed else None
        return "", _text(separator) if separator else None

    def _flags(self, uid: int) -> set[str] | None:
        """Lower-cased flags of one message (keywords match case-insensitively); None if gone."""
        found = self._imap.get_flags([uid])
        return {_text(f).lower() for f in found[uid]} if uid in found else None

    def _guard(self, action: str) -> contextlib.AbstractContextManager[None]:
        return guard(self.settings, action)

    def _clean(self, text: str) -> str:
        return clean(self.settings, text)

    @property
    def _imap(self) -> IMAPClient:
        if self._client is None:
            raise FetchError("соединение с IMAP-сервером не открыто (вызовите open())")
        return self._client

def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
