"""`inboxbot demo` and the servers it starts."""

from __future__ import annotations

import pytest

from inboxbot.demo import pymap_server
from inboxbot.fetch import Mailbox


@pytest.mark.parametrize("password", ["-dash-first", "--looks-like-an-option", "-h"])
def test_pymap_takes_a_password_that_looks_like_an_option(password: str) -> None:
    """token_urlsafe starts with '-' one time in 64: the server must not read it as an option."""
    with pymap_server(password) as imap, Mailbox(imap) as box:
        assert imap.password == password
        assert box.pending_uids() == []
