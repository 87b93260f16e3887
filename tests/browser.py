"""Render mail HTML in headless Chromium: screenshots (PNG), the DOM after rendering, and
the layout a phone would see. Also the screenshots of docs/screenshots/:

    .venv/bin/python tests/browser.py [OUTDIR]      # default: docs/screenshots

Chromium is Debian's `chromium` (`make test` installs it). Nothing is mocked: the mails
are composed by inboxbot.compose (forward, absence) from corpus requests routed by the shipped rules.toml.
Pages are rendered from local files with every host name unresolvable, so a mail that
needs the network to look right shows up broken here as it would in a mail client that
blocks remote content.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from samples import CORPUS, RULES

PHONE = (390, 844)  # iPhone 12–15 CSS pixels; most Android phones are 360–412 wide
DESKTOP = (1280, 900)
TIMEOUT = 60

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"


class BrowserMissing(RuntimeError):
    """No Chromium to render with."""


def chromium() -> str:
    """Path of the Chromium binary ($CHROMIUM, else chromium on PATH). Raises
    BrowserMissing saying how to install it: rendering tests fail, they never skip."""
    candidates = [os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser", "/usr/bin/chromium"]
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise BrowserMissing(
        "headless Chromium is needed to check how forwards render and was not found "
        "(looked for $CHROMIUM, chromium, chromium-browser). Install Debian's package: "
        "sudo apt-get install -y chromium — `make test` does it."
    )


@contextmanager
def _page(html_text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="inboxbot-render-") as tmp:
        path = Path(tmp) / "page.html"
        path.write_text(html_text, encoding="utf-8")
        yield path


def _run(page: Path, size: tuple[int, int], *extra: str) -> subprocess.CompletedProcess[bytes]:
    width, height = size
    # A profile of its own per run: parallel runs do not fight over the default one.
    profile = page.parent / "profile"
    args = [
        chromium(),
        "--headless",
        "--no-sandbox",  # runs as root in CI containers
        "--disable-gpu",
        "--disable-dev-shm-usage",  # containers give /dev/shm 64 MB
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--hide-scrollbars",  # phones overlay them; a scrollbar would only narrow the shot
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: nothing remote may be needed
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        *extra,
        page.as_uri(),
    ]
    done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise RuntimeError(f"chromium exited with {done.returncode}: {tail}")
    return done


def screenshot(html_text: str, size: tuple[int, int] = PHONE, *, scale: float = 1) -> bytes:
    """PNG of the page in a window of `size` CSS pixels (the part a screen shows first;
    pass the page height from `layout` for the whole page). `scale` is the device pixel
    ratio: 2 gives a phone's sharpness."""
    with _page(html_text) as page:
        shot = page.parent / "shot.png"
        _run(page, size, f"--screenshot={shot}", f"--force-device-scale-factor={scale}",
             "--run-all-compositor-stages-before-draw")
        if not shot.is_file():
            raise RuntimeError("chromium wrote no screenshot")
        return shot.read_bytes()


def dump_dom(html_text: str, size: tuple[int, int] = DESKTOP) -> str:
    """The DOM after loading and running the page's scripts, serialised."""
    with _page(html_text) as page:
        return _run(page, size, "--dump-dom").stdout.decode("utf-8")


@dataclass(frozen=True, slots=True)
class Link:
    text: str
    href: str
    top: float
    bottom: float


@dataclass(frozen=True, slots=True)
class Layout:
    """What a reader at a given width gets: CSS pixels and the rendered text."""

    width: int  # the viewport
    scroll_width: int  # wider than `width`: the reader has to scroll sideways
    widest: float  # the right edge of the widest element (also clipped ones)
    height: int  # the content, top to bottom
    min_font_px: float  # the smallest font that shows text
    text: str  # innerText: what is visible, as the reader sees it
    links: tuple[Link, ...]


