"""The exceptions inboxbot raises; only cli.py maps them to exit codes."""


class InboxbotError(Exception):
    """Base of every error the user can act on (bad config, unreachable server)."""


class ConfigError(InboxbotError):
    """Settings or secrets are missing or wrong."""


class RulesError(InboxbotError):
    """rules.toml (or a file it names) is invalid; the message names file, line and fix."""


class FetchError(InboxbotError):
    """The mailbox cannot be reached or refused a command; retried by the worker."""


class ActionError(InboxbotError):
    """Forwarding or marking failed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class MessageError(InboxbotError):
    """A message cannot be processed; it is quarantined for manual triage with this reason."""
