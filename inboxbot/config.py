"""Connection settings and secrets: from the environment and an optional secrets file.

Never from rules.toml (that file is edited by non-programmers and lives in git) and
never logged: passwords are left out of `repr` and masked in `Settings.masked()`.
Every error is a `ConfigError` whose message names the variable and the fix.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import socket
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from inboxbot.errors import ConfigError

log = logging.getLogger(__name__)

PREFIX = "INBOXBOT_"
TLS_MODES = ("ssl", "starttls", "none")
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}

# The journal's file when INBOXBOT_JOURNAL names none: the one place this name is spelled.
DEFAULT_JOURNAL = "inboxbot.sqlite"
# Where `inboxbot demo` leaves its output (its --out) and, in it, its journal.
DEMO_OUT = "demo-out"
DEMO_JOURNAL = "journal.sqlite"
# INBOXBOT_STORE: the shared store several workers can use instead of the SQLite journal.
STORE_SCHEMES = ("postgresql", "postgres")
DEFAULT_LEASE_SECONDS = 30

_SERVER_KEYS = ("HOST", "PORT", "TLS", "USER", "PASSWORD", "PASSWORD_FILE")
KNOWN_KEYS = frozenset(
    [f"{PREFIX}{proto}_{key}" for proto in ("IMAP", "SMTP") for key in _SERVER_KEYS]
    + [
        f"{PREFIX}{key}"
        for key in (
            "FOLDER", "JOURNAL", "STORE", "POLL_SECONDS", "IDLE", "BATCH_SIZE", "BOT_ADDRESS",
            "TLS_INSECURE_HOSTS", "CAFILE", "SECRETS_FILE",
            "MARKING", "DONE_FOLDER", "TRIAGE_FOLDER", "OWNER_KEYWORDS", "WORKER_ID", "LEASE_SECONDS",
            "WEB_PASSWORDS", "WEB_SECRET", "WEB_LOGIN",
        )
    ]
)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How to reach one server (IMAP or SMTP)."""

    host: str
    port: int
    tls: str  # "ssl" (implicit TLS), "starttls" or "none" (loopback only)
    user: str
    password: str = field(repr=False)
    verify: bool = True  # off only for hosts named in INBOXBOT_TLS_INSECURE_HOSTS
    cafile: str | None = None
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.tls not in TLS_MODES:
            raise ConfigError(f"режим TLS «{self.tls}» неизвестен; допустимо: {', '.join(TLS_MODES)}")
        # Plaintext sends the password in the clear; only a server on this machine may get it.
        if self.tls == "none" and not is_loopback(self.host):
            raise ConfigError(
                f"соединение без шифрования (tls=none) разрешено только с этим компьютером "
                f"(127.0.0.1, ::1, localhost), а сервер — {self.host}; укажите ssl или starttls"
            )

    def masked(self) -> dict[str, Any]:
        data = asdict(self)
        data["password"] = "***" if self.password else ""
        return data


MARKING_MODES = ("auto", "keywords", "folders")
_YES, _NO = ("1", "yes", "true", "on", "да"), ("0", "no", "false", "off", "нет")


@dataclass(frozen=True, slots=True)
class MarkingSettings:
    """How handled mail is marked on the IMAP server (see io/marking.py). Folder names have
    their levels separated by "/" and are placed in the server's personal namespace
    ("Inboxbot/Done" is INBOX.Inboxbot.Done on Cyrus and Courier)."""

    mode: str = "auto"  # "auto" (keywords where the server keeps them), "keywords", "folders"
    done_folder: str = "Inboxbot/Done"
    triage_folder: str = "Inboxbot/Triage"
    # $InboxbotTo-<manager> on each forwarded mail: who has it, seen in any mail client.
    # Each manager takes a slot of the keyword table (Cyrus: 100 per mailbox, never freed);
    # when the server refuses one, the bot drops them by itself and tells the head.
    owner_keywords: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MARKING_MODES:
            raise ConfigError(f"{PREFIX}MARKING={self.mode}: неизвестный способ; допустимо: {', '.join(MARKING_MODES)}")
        for key, name in (("DONE_FOLDER", self.done_folder), ("TRIAGE_FOLDER", self.triage_folder)):
            if not name.strip("/ "):
                raise ConfigError(f"{PREFIX}{key}: пустое имя папки; укажите, например, Inboxbot/Done")
        if self.done_folder.strip("/") == self.triage_folder.strip("/"):
            raise ConfigError(f"{PREFIX}DONE_FOLDER и {PREFIX}TRIAGE_FOLDER совпадают ({self.done_folder}); "
                              f"обработанные письма и письма на ручной разбор должны лежать в разных папках")


