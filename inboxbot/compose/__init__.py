"""Decisions → the mails people read: forwards, notices, the report. Pure."""
