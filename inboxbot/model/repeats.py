"""A client's recent requests as near-duplicate detection keeps them, and what a repeat
points back to. Shared by route (decides), run (remembers) and store (keeps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RecentRequest:
    """A forwarded request of `sender` (lower case address): `text` its normalised text
    (mail/fingerprint.py), `at` when it was sent, `owner` whom it went to. `first_id`,
    `first_at`: the request it repeats, if it is a repeat (else its own), so a third
    copy still names the first one."""

    sender: str
    message_id: str
    at: datetime
    owner: str
    text: str
    first_id: str
    first_at: datetime


@dataclass(frozen=True, slots=True)
class RepeatOf:
    """The earlier request a mail repeats: its Message-ID, when it was sent, whom it went
    to, and how similar the texts are (0–100)."""

    message_id: str
    at: datetime
    owner: str
    score: int

    def to_dict(self) -> dict[str, object]:
        return {"message_id": self.message_id, "at": self.at.isoformat(), "owner": self.owner, "score": self.score}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RepeatOf:
        return cls(str(data["message_id"]), datetime.fromisoformat(str(data["at"])), str(data["owner"]),
                   int(str(data["score"])))  # fmt: skip