@dataclass(frozen=True, slots=True)
class MailboxSettings:
    """A mailbox besides the main one (INBOXBOT_MAILBOXES): its IMAP account and folder,
    and the address its forwards come from."""

    name: str
    imap: ServerSettings
    folder: str = "INBOX"
    bot_address: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    imap: ServerSettings
    smtp: ServerSettings | None  # None: no SMTP host configured (tag-only setups)
    folder: str = "INBOX"
    journal: str = DEFAULT_JOURNAL
    # A postgresql:// URL (INBOXBOT_STORE), password included; empty: the SQLite journal.
    store: str = field(default="", repr=False)
    poll_seconds: int = 60
    # INBOXBOT_IDLE: new mail is polled for as soon as the server tells of it (IMAP IDLE,
    # where the server has it); the interval poll goes on as the full check.
    idle: bool = True
    batch_size: int = 100
    bot_address: str = ""  # From: of forwards
    marking: MarkingSettings = field(default_factory=MarkingSettings)
    # Several machines on one shared store (run/lease.py): each names itself (the processes
    # of one machine are told apart by their pids, and a restarted worker takes over its
    # killed incarnation's claims and leases under the same name, run/holders.py) and holds a
    # mailbox's lease this long without renewing it; a standby takes over that long after the
    # holder died (another machine's, or a live process's of this one: a dead process of
    # this worker id on this machine is taken over at once).
    worker_id: str = field(default_factory=socket.gethostname)
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    # Several mailboxes in one deployment (mailboxes.py): `mailbox` names the one these
    # settings reach ("" for the main one), `extra_mailboxes` the others.
    mailbox: str = ""
    extra_mailboxes: tuple[MailboxSettings, ...] = ()

    @property
    def store_location(self) -> str:
        """What `store.factory.open_store` opens: the shared store's URL, else the journal."""
        return self.store or self.journal

    def masked(self) -> dict[str, Any]:
        """Everything, for `inboxbot dump-config`; passwords as "***"."""
        return {
            "imap": self.imap.masked(),
            "smtp": self.smtp.masked() if self.smtp else None,
            "folder": self.folder,
            "journal": self.journal,
            "store": masked_url(self.store),
            "poll_seconds": self.poll_seconds,
            "idle": self.idle,
            "batch_size": self.batch_size,
            "bot_address": self.bot_address,
            "marking": asdict(self.marking),
            "worker_id": self.worker_id,
            "lease_seconds": self.lease_seconds,
            "mailboxes": [
                {"name": m.name, "imap": m.imap.masked(), "folder": m.folder, "bot_address": m.bot_address}
                for m in self.extra_mailboxes
            ],
        }

    def of_mailbox(self, mailbox: MailboxSettings) -> Settings:
        """These settings for another mailbox of the deployment: its account, folder and
        address; the rest (SMTP, store, marking, timings) shared."""
        return replace(self, imap=mailbox.imap, folder=mailbox.folder, mailbox=mailbox.name,
                       bot_address=mailbox.bot_address or self.bot_address, extra_mailboxes=())


