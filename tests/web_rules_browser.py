"""The shares and rules pages in a real browser (Debian's headless Chromium through
Selenium, as web_browser.py): the head reads the shares, uploads an edited rules.toml,
reads the what-if over the mails in a real Dovecot mailbox, applies it and reads the
history; a screenshot of each page at desktop and phone width.

    .venv/bin/python tests/web_rules_browser.py [OUTDIR]   # docs/screenshots/web-shares*.png, web-rules*.png
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from browser import DESKTOP, PHONE, SCREENSHOTS
from web_browser import START_TIMEOUT, Browser, browser, serving
from web_rules_site import MOVED, edited, imap_env, journal_mailbox
from web_site import HEAD, Site, make_site


def walk_rules(b: Browser, out: Path, site: Site, upload: Path) -> list[Path]:
    """Log in as the head; shares; rules; upload `upload`; the what-if; apply; history."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import WebDriverWait

    written: list[Path] = []

    def wait(condition: Any) -> Any:
        return WebDriverWait(b.driver, START_TIMEOUT * 6).until(condition)  # the first trial loads the NLP models

    def both(name: str) -> None:
        for label, size, phone in (("desktop", DESKTOP, False), ("phone", PHONE, True)):
            b.size(size, phone=phone)
            b.driver.execute_script("window.scrollTo(0, 0)")
            assert b.scroll_width() <= size[0], f"{name} scrolls sideways at {size[0]} px: {b.scroll_width()}"
            path = out / f"web-{name}-{label}.png"
            b.shot(path)
            written.append(path)
        b.size(DESKTOP, phone=False)

    b.open("/shares")
    b.driver.find_element(By.NAME, "address").send_keys(HEAD[0])
    b.driver.find_element(By.NAME, "password").send_keys(HEAD[1])
    b.driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait(shows.url_contains("/shares"))
    b.driver.find_element(By.LINK_TEXT, "Прошлый месяц").click()
    wait(shows.url_contains("preset=last_month"))
    assert "Доли: 1–28 февраля 2026" in b.driver.find_element(By.TAG_NAME, "h1").text
    assert len(b.driver.find_elements(By.CSS_SELECTOR, "figure.chart img")) >= 3
    both("shares")
    b.open("/rules")
    assert "правила в порядке" in b.driver.find_element(By.CSS_SELECTOR, ".note").text
    both("rules")
    b.driver.find_element(By.NAME, "rules").send_keys(str(upload))
    b.driver.find_element(By.CSS_SELECTOR, "form.upload button").click()
    wait(shows.url_contains("/rules/trial"))
    summary = wait(shows.presence_of_element_located((By.CSS_SELECTOR, ".summary-line"))).text
    assert summary.startswith("Решение изменится у"), summary
    moved = [r.text for r in b.driver.find_elements(By.CSS_SELECTOR, "table.moves tbody tr")]
    assert any("Орлов М. И." in r and "Иванова И. А." in r for r in moved), moved
    both("rules-trial")
    b.driver.find_element(By.CSS_SELECTOR, "form.apply button").click()
    wait(shows.url_contains("/rules/history"))
    assert "Новые правила записаны" in b.driver.find_element(By.CSS_SELECTOR, ".note").text
    both("rules-history")
    return written


@contextmanager
def rules_site(folder: Path, imap: Any) -> Iterator[tuple[Site, Path]]:
    """The web site with the demo mails in `imap`'s mailbox, the worker's settings pointing
    at it, and the edited rules file to upload."""
    site = make_site(folder / "site")
    saved = {k: os.environ.get(k) for k in imap_env(imap)}
    os.environ.update(imap_env(imap))
    try:
        journal_mailbox(site, imap)
        upload = folder / "rules.toml"
        upload.write_bytes(edited(site, *MOVED))
        yield site, upload
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        site.store.close()


def write_screenshots(out: Path = SCREENSHOTS) -> list[Path]:
    from servers import Dovecot

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inboxbot-web-rules-") as tmp, Dovecot.running() as dovecot:
        user, password = dovecot.new_user()
        imap = dovecot.settings(user=user, password=password)
        with rules_site(Path(tmp), imap) as (site, upload), serving(site.app) as base, browser(base) as b:
            return walk_rules(b, out, site, upload)


if __name__ == "__main__":
    for written in write_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS):
        print(written)
