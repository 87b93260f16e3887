"""The one subject normaliser: a thread's subject without reply and forward prefixes."""

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
