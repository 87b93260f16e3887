"""A subject without its reply and forward prefixes: the key of the subject + sender
thread fallback. Byte for byte the journal's normaliser, which stores the same key."""

from __future__ import annotations

import re

_REPLY_PREFIX = re.compile(r"^(re|fw|fwd|ответ|отв|пересл|aw|wg)\s*(\[\d+\])?\s*:\s*", re.IGNORECASE)


def subject_key(subject: str) -> str:
    """Subject without reply/forward prefixes, for the subject + sender thread fallback."""
    key = subject.strip().lower()
    while True:
        stripped = _REPLY_PREFIX.sub("", key)
        if stripped == key:
            return re.sub(r"\s+", " ", key)
        key = stripped
