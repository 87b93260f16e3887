"""The shares and rules pages in Debian's headless Chromium (tests/web_rules_browser.py):
shares for last month, an edited rules.toml uploaded, its what-if over a real Dovecot
mailbox read, applied, the history read — at desktop and phone width, none scrolling
sideways, each screenshot not blank."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import decode_png, grey_stddev
from web_browser import browser, serving
from web_rules_browser import rules_site, walk_rules
from web_rules_site import MOVED, rules_path

from inboxbot.config import ServerSettings


@pytest.mark.servers
def test_the_head_tries_and_applies_rules_in_a_real_browser(tmp_path: Path, imap_inbox: ServerSettings) -> None:
    with rules_site(tmp_path, imap_inbox) as (site, upload):
        with serving(site.app) as base, browser(base) as b:
            shots = walk_rules(b, tmp_path, site, upload)
        assert MOVED[1] in rules_path(site).read_text(encoding="utf-8")
    assert len(shots) == 8
    for shot in shots:
        image = decode_png(shot.read_bytes())
        assert image.width in (1280, 780) and grey_stddev(image, step=4) > 5, shot.name
