"""Check digits and formats of Russian company identifiers (INN, KPP, OGRN, OGRNIP). Pure."""

from __future__ import annotations

import re

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP_RE = re.compile(r"\d{4}[\dA-Z]{2}\d{3}", re.ASCII)


def _ascii_digits(value: str) -> bool:
    # str.isdigit() is also true for «³», which int() rejects, and for «٣» or «３»: a client
    # base cell «770708389³» must fail the check, not raise; INNs are written in ASCII.
    return value.isascii() and value.isdigit()


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def is_valid_inn(value: str) -> bool:
    """True for a 10-digit (organisation) or 12-digit (person, ИП) INN whose check digits hold.
    Region code 00 does not exist, so it is rejected too."""
    if not _ascii_digits(value) or value.startswith("00"):
        return False
    if len(value) == 10:
        return _check_digit(value[:9], _INN10_WEIGHTS) == int(value[9])
    if len(value) == 12:
        return _check_digit(value[:10], _INN12_WEIGHTS_1) == int(value[10]) and _check_digit(
            value[:11], _INN12_WEIGHTS_2
        ) == int(value[11])
    return False


def is_valid_ogrn(value: str) -> bool:
    """OGRN (13 digits, organisations) or OGRNIP (15 digits, ИП) with a correct check digit."""
    if not _ascii_digits(value):
        return False
    if len(value) == 13:
        return int(value[:12]) % 11 % 10 == int(value[12])
    if len(value) == 15:
        return int(value[:14]) % 13 % 10 == int(value[14])
    return False


def is_valid_kpp(value: str) -> bool:
    """KPP has no check digit: 4 digits of tax office, 2 of reason (digits or A–Z), 3 digits."""
    return bool(_KPP_RE.fullmatch(value)) and not value.startswith("00")


def ogrn_region_code(value: str) -> str:
    """OGRN digits 4–5 are the region code of registration."""
    return value[3:5]


def kpp_is_largest_taxpayer(value: str) -> bool:
    """KPP of the largest taxpayers starts with 99: its first digits are no region."""
    return value.startswith("99")
