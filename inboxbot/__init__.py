"""inboxbot: triage for a shared sales mailbox."""

__version__ = "0.1.0"
