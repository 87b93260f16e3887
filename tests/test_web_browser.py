"""The web pages in Debian's headless Chromium through Selenium (tests/web_browser.py):
log in, search, open a request's story, release a skipped mail, settle a dispute, hand a client over — at desktop and phone
width, none scrolling sideways, each page a screenshot that is not blank."""

from __future__ import annotations

from pathlib import Path

from browser import decode_png, grey_stddev
from web_browser import browser, serving, walk
from web_site import HEAD, make_site


def test_the_head_walks_the_pages_in_a_real_browser(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    try:
        with serving(site.app) as base, browser(base) as b:
            shots = walk(b, tmp_path, site.rows, HEAD)
        (command,) = site.store.releases.open_commands()
        assert command.numbers == (1,) and command.sender == HEAD[0]
        kept = site.store.conflicts.get(3)
        assert kept is not None and (kept.verdict, kept.settled_by) == ("keep", "volkov")
        (change,) = site.store.changes.history()
        assert (change.previous, change.owner, change.by, change.why) == ("petrov", "ivanova", "volkov",
                                                                          "клиент просит менеджера из Петербурга")  # fmt: skip
    finally:
        site.store.close()
    assert len(shots) == 14
    for shot in shots:
        image = decode_png(shot.read_bytes())
        assert image.width in (1280, 780) and grey_stddev(image, step=4) > 5, shot.name
