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
    """Forwarding or marking failed.

    `permanent`: this message can never go (5xx). `about_message` (for a failure that is
    not permanent): the server answered "not now" to this message or its recipient
    (4xx to RCPT or DATA) rather than failing as a whole (no connection, login, sender
    refused, connection lost, 421 closing): other mail may still go."""

    def __init__(self, message: str, *, permanent: bool = False, about_message: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.about_message = about_message and not permanent


class MessageError(InboxbotError):
    """A message cannot be processed; it is quarantined for manual triage with this reason."""


class ExtractionError(InboxbotError):
    """The extraction processes cannot run at all (they die before any mail reaches
    them): no mail is at fault, the poll is retried like an outage."""


class MarkingError(FetchError):
    """Handled mail cannot be marked on the IMAP server (no keyword sticks, and the
    folder cannot be created): nothing may be forwarded until it can. The message is
    Russian and quotes the server's answer."""


class StoreError(InboxbotError):
    """The shared store (PostgreSQL) cannot be reached or its schema is not one this
    version knows; the message names the database with its password masked."""