# Each page is laid out in an iframe of exactly the wanted size: headless Chromium keeps
# its window at least 500 px wide whatever --window-size says (only --screenshot honours
# narrower sizes), and an iframe is the viewport a page with width=device-width gets.
# The measuring script lives only in this harness, never in the mail; one browser run
# measures many pages.
_HARNESS = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body style="margin:0">
{frames}
<script>
function measure(frame) {{
  const doc = frame.contentDocument;
  const view = doc.defaultView;
  const root = doc.documentElement;
  let widest = 0, minFont = 1000;
  for (const el of doc.body.querySelectorAll("*")) {{
    widest = Math.max(widest, el.getBoundingClientRect().right);
  }}
  const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {{
    const node = walker.currentNode;
    if (!node.textContent.trim() || !node.parentElement.getClientRects().length) continue;
    minFont = Math.min(minFont, parseFloat(view.getComputedStyle(node.parentElement).fontSize));
  }}
  const links = [...doc.links].map(a => {{
    const box = a.getBoundingClientRect();
    return {{text: a.innerText.trim(), href: a.getAttribute("href"), top: box.top, bottom: box.bottom}};
  }});
  return {{
    width: root.clientWidth, scroll_width: root.scrollWidth, widest: widest,
    height: Math.ceil(doc.body.getBoundingClientRect().height), min_font_px: minFont,
    text: doc.body.innerText, links: links,
  }};
}}
window.addEventListener("load", () => {{
  const pre = document.createElement("pre");
  pre.id = "layout";
  pre.textContent = JSON.stringify([...document.querySelectorAll("iframe")].map(measure));
  document.body.appendChild(pre);
}});
</script></body></html>
"""
_FRAME = '<iframe style="display:block;border:0;width:{width}px;height:{height}px" srcdoc="{page}"></iframe>'
_LAYOUT_RE = re.compile(r'<pre id="layout">(.*?)</pre>', re.DOTALL)


def layouts(pages: Sequence[str], size: tuple[int, int] = PHONE) -> list[Layout]:
    """Lay each page out in a viewport of `size` and measure it (see _HARNESS)."""
    width, height = size
    frames = "\n".join(_FRAME.format(width=width, height=height, page=html.escape(p, quote=True)) for p in pages)
    dom = dump_dom(_HARNESS.format(frames=frames), (max(width, 500) + 20, height + 20))
    match = _LAYOUT_RE.search(dom)
    if not match:
        raise RuntimeError("the measuring script left no result: a page did not finish loading")
    result = []
    for data in json.loads(html.unescape(match.group(1))):
        links = tuple(Link(**link) for link in data.pop("links"))
        result.append(Layout(links=links, **data))
    if len(result) != len(pages):
        raise RuntimeError(f"measured {len(result)} pages of {len(pages)}")
    return result


def layout(html_text: str, size: tuple[int, int] = PHONE) -> Layout:
    return layouts([html_text], size)[0]


# -- PNG ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Image:
    width: int
    height: int
    channels: int  # 3 (RGB) or 4 (RGBA)
    rows: tuple[bytes, ...]  # unfiltered, `width * channels` bytes each

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        offset = x * self.channels
        return tuple(self.rows[y][offset : offset + 3])


def decode_png(data: bytes) -> Image:
    """8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) → rows of pixels.
    Anything else raises ValueError; so does a damaged file (CRC, length, filter)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, header, idat = 8, b"", bytearray()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"PNG chunk {kind!r}: bad CRC")
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {color}, interlace {interlace}")
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(bytes(idat))
    if len(raw) != (stride + 1) * height:
        raise ValueError("PNG data length does not match its size")
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        _unfilter(kind, line, previous, bpp)
        previous = bytes(line)
        rows.append(previous)
    return Image(width, height, bpp, tuple(rows))


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> None:
    """PNG filter types 0–4 (RFC 2083, 6.2–6.6), in place."""
    n = len(line)
    if kind == 0:
        return
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(n):
            line[i] = (line[i] + prev[i]) & 0xFF
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    else:
        raise ValueError(f"unknown PNG filter type {kind}")


