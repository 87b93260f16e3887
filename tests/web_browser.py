"""The web pages in a real browser: Debian's headless Chromium driven by Selenium through
Debian's chromium-driver (no browser downloads; `make test` installs both). The app runs
under uvicorn on a loopback port, over a real SQLite journal (web_site.py).

    .venv/bin/python tests/web_browser.py [OUTDIR]   # docs/screenshots/web-*.png
"""

from __future__ import annotations

import base64
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from browser import DESKTOP, PHONE, SCREENSHOTS, BrowserMissing, chromium
from starlette.applications import Starlette

from inboxbot.web.serve import server_config

START_TIMEOUT = 20.0  # seconds for uvicorn to listen; a fixture limit, not an assertion


def chromedriver() -> str:
    for candidate in ("chromedriver", "/usr/bin/chromedriver"):
        found = shutil.which(candidate)
        if found:
            return found
    raise BrowserMissing("chromedriver was not found: sudo apt-get install -y chromium-driver — `make test` does it.")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """`app` under uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))  # as `inboxbot web` runs it
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)


@dataclass
class Browser:
    driver: Any
    base: str

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def size(self, size: tuple[int, int], *, phone: bool) -> None:
        """The viewport a phone (or a desktop) gives: exact CSS width, the phone's pixel ratio."""
        width, height = size
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 2 if phone else 1, "mobile": phone,
        })  # fmt: skip

    def scroll_width(self) -> int:
        return int(self.driver.execute_script("return document.documentElement.scrollWidth"))

    def shot(self, path: Path) -> None:
        """The whole page, top to bottom, as PNG."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        content = metrics["cssContentSize"]
        data = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "captureBeyondViewport": True, "format": "png",
            "clip": {"x": 0, "y": 0, "width": content["width"], "height": content["height"], "scale": 1},
        })  # fmt: skip
        path.write_bytes(base64.b64decode(data["data"]))


@contextmanager
def browser(base: str) -> Iterator[Browser]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--hide-scrollbars", "--lang=ru-RU", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):  # fmt: skip
        options.add_argument(arg)
    with tempfile.TemporaryDirectory(prefix="inboxbot-web-browser-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(service=Service(chromedriver()), options=options)
        try:
            yield Browser(driver, base)
        finally:
            driver.quit()


def walk(b: Browser, out: Path, site_rows: dict[str, int], head: tuple[str, str]) -> list[Path]:
    """Log in as the head, search, open a story, release a skipped mail, settle a dispute,
    look at the clients, hand a client over; a screenshot of each page at desktop and phone width.
    Returns the files."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shows
    from selenium.webdriver.support.ui import Select, WebDriverWait

    written: list[Path] = []

    def wait(condition: Any) -> Any:
        """A click starts a navigation; what follows waits for the next page to show."""
        return WebDriverWait(b.driver, START_TIMEOUT).until(condition)

    def both(name: str) -> None:
        for label, size, phone in (("desktop", DESKTOP, False), ("phone", PHONE, True)):
            b.size(size, phone=phone)
            b.driver.execute_script("window.scrollTo(0, 0)")
            assert b.scroll_width() <= size[0], f"{name} scrolls sideways at {size[0]} px: {b.scroll_width()}"
            path = out / f"web-{name}-{label}.png"
            b.shot(path)
            written.append(path)
        b.size(DESKTOP, phone=False)

    b.open("/requests")
    assert "/login" in b.driver.current_url
    both("login")
    b.driver.find_element(By.NAME, "address").send_keys(head[0])
    b.driver.find_element(By.NAME, "password").send_keys(head[1])
    b.driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait(shows.url_matches(r"/requests$"))
    both("requests")
    search = b.driver.find_element(By.NAME, "q")
    search.send_keys("3525000006")
    search.submit()
    wait(shows.url_contains("q=3525000006"))
    rows = b.driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    assert len(rows) == 1 and "Коробки для рыбы" in rows[0].text
    rows[0].find_element(By.CSS_SELECTOR, "a").click()
    wait(shows.url_contains(f"/requests/{site_rows['petrov']}"))
    assert "Ответил: Петров" in b.driver.find_element(By.CSS_SELECTOR, "ol.timeline").text
    both("story")
    b.open("/skipped")
    before = b.driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    target = next(r for r in before if "Выставка упаковки 2026" in r.text)
    target.find_element(By.CSS_SELECTOR, "button").click()
    assert "будет переслано" in wait(shows.presence_of_element_located((By.CSS_SELECTOR, ".note"))).text
    after = next(r for r in b.driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr") if "Выставка" in r.text)
    assert "ждёт пересылки" in after.text
    both("skipped")
    b.open("/conflicts")
    b.driver.find_element(By.CSS_SELECTOR, "#conflict-3 input[name=why]").send_keys("Смирнова ведёт их с 2021 года, строку Орлова уберём")
    b.driver.find_element(By.CSS_SELECTOR, '#conflict-3 button[value="keep"]').click()
    note = wait(shows.presence_of_element_located((By.CSS_SELECTOR, ".note"))).text
    assert "Спор № 3 решён: оставить как есть" in note, note
    assert len(b.driver.find_elements(By.CSS_SELECTOR, "section.dispute")) == 2
    both("conflicts")
    b.open("/clients")
    both("clients")
    b.driver.find_element(By.CSS_SELECTOR, 'a[href="/clients/inn/3525000006"]').click()
    wait(shows.url_contains("/clients/inn/3525000006"))
    Select(b.driver.find_element(By.NAME, "target")).select_by_visible_text("Иванова Ирина Александровна")
    b.driver.find_element(By.NAME, "why").send_keys("клиент просит менеджера из Петербурга")
    b.driver.find_element(By.CSS_SELECTOR, "form.handover button").click()
    note = wait(shows.presence_of_element_located((By.CSS_SELECTOR, ".note"))).text
    assert "Петров Дмитрий Сергеевич → Иванова Ирина Александровна" in note, note
    facts = b.driver.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert "Иванова Ирина Александровна" in facts, facts
    both("client")
    return written


def write_screenshots(out: Path = SCREENSHOTS) -> list[Path]:
    from web_site import HEAD, make_site

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inboxbot-web-") as tmp:
        site = make_site(Path(tmp))
        try:
            with serving(site.app) as base, browser(base) as b:
                return walk(b, out, site.rows, HEAD)
        finally:
            site.store.close()


if __name__ == "__main__":
    for written in write_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS):
        print(written)
