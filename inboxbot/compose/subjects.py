"""The subjects of the bot's mails, made from the client's subject. Pure."""

from __future__ import annotations

from inboxbot.compose.headers import clean
from inboxbot.model.subjects import REPLY_WORDS, SUBJECT_PREFIX

SUBJECT_TAG = "[Заявка]"
NO_SUBJECT = "(без темы)"

def forward_subject(subject: str) -> str:
    """'[Заявка] ' + the original subject, with the reply/forward prefixes collapsed:
    'RE: Fwd: Re: КП' → '[Заявка] Re: КП'; an earlier tag is not doubled."""
    text = clean(subject, 250)
    is_reply = False
    while True:
        match = SUBJECT_PREFIX.match(text)
        if not match:
            break
        is_reply = is_reply or (match.group(1) or "").lower() in REPLY_WORDS
        text = text[match.end() :]
    text = text.strip() or NO_SUBJECT
    return f"{SUBJECT_TAG} {'Re: ' if is_reply else ''}{text}"


def ack_subject(subject: str) -> str:
    """'Re: ' + the client's subject with reply/forward prefixes collapsed (as the forward
    does it, so the client's mail program threads it), without the bot's «[Заявка]» tag."""
    bare = forward_subject(subject).removeprefix(SUBJECT_TAG).strip()
    return bare if bare.startswith("Re: ") else f"Re: {bare}"