def grey_stddev(image: Image, step: int = 2) -> float:
    """Standard deviation of the brightness (0–255) over every `step`-th pixel of every
    `step`-th row: about 0 for a blank page, tens for text on a background."""
    values = []
    for row in image.rows[::step]:
        ch = image.channels
        for offset in range(0, len(row), ch * step):
            r, g, b = row[offset], row[offset + 1], row[offset + 2]
            values.append((299 * r + 587 * g + 114 * b) // 1000)
    mean = sum(values) / len(values)
    return (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def content_columns(image: Image, background: Sequence[int]) -> tuple[int, int]:
    """The leftmost and rightmost pixel columns that differ from `background` (RGB) in
    any row: where the content sits across the page. (-1, -1) for a blank image."""
    ch, width = image.channels, image.width
    bg = bytes(background)
    left, right = width, -1
    for row in image.rows:
        x = 0
        while x < left and row[x * ch : x * ch + 3] == bg:
            x += 1
        if x < width:
            left = min(left, x)
            x = width - 1
            while x > right and row[x * ch : x * ch + 3] == bg:
                x -= 1
            right = max(right, x)
    return (left, right) if right >= 0 else (-1, -1)


# -- the mails to render --------------------------------------------------------------------

FORWARD_SAMPLE = "004-kareliya-forel-yashchiki.eml"  # an existing client, found by domain
NOTICE_SAMPLE = "014-pomorskaya-ryba-otpusk-petrova.eml"  # the client's manager is on leave


@dataclass(frozen=True, slots=True)
class Composed:
    name: str
    forward: EmailMessage
    notices: tuple[EmailMessage, ...]


def compose_corpus_mail(name: str, now: datetime = datetime(2025, 9, 1, 9, 0, tzinfo=UTC)) -> Composed:
    """The corpus mail `name` through the real pipeline with the shipped rules.toml:
    parse → extract → decide (on its own date, so absences apply) → the forward to its
    owner and the absence notices, as the worker composes them."""
    from inboxbot.compose.absence import compose_absence_notice
    from inboxbot.compose.context import ForwardContext, Recipient
    from inboxbot.compose.forward import compose_forward
    from inboxbot.compose.templates import Templates
    from inboxbot.extract.extract import Extractor
    from inboxbot.mail.message import Address, parse
    from inboxbot.route.decide import decide
    from inboxbot.rules.load import load_rules
    from inboxbot.store.factory import memory_store

    path = CORPUS / name
    if not path.is_file():
        raise FileNotFoundError(f"corpus mail {path} is missing (tests/corpus, see its PROVENANCE.md)")
    raw = path.read_bytes()
    rules = load_rules(RULES)
    dept = rules.department
    msg = parse(raw)
    facts = Extractor().extract(
        msg,
        internal_domains=dept.internal_domains,
        shared_addresses=dept.shared_addresses,
        free_mail_domains=dept.free_mail_domains,
    )
    received = msg.date or now
    with memory_store() as journal:
        decision = decide(msg, facts, rules, journal.history, received_at=received)
    if not decision.forwards or decision.owner is None:
        raise ValueError(f"{name} is not forwarded ({decision.action}): pick a request")

    def person(manager_id: str) -> Recipient:
        manager = rules.managers[manager_id]
        absence = rules.absence_on(manager_id, received.date())
        return Recipient(manager.id, manager.name, manager.email, absence.end if absence else None)

    base = person(decision.base_owner) if decision.base_owner else None
    ctx = ForwardContext(dept.name, Address(dept.name, dept.bot_address), dept.loop_headers,
                         person(decision.owner), base)
    templates = Templates()
    forward = compose_forward(raw, msg, facts, decision, ctx, templates, now=now)
    notices = tuple(
        compose_absence_notice(msg, facts, decision, ctx, person(m), templates, now=now) for m in decision.notify
    )
    return Composed(name, forward, notices)


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    if part is None:
        raise ValueError("the mail has no text/html part")
    return str(part.get_content())


def write_screenshots(out: Path = SCREENSHOTS) -> list[Path]:
    """forward-phone.png, forward-desktop.png and notice-phone.png: whole pages, phone
    shots at a phone's pixel ratio of 2."""
    out.mkdir(parents=True, exist_ok=True)
    forward = html_part(compose_corpus_mail(FORWARD_SAMPLE).forward)
    notices = compose_corpus_mail(NOTICE_SAMPLE).notices
    if not notices:
        raise ValueError(f"{NOTICE_SAMPLE} produced no absence notice")
    notice = html_part(notices[0])
    written = []
    for file, page, size, scale in (
        ("forward-phone.png", forward, PHONE, 2),
        ("forward-desktop.png", forward, DESKTOP, 1),
        ("notice-phone.png", notice, PHONE, 2),
    ):
        height = layout(page, size).height
        path = out / file
        path.write_bytes(screenshot(page, (size[0], height), scale=scale))
        written.append(path)
    return written


if __name__ == "__main__":
    for written in write_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else SCREENSHOTS):
        print(written)
