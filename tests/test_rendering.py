"""Forwards and absence notices as a reader sees them: rendered by headless Chromium at a
phone's and a desktop's width, from corpus requests routed by the shipped rules.

Chromium is required: without it these tests fail with how to install it, never skip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from browser import (
    DESKTOP,
    PHONE,
    BrowserMissing,
    Composed,
    chromium,
    compose_corpus_mail,
    content_columns,
    decode_png,
    grey_stddev,
    html_part,
    layout,
    layouts,
    screenshot,
)
from samples import CORPUS

BACKGROUND = (0xF4, 0xF5, 0xF7)  # the page background of both templates
MAX_COLUMN = 600
# Template syntax, Python reprs and jinja's undefined markers that must never reach a reader.
LEAKS = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}|\bNone\b|\bUndefined\b|\bdatetime\.|\bdate\(|\[\]|\{\}")


@pytest.fixture(scope="session", autouse=True)
def browser_present() -> None:
    try:
        chromium()
    except BrowserMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def forwarded() -> list[Composed]:
    """Every corpus request the shipped rules forward, composed as the worker would."""
    assert CORPUS.is_dir(), f"the developer corpus is missing: {CORPUS}"
    out = []
    for path in sorted(CORPUS.glob("*.eml")):
        try:
            out.append(compose_corpus_mail(path.name))
        except ValueError as exc:  # skip, bounce, auto-reply: nothing is sent
            assert "is not forwarded" in str(exc), exc
    assert len(out) >= 20, f"only {len(out)} corpus mails are forwarded"
    assert any(c.notices for c in out), "no corpus mail produces an absence notice"
    return out


def _mails(composed: list[Composed]) -> Iterator[tuple[str, EmailMessage]]:
    """(label, mail) for every forward and notice; a forward's label ends in "forward"."""
    for c in composed:
        yield f"{c.name} forward", c.forward
        for notice in c.notices:
            yield f"{c.name} notice to {notice['To']}", notice


def test_nothing_raw_leaks_into_any_mail(forwarded: list[Composed]) -> None:
    for label, mail in _mails(forwarded):
        for kind in ("plain", "html"):
            part = mail.get_body((kind,))
            assert part is not None, f"{label}: no text/{kind} part"
            text = str(part.get_content())
            # Only the text the reader sees: tags, attributes and CSS braces are not text.
            visible = re.sub(r"<[^>]*>", " ", text) if kind == "html" else text
            leak = LEAKS.search(visible)
            assert leak is None, f"{label}, text/{kind}: «{leak.group(0) if leak else ''}» in {visible[:300]!r}"


def test_every_mail_fits_a_phone(forwarded: list[Composed]) -> None:
    """All forwards and notices of the corpus, laid out 390 px wide: no sideways scrolling,
    no text under 13 px, the reply button within the first screen."""
    mails = list(_mails(forwarded))
    measured = layouts([html_part(mail) for _, mail in mails], PHONE)
    problems = []
    for (label, mail), page in zip(mails, measured, strict=True):
        if page.scroll_width > PHONE[0] or page.widest > PHONE[0] + 0.5:
            problems.append(f"{label}: {page.scroll_width}/{page.widest:.0f} px wide")
        if page.min_font_px < 13:
            problems.append(f"{label}: text of {page.min_font_px} px")
        if LEAKS.search(page.text):
            problems.append(f"{label}: raw text {LEAKS.search(page.text)}")
        if label.endswith("forward") and mail["Reply-To"]:
            reply_to = mail["Reply-To"].addresses[0].addr_spec
            buttons = [link for link in page.links if link.text == "Ответить клиенту"]
            if len(buttons) != 1:
                problems.append(f"{label}: {len(buttons)} reply buttons")
            elif buttons[0].bottom > PHONE[1] or not buttons[0].href.startswith(f"mailto:{reply_to}?"):
                problems.append(f"{label}: reply button at {buttons[0].bottom:.0f} px to {buttons[0].href[:60]}")
    assert not problems, "\n".join(problems)