def masked_url(url: str) -> str:
    """A store URL as it may be shown or logged: its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def store_url(values: Mapping[str, str]) -> str:
    """INBOXBOT_STORE checked: empty (the SQLite journal) or a postgresql:// URL."""
    url = values.get(f"{PREFIX}STORE", "").strip()
    if not url:
        return ""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in STORE_SCHEMES:
        raise ConfigError(
            f"{PREFIX}STORE={masked_url(url)}: ожидается адрес базы PostgreSQL вида "
            f"postgresql://пользователь:пароль@сервер:5432/база; для журнала SQLite укажите {PREFIX}JOURNAL=ФАЙЛ"
        )
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise ConfigError(f"{PREFIX}STORE={masked_url(url)}: порт должен быть числом от 1 до 65535")
    return url


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (with or without IPv6 brackets)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `env` (default: os.environ) merged over INBOXBOT_SECRETS_FILE.
    Raises ConfigError naming the variable for anything missing or malformed."""
    values = configured_values(env)

    insecure = {h.strip().lower() for h in values.get(f"{PREFIX}TLS_INSECURE_HOSTS", "").split(",") if h.strip()}
    cafile = values.get(f"{PREFIX}CAFILE", "").strip() or None
    if cafile is not None and not Path(cafile).is_file():
        raise ConfigError(f"файл сертификатов {PREFIX}CAFILE={cafile} не найден")

    imap = _server(values, "IMAP", IMAP_PORTS, insecure, cafile, credentials_required=True)
    if imap is None:
        raise ConfigError(f"не задан адрес IMAP-сервера: укажите {PREFIX}IMAP_HOST")
    smtp = _server(values, "SMTP", SMTP_PORTS, insecure, cafile, credentials_required=False)

    bot_address = values.get(f"{PREFIX}BOT_ADDRESS", "").strip()
    if not bot_address and "@" in imap.user:
        bot_address = imap.user
    return Settings(
        imap=imap,
        smtp=smtp,
        folder=values.get(f"{PREFIX}FOLDER", "").strip() or "INBOX",
        journal=values.get(f"{PREFIX}JOURNAL", "").strip() or DEFAULT_JOURNAL,
        store=store_url(values),
        poll_seconds=_positive_int(values, f"{PREFIX}POLL_SECONDS", 60),
        idle=_flag(values, f"{PREFIX}IDLE", True),
        batch_size=_positive_int(values, f"{PREFIX}BATCH_SIZE", 100),
        bot_address=bot_address,
        marking=MarkingSettings(
            mode=values.get(f"{PREFIX}MARKING", "").strip().lower() or "auto",
            done_folder=values.get(f"{PREFIX}DONE_FOLDER", "").strip() or "Inboxbot/Done",
            triage_folder=values.get(f"{PREFIX}TRIAGE_FOLDER", "").strip() or "Inboxbot/Triage",
            owner_keywords=_flag(values, f"{PREFIX}OWNER_KEYWORDS", True),
        ),
        worker_id=values.get(f"{PREFIX}WORKER_ID", "").strip() or socket.gethostname(),
        lease_seconds=_positive_int(values, f"{PREFIX}LEASE_SECONDS", DEFAULT_LEASE_SECONDS),
        extra_mailboxes=extra_mailboxes(values, imap, insecure, cafile),
    )


MAILBOX_NAME = re.compile(r"[a-z0-9_-]{1,32}")


def extra_mailboxes(
    values: Mapping[str, str], main: ServerSettings, insecure: set[str], cafile: str | None
) -> tuple[MailboxSettings, ...]:
    """INBOXBOT_MAILBOXES=zakaz,branch: each named mailbox from INBOXBOT_MAILBOX_<NAME>_*
    (IMAP_HOST, IMAP_PORT, IMAP_TLS as the main mailbox's unless given; IMAP_USER and
    IMAP_PASSWORD or IMAP_PASSWORD_FILE; FOLDER; ADDRESS, the From: of its forwards)."""
    names = [n.strip().lower() for n in values.get(f"{PREFIX}MAILBOXES", "").split(",") if n.strip()]
    for index, name in enumerate(names):
        if not MAILBOX_NAME.fullmatch(name):
            raise ConfigError(f"{PREFIX}MAILBOXES: имя ящика «{name}» не подходит; допустимы латинские буквы, "
                              f"цифры, - и _ (до 32 знаков), например zakaz")
        if name in names[:index]:
            raise ConfigError(f"{PREFIX}MAILBOXES: ящик «{name}» назван дважды")
    found: list[MailboxSettings] = []
    for name in names:
        own = f"MAILBOX_{name.upper().replace('-', '_')}"
        inherited = {f"{PREFIX}{own}_IMAP_HOST": main.host, f"{PREFIX}{own}_IMAP_TLS": main.tls}
        if not values.get(f"{PREFIX}{own}_IMAP_TLS") and not values.get(f"{PREFIX}{own}_IMAP_HOST"):
            inherited[f"{PREFIX}{own}_IMAP_PORT"] = str(main.port)
        merged = {**inherited, **{k: v for k, v in values.items() if v.strip()}}
        imap = _server(merged, f"{own}_IMAP", IMAP_PORTS, insecure, cafile, credentials_required=True)
        assert imap is not None  # the host is inherited when not given
        address = values.get(f"{PREFIX}{own}_ADDRESS", "").strip() or (imap.user if "@" in imap.user else "")
        found.append(MailboxSettings(name, imap, values.get(f"{PREFIX}{own}_FOLDER", "").strip() or "INBOX", address))
    return tuple(found)


def configured_values(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The INBOXBOT_* values: `env` (default: os.environ) merged over INBOXBOT_SECRETS_FILE."""
    environ = dict(os.environ if env is None else env)
    values: dict[str, str] = {}
    secrets_path = environ.get(f"{PREFIX}SECRETS_FILE", "").strip()
    if secrets_path:
        values.update(read_secrets_file(Path(secrets_path)))
    # The environment wins: an operator can override one value without editing the file.
    values.update({k: v for k, v in environ.items() if k.startswith(PREFIX)})
    return values


