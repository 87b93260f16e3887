"""An attacker's own words inside our server's Authentication-Results: the envelope
sender (smtp.mailfrom) is the sender's choice, and a quoted local part may hold «;» and
«=». Read naively, «"x;dmarc=pass"@evil.example» is a result of its own — a dmarc pass
for the forged head's domain."""

from __future__ import annotations

import pytest

from inboxbot.mail.authentication import passes, sender_verified
from inboxbot.mail.message import parse

HEAD = "a.volkov@severkarton.test"


@pytest.mark.parametrize("header", [
    # pypolicyd-spf / Postfix: the quoted envelope sender as written.
    'mx.severkarton.test; spf=pass smtp.mailfrom="x;dmarc=pass"@evil.example',
    # Rspamd: one header for all; the real dmarc fails, the smuggled one «passes».
    'mx.severkarton.test; dkim=none; dmarc=fail header.from=severkarton.test (policy=reject); '
    'spf=pass (mx: domain of "x;dmarc=pass"@evil.example designates 203.0.113.9 as permitted sender) '
    'smtp.mailfrom="x;dmarc=pass"@evil.example',
    # The smuggled result naming our domain outright.
    'mx.severkarton.test; spf=pass smtp.mailfrom="x;dkim=pass header.d=severkarton.test"@evil.example',
    # A quote inside a property value, closing nothing: still the evil domain's pass.
    'mx.severkarton.test; spf=pass smtp.mailfrom="a\\";dmarc=pass"@evil.example',
])  # fmt: skip
def test_a_result_smuggled_in_a_quoted_envelope_sender_does_not_pass(header: str) -> None:
    assert not passes(header, "severkarton.test")
    raw = f"Authentication-Results: {header}\r\nFrom: {HEAD}\r\nSubject: t\r\n\r\nпередать Орлову\r\n".encode()
    assert not sender_verified(parse(raw), "mx.severkarton.test", ())


@pytest.mark.parametrize("header", [
    'mx.severkarton.test; spf=pass smtp.mailfrom="a.volkov"@severkarton.test',
    'mx.severkarton.test; dmarc=pass (p=reject; "quoted; comment") header.from=severkarton.test',
    'mx.severkarton.test; dmarc=pass header.from="severkarton.test"',
])  # fmt: skip
def test_a_genuine_result_with_quotes_still_passes(header: str) -> None:
    assert passes(header, "severkarton.test")
