"""What every fact extractor returns: its facts and the notes it made, never an exception
for "nothing found" (that is None or an empty tuple in `value`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Extracted(Generic[T]):
    """One extractor's answer: `value` (the facts) and `notes` (Russian, for the reader)."""

    value: T
    notes: tuple[str, ...] = ()
