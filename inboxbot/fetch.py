"""The shared mailbox over IMAP (IMAPClient): list unhandled UIDs, fetch bytes, mark.

IMAP only: no parsing, no routing. A message is identified by (folder, uidvalidity, uid);
what a UIDVALIDITY change means is the journal's business, this module only exposes it.

"Handled" lives on the server so that a lost journal never means mail handled twice.
It is a keyword ($InboxbotDone, $InboxbotTriage, $InboxbotTo-<owner>) where the server
keeps custom keywords, otherwise a move to a folder (Inboxbot/Done, Inboxbot/Triage).
Nothing is ever expunged except, on servers without MOVE, the one message just copied.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import LoginError  # type: ignore[import-untyped]

from inboxbot.config import ServerSettings
from inboxbot.errors import FetchError

log = logging.getLogger(__name__)

DELETED = b"\\Deleted"
# Stored and removed again once per connection to learn whether keywords really stick.
PROBE_KEYWORD = "$InboxbotProbe"
_ATOM_SAFE = re.compile(r"[A-Za-z0-9_.\-]")


@dataclass(frozen=True, slots=True)
class RawMessage:
    folder: str
    uidvalidity: int
    uid: int
    raw: bytes = field(repr=False)
    flags: tuple[str, ...]


def owner_keyword(prefix: str, owner: str) -> str:
    """A keyword naming the owner. Keywords are ASCII atoms, so any other character
    becomes =XX (its UTF-8 bytes in hex): reversible, and no two owners collide."""
    return prefix + "".join(
        ch if _ATOM_SAFE.fullmatch(ch) else "".join(f"={b:02X}" for b in ch.encode()) for ch in owner
    )


def ssl_context(settings: ServerSettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.cafile)
    if not settings.verify:  # config allows this only for hosts named in INBOXBOT_TLS_INSECURE_HOSTS
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class Mailbox:
    """One IMAP connection with `folder` selected. Use as a context manager."""

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
    ) -> None:
        if marking not in ("auto", "keywords", "folders"):
            raise ValueError(f"marking must be auto, keywords or folders, not {marking!r}")
        self.settings = settings
        self.folder = folder
        self.handled_keyword = handled_keyword
        self.triage_keyword = triage_keyword
        self.owner_prefix = owner_prefix
        self.handled_folder = handled_folder
        self.triage_folder = triage_folder
        self.owner_keywords = owner_keywords
        self.batch_size = max(1, batch_size)
        self._forced = None if marking == "auto" else marking
        self._client: IMAPClient | None = None
        self._uidvalidity = 0
        self._marking = "keywords"
        self._verified = False  # keywords seen to stick on this connection
        self._folders_ready: set[str] = set()

    # -- connection ----------------------------------------------------------

    def open(self) -> None:
        try:
            self._open()
        except BaseException:
            self.close()  # no half-open socket left behind on a failed login or SELECT
            raise

    def _open(self) -> None:
        s = self.settings
        with self._guard("подключении"):
            context = ssl_context(s) if s.tls != "none" else None
            client = IMAPClient(s.host, s.port, ssl=s.tls == "ssl", ssl_context=context, timeout=s.timeout)
            self._client = client
            if s.tls == "starttls":
                client.starttls(context)
            try:
                if (s.user + s.password).isascii():
                    client.login(s.user, s.password)
                else:
                    # LOGIN takes ASCII only (imaplib raises UnicodeEncodeError); SASL PLAIN
                    # carries UTF-8 (RFC 4616), which is how a Cyrillic password gets through.
                    client.plain_login(s.user, s.password)
            except LoginError as exc:
                raise FetchError(self._clean(
                    f"IMAP-сервер {s.host} не принял вход пользователя «{s.user}»: проверьте "
                    f"INBOXBOT_IMAP_USER и пароль (ответ сервера: {exc})"
                )) from None
            self._select()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        # LOGOUT, never CLOSE: CLOSE would expunge every \Deleted message in the folder.
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be gone; nothing to save
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
        return self._marking

    # -- reading -------------------------------------------------------------

    def pending_uids(self) -> list[int]:
        """UIDs not yet handled or sent to triage, ascending; never \\Deleted ones."""
        criteria: list[str] = ["NOT", "DELETED"]
        if self._marking == "keywords":
            criteria += ["NOT", "KEYWORD", self.handled_keyword, "NOT", "KEYWORD", self.triage_keyword]
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
                yield RawMessage(self.folder, self._uidvalidity, uid, bytes(body), flags)

    def is_marked(self, uid: int) -> bool:
        """Keyword mode: the handled or triage keyword is set. Folder mode: the message
        has left the folder (or is \\Deleted there)."""
        with self._guard("чтении флагов"):
            if self._marking == "folders":
                return not self._imap.search(["UID", str(uid), "NOT", "DELETED"])
            flags = self._flags(uid) or set()
        return bool(flags & {self.handled_keyword.lower(), self.triage_keyword.lower()})

    def answered_uids(self, uids: Sequence[int]) -> set[int]:
        """Which of `uids` carry \\Answered: someone replied to them from the shared
        mailbox itself (their mail client sets the flag). In folder mode the handled mail
        has left the folder under new UIDs, so nothing is learnt here."""
        if not uids or self._marking == "folders":
            return set()
        found: set[int] = set()
        with self._guard("поиске отвеченных писем"):
            for start in range(0, len(uids), self.batch_size):
                batch = ",".join(str(u) for u in uids[start : start + self.batch_size])
                found.update(int(u) for u in self._imap.search(["ANSWERED", "UID", batch]))
        return found

    # -- marking -------------------------------------------------------------

    def mark_handled(self, uid: int, owner: str | None) -> None:
        self.mark_many([uid], owner)

    def mark_triage(self, uid: int) -> None:
        self._mark([uid], self.triage_keyword, self.triage_folder, ())

    def mark_many(self, uids: Sequence[int], owner: str | None = None) -> None:
        """mark_handled for many UIDs with one command per batch (much faster than one
        STORE per message). Safe to repeat; UIDs already gone are ignored by the server."""
        extra = (owner_keyword(self.owner_prefix, owner),) if owner and self.owner_keywords else ()
        for start in range(0, len(uids), self.batch_size):
            self._mark(list(uids[start : start + self.batch_size]), self.handled_keyword, self.handled_folder, extra)

    def append(self, raw: bytes, folder: str | None = None, flags: Sequence[str] = ()) -> None:
        """Put a message into `folder` (default: the selected one), creating the folder."""
        target = folder or self.folder
        with self._guard("добавлении письма"):
            self._ensure_folder(target)
            self._imap.append(target, raw, flags=tuple(flags))

    def _mark(self, uids: list[int], keyword: str, folder: str, extra: Sequence[str]) -> None:
        if not uids:
            return
        with self._guard("пометке письма"):
            if self._marking == "keywords":
                self._imap.add_flags(uids, [keyword, *extra], silent=True)
                if self._verified or self._forced:
                    return
                # No message to probe at SELECT time: check on this first real mark.
                flags = self._flags(uids[0])
                if flags is None or keyword.lower() in flags:  # None: gone, nothing learnt
                    self._verified = flags is not None
                    return
                log.warning("%s dropped keyword %s; marking by folders instead", self.settings.host, keyword)
                self._marking = "folders"
            self._move(uids, folder)

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
        if folder in self._folders_ready or folder == self.folder:
            return
        if not self._imap.folder_exists(folder):
            try:
                self._imap.create_folder(folder)
            except imaplib.IMAP4.error:
                if not self._imap.folder_exists(folder):  # else another worker won the race
                    raise
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
        permanent = {_text(f) for f in info.get(b"PERMANENTFLAGS", ())}
        if self._forced:
            self._marking = self._forced
        elif "\\*" not in permanent:
            self._marking = "folders"
        else:
            # pymap lists no \* but other servers have been seen to advertise it and still
            # answer OK to a STORE of a keyword they then drop: try one before trusting it.
            self._marking = "keywords"
            self._verified = False
            sample = self._imap.search(["NOT", "DELETED"])
            if sample:
                uid = max(sample)
                self._imap.add_flags([uid], [PROBE_KEYWORD], silent=True)
                flags = self._flags(uid)
                self._imap.remove_flags([uid], [PROBE_KEYWORD], silent=True)
                if flags is not None:  # None: the message vanished meanwhile, undecided
                    self._verified = PROBE_KEYWORD.lower() in flags
                    if not self._verified:
                        self._marking = "folders"
        log.debug("selected %s: uidvalidity %s, marking by %s", self.folder, self._uidvalidity, self._marking)

    def _flags(self, uid: int) -> set[str] | None:
        """Lower-cased flags of one message (keywords match case-insensitively); None if gone."""
        found = self._imap.get_flags([uid])
        return {_text(f).lower() for f in found[uid]} if uid in found else None

    @property
    def _imap(self) -> IMAPClient:
        if self._client is None:
            raise FetchError("соединение с IMAP-сервером не открыто (вызовите open())")
        return self._client

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn socket, TLS and protocol failures into FetchError (the worker retries)."""
        s = self.settings
        try:
            yield
        except FetchError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(self._clean(
                f"сертификат IMAP-сервера {s.host} не прошёл проверку ({exc.verify_message}); укажите "
                f"сертификат в INBOXBOT_CAFILE или, для тестового сервера, хост в INBOXBOT_TLS_INSECURE_HOSTS"
            )) from exc
        except (imaplib.IMAP4.error, OSError, EOFError, ValueError) as exc:
            # ValueError: imapclient's response parser on malformed server replies.
            raise FetchError(self._clean(
                f"ошибка IMAP ({s.host}:{s.port}) при {action}: {type(exc).__name__}: {exc}"
            )) from exc

    def _clean(self, text: str) -> str:
        """Belt and braces: no server echo or library message may carry the password out."""
        password = self.settings.password
        return text.replace(password, "***") if password else text


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
