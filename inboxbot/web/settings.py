"""The web pages' settings: from the environment and the secrets file, like every other
credential (config.py), never from rules.toml.

INBOXBOT_WEB_LOGIN      how managers log in: "imap,local" (default: either), "imap", "local"
INBOXBOT_WEB_PASSWORDS  the file of local passwords (argon2 hashes; `inboxbot web passwd`)
INBOXBOT_WEB_SECRET     the key that signs session cookies; without one, a random key is
                        kept in the store (sessions then survive a restart all the same)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inboxbot.config import PREFIX, configured_values
from inboxbot.errors import ConfigError

LOGIN_WAYS = ("imap", "local")
DEFAULT_PASSWORDS = "inboxbot-web-passwords"
SESSION_HOURS = 12
# Failed logins allowed per address and per client IP within LOCK_MINUTES before refusing.
MAX_FAILURES = 5
LOCK_MINUTES = 15


@dataclass(frozen=True, slots=True)
class WebSettings:
    login: tuple[str, ...] = LOGIN_WAYS
    passwords: Path = Path(DEFAULT_PASSWORDS)
    secret: str = ""
    session_hours: int = SESSION_HOURS
    max_failures: int = MAX_FAILURES
    lock_minutes: int = LOCK_MINUTES

    def __repr__(self) -> str:  # the secret never shows
        return f"WebSettings(login={self.login!r}, passwords={str(self.passwords)!r})"


def load_web_settings(env: Mapping[str, str] | None = None) -> WebSettings:
    """The web settings from `env` (default: os.environ) over INBOXBOT_SECRETS_FILE; a
    ConfigError names the variable and the valid values."""
    values = configured_values(env)
    raw = values.get(f"{PREFIX}WEB_LOGIN", "").strip().lower()
    ways = tuple(dict.fromkeys(w.strip() for w in raw.split(",") if w.strip())) if raw else LOGIN_WAYS
    unknown = [w for w in ways if w not in LOGIN_WAYS]
    if unknown or not ways:
        raise ConfigError(f"{PREFIX}WEB_LOGIN={raw}: неизвестный способ входа; допустимо: imap, local или imap,local")
    passwords = values.get(f"{PREFIX}WEB_PASSWORDS", "").strip() or DEFAULT_PASSWORDS
    secret = values.get(f"{PREFIX}WEB_SECRET", "").strip()
    if secret and len(secret) < 32:
        raise ConfigError(f"{PREFIX}WEB_SECRET: ключ короче 32 символов; задайте длинную случайную строку "
                          f"(например, вывод команды: openssl rand -hex 32)")  # fmt: skip
    return WebSettings(login=ways, passwords=Path(passwords), secret=secret)