@dataclass(frozen=True, slots=True)
class FoundJournal:
    """What a read-only command opens: the journal file, or the shared store's URL."""

    location: Path | str
    note: str = ""  # said to the user when the journal is not the configured one (the demo's)

    @property
    def shown(self) -> str:
        """The location as it may be printed: a URL's password masked."""
        return str(self.location) if isinstance(self.location, Path) else masked_url(self.location)


def find_journal(explicit: Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> FoundJournal:
    """The journal a read-only command (status, report) reads: `explicit` (--journal), else
    the shared store the configuration names (INBOXBOT_STORE), else the journal it names
    (INBOXBOT_JOURNAL, in the environment or the secrets file) — where `run` writes; with nothing configured, inboxbot.sqlite and then the
    demo's journal (demo-out/journal.sqlite), which `inboxbot demo` leaves. Raises
    ConfigError naming every place looked at when none exists: an absent file is a user
    error, never a new empty journal."""
    base = cwd or Path.cwd()

    def at(path: Path) -> Path:
        return path if path.is_absolute() else base / path

    if explicit is not None:
        if at(explicit).is_file():
            return FoundJournal(at(explicit))
        raise ConfigError(f"журнал {explicit} не найден (он указан в --journal)")
    values = configured_values(env)
    if url := store_url(values):
        return FoundJournal(url)
    configured = values.get(f"{PREFIX}JOURNAL", "").strip()
    if configured:
        if at(Path(configured)).is_file():
            return FoundJournal(at(Path(configured)))
        raise ConfigError(
            f"журнал {configured} не найден (его называет {PREFIX}JOURNAL): бот ещё не запускался "
            "с этими настройками, или путь другой — укажите его в --journal"
        )
    default, demo = at(Path(DEFAULT_JOURNAL)), at(Path(DEMO_OUT) / DEMO_JOURNAL)
    if default.is_file():
        return FoundJournal(default)
    if demo.is_file():
        return FoundJournal(demo, f"журнал демо: {Path(DEMO_OUT) / DEMO_JOURNAL} (рабочий журнал {DEFAULT_JOURNAL} не найден)")
    raise ConfigError(
        f"журнал не найден: искал {default} (по умолчанию, {PREFIX}JOURNAL не задан) и {demo} (журнал демо). "
        f"Бот ещё не запускался здесь — запустите inboxbot run или inboxbot demo, либо укажите --journal ФАЙЛ "
        f"или {PREFIX}JOURNAL"
    )


def read_secrets_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (# comments, blank lines, optional `export `, optional quotes).
    Refuses a file that group or others can read: it holds passwords."""
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"файл секретов {PREFIX}SECRETS_FILE={path} не читается: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"файл секретов {path} не в кодировке UTF-8") from None
    if os.name == "posix" and st.st_mode & 0o077:
        raise ConfigError(
            f"файл секретов {path} доступен группе или всем (права {stat.filemode(st.st_mode)}); "
            f"закройте доступ: chmod 600 {path}"
        )
    values: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            # The line itself may hold a password: say where, never what.
            raise ConfigError(f"{path}, строка {lineno}: ожидается КЛЮЧ=значение")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key not in KNOWN_KEYS and not key.startswith(f"{PREFIX}MAILBOX"):
            log.warning("%s, строка %d: неизвестный ключ %s пропущен", path, lineno, key)
            continue
        values[key] = value
    return values


def _server(
    values: Mapping[str, str],
    proto: str,
    ports: Mapping[str, int],
    insecure: set[str],
    cafile: str | None,
    *,
    credentials_required: bool,
) -> ServerSettings | None:
    name = f"{PREFIX}{proto}_"
    host = values.get(f"{name}HOST", "").strip()
    if not host:
        return None
    tls = values.get(f"{name}TLS", "").strip().lower() or "ssl"
    if tls not in TLS_MODES:
        raise ConfigError(f"{name}TLS={tls}: неизвестный режим; допустимо: {', '.join(TLS_MODES)}")
    port = _int(values, f"{name}PORT", ports[tls])
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name}PORT={port}: порт должен быть от 1 до 65535")
    user = values.get(f"{name}USER", "").strip()
    password = _password(values, name)
    if credentials_required and not user:
        raise ConfigError(f"не задано имя пользователя: укажите {name}USER")
    if user and password is None:
        raise ConfigError(f"не задан пароль: укажите {name}PASSWORD или {name}PASSWORD_FILE")
    if password and not user:
        raise ConfigError(f"пароль задан, а имя пользователя нет: укажите {name}USER")
    try:
        return ServerSettings(
            host=host,
            port=port,
            tls=tls,
            user=user,
            password=password or "",
            verify=host.lower() not in insecure,
            cafile=cafile,
        )
    except ConfigError as exc:
        raise ConfigError(f"{name}HOST, {name}TLS: {exc}") from None


def _password(values: Mapping[str, str], name: str) -> str | None:
    direct = values.get(f"{name}PASSWORD")
    file_name = values.get(f"{name}PASSWORD_FILE", "").strip()
    if direct and file_name:
        raise ConfigError(f"заданы и {name}PASSWORD, и {name}PASSWORD_FILE; оставьте что-то одно")
    if file_name:
        try:
            content = Path(file_name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "не UTF-8"
            raise ConfigError(f"{name}PASSWORD_FILE={file_name}: файл не читается ({reason})") from None
        # Files written by `echo` or editors end with a newline that is not part of the password.
        content = content.rstrip("\r\n")
        if not content:
            raise ConfigError(f"{name}PASSWORD_FILE={file_name}: файл пуст")
        return content
    return direct or None


def _int(values: Mapping[str, str], key: str, default: int) -> int:
    raw = values.get(key, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: ожидается целое число") from None


def _flag(values: Mapping[str, str], key: str, default: bool) -> bool:
    raw = values.get(key, "").strip().lower()
    if not raw:
        return default
    if raw in _YES or raw in _NO:
        return raw in _YES
    raise ConfigError(f"{key}={raw!r}: ожидается yes или no")


def _positive_int(values: Mapping[str, str], key: str, default: int) -> int:
    number = _int(values, key, default)
    if number <= 0:
        raise ConfigError(f"{key}={number}: ожидается число больше нуля")
    return number