def test_forward_shows_who_why_and_the_request(forwarded: list[Composed]) -> None:
    kareliya = next(c for c in forwarded if c.name.startswith("004-"))
    page = layout(html_part(kareliya.forward), PHONE)
    text = page.text
    for expected in (
        "Максим Игоревич, здравствуйте!",
        "ООО «Карельская форель»",
        "ИНН 1001328149",
        "Республика Карелия (10), СЗФО",
        "Клиент с 19 сентября 2021",  # the `since` column of demo/clients.csv
        "Это ваш клиент по базе клиентов. Как узнали: домен отправителя kareliafish.ru.",
        "Ящики для охлаждённой рыбы — июль",
        "ящики гофрокартонные с пропиткой 600х400х150",
        "менеджер клиента — Орлов",
    ):
        assert expected in text, f"{expected!r} not on the rendered page:\n{text}"
    # Who the client is comes before why, why before the request, the full reasoning last.
    order = [text.index(s) for s in ("КЛИЕНТ", "ПОЧЕМУ ВАМ", "Ответить клиенту", "ЗАЯВКА", "КАК БОТ РЕШИЛ")]
    assert order == sorted(order), text


def test_notice_says_whose_request_went_to_whom(forwarded: list[Composed]) -> None:
    pomor = next(c for c in forwarded if c.name.startswith("014-"))
    assert [n["To"].addresses[0].addr_spec for n in pomor.notices] == ["d.petrov@severkarton.test"]
    text = layout(html_part(pomor.notices[0]), PHONE).text
    assert (
        "Пока вас нет (до 20 июля 2025 включительно), заявку вашего клиента ООО «Поморская рыба» "
        "бот передал заместителю\u00a0— Иванова Ирина Александровна." in text
    ), text
    for expected in ("i.ivanova@severkarton.test", "ИНН 2901143706", "Ящики на путину", "8 ИЮЛЯ 2025, 10:40",  # labels are upper-cased by CSS
                     "Клиент с 29 января 2022"):
        assert expected in text, f"{expected!r} not on the rendered notice:\n{text}"


def test_phone_screenshot_is_a_page_across_the_width(forwarded: list[Composed]) -> None:
    for mail in (forwarded[0].forward, next(c for c in forwarded if c.notices).notices[0]):
        image = decode_png(screenshot(html_part(mail), PHONE))
        assert (image.width, image.height) == PHONE
        assert grey_stddev(image) > 20, "the screenshot is (nearly) blank"
        left, right = content_columns(image, BACKGROUND)
        # Content from the 12 px margin to the other one: the phone's width is used.
        assert left <= 16 and right >= PHONE[0] - 16, (left, right)


def test_desktop_screenshot_is_one_centred_column(forwarded: list[Composed]) -> None:
    image = decode_png(screenshot(html_part(forwarded[0].forward), DESKTOP))
    assert (image.width, image.height) == DESKTOP
    assert grey_stddev(image) > 10
    left, right = content_columns(image, BACKGROUND)
    assert right - left + 1 <= MAX_COLUMN, (left, right)
    assert right - left + 1 >= MAX_COLUMN - 40, (left, right)  # the column is used, not a sliver
    assert abs((left + right) / 2 - DESKTOP[0] / 2) <= 2, (left, right)


def test_the_checks_catch_a_bad_page() -> None:
    """The measurements above can fail: a wide table, small print and a blank page."""
    wide, blank = layouts(
        [
            (
                '<!DOCTYPE html><meta name="viewport" content="width=device-width">'
                '<p style="font-size:11px">мелко</p><table style="width:900px"><tr><td>широко</td></tr></table>'
            ),
            "<!DOCTYPE html><body></body>",
        ],
        PHONE,
    )
    assert wide.scroll_width > PHONE[0] and wide.widest > PHONE[0] and wide.min_font_px == 11
    assert blank.text.strip() == ""
    image = decode_png(screenshot("<!DOCTYPE html><body style='background:#f4f5f7'></body>", PHONE))
    assert grey_stddev(image) == 0
    assert content_columns(image, BACKGROUND) == (-1, -1)
    narrow = decode_png(screenshot("<!DOCTYPE html><body style='margin:0;background:#f4f5f7'>"
                                   "<div style='margin-left:100px;width:50px;height:50px;background:#000'></div>",
                                   PHONE))
    assert content_columns(narrow, BACKGROUND) == (100, 149)


def test_png_decoder_rejects_damage() -> None:
    data = bytearray(screenshot("<!DOCTYPE html><p>x</p>", (200, 100)))
    assert decode_png(bytes(data)).width == 200
    data[40] ^= 0xFF  # inside IDAT (IHDR is bytes 8–32): its CRC no longer matches
    with pytest.raises(ValueError, match="CRC"):
        decode_png(bytes(data))
    with pytest.raises(ValueError, match="not a PNG"):
        decode_png(b"GIF89a")
