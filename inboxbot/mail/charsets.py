"""Bytes of unknown encoding → text: UTF-8 when it is UTF-8, else the Cyrillic code page
whose text looks most like Russian. Pure.

A body without a charset parameter, a raw 8-bit header, a .txt attachment or a client
export from 1C comes in UTF-8, windows-1251, KOI8-R, cp866 (DOS), ISO-8859-5 or
mac-cyrillic. Every single-byte page decodes any byte string, so "decodes without an
error" proves nothing: the first page tried would always win. Instead each candidate is
decoded and scored by Russian letter frequencies, with penalties for what a wrong page
produces (box drawing and currency signs, «пРИВЕТ»-style case flips inside a word). The
pages share ASCII, so only the non-ASCII bytes are scored: cheap even for a long body.

Why not charset-normalizer (3.5): on the 38 sample texts of tests/russian_texts.py it
reads 27 KOI8-R and 25 mac-cyrillic ones right unrestricted, and even limited to these
pages 27 mac-cyrillic ones (37 here), at about the same speed; it would also be one more
dependency to declare.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

# Tried in this order; on a tie the earlier wins (windows-1251 is by far the most common).
CYRILLIC_CODEPAGES: tuple[str, ...] = ("cp1251", "koi8-r", "cp866", "iso8859-5", "mac-cyrillic")
CODEPAGE_TITLES = {
    "utf-8": "UTF-8",
    "cp1251": "windows-1251",
    "koi8-r": "KOI8-R",
    "cp866": "cp866 (DOS)",
    "iso8859-5": "ISO-8859-5",
    "mac-cyrillic": "mac-cyrillic",
}

# Letter frequencies of Russian prose (per cent, Russian National Corpus); ё is raised
# from the corpus's 0.04: business mail writes «счёт», «ещё», «Фёдоров» with it.
_FREQUENCIES = {
    "о": 10.98, "е": 8.48, "а": 8.00, "и": 7.37, "н": 6.70, "т": 6.32, "с": 5.47, "р": 4.75,
    "в": 4.53, "л": 4.34, "к": 3.49, "м": 3.20, "д": 2.98, "п": 2.80, "у": 2.62, "я": 2.00,
    "ы": 1.90, "ь": 1.74, "г": 1.69, "з": 1.64, "б": 1.59, "ч": 1.45, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.72, "ю": 0.64, "ц": 0.49, "щ": 0.36, "э": 0.33, "ф": 0.27, "ъ": 0.04,
    "ё": 0.10,
}  # fmt: skip
# Typography a Russian text may carry; rare, so a run of them is dearer than letters.
_TYPOGRAPHY = "«»—–№„“”‘’…\u00a0₽©®°±×•€§"
_OTHER_CYRILLIC = "іїєґўІЇЄҐЎђѓєѕјљњћќџЂЃЅЈЉЊЋЌЏ"
_TYPOGRAPHY_WEIGHT = -7.0
_OTHER_CYRILLIC_WEIGHT = -9.0
_JUNK_WEIGHT = -14.0  # box drawing, control and currency signs, Latin-1 letters …
_CASE_FLIP_WEIGHT = -8.0  # an upper-case letter right after a lower-case one
_CASE_FLIP = re.compile(r"[а-яё][А-ЯЁ]")
# Capitals are rare in prose; KOI8-R read as windows-1251 swaps the case of every
# letter, so this tells the two apart on short text.
_CAPITAL_WEIGHT = -1.5
# Capitals a requisites block is full of: each one found outweighs its capitals' cost.
_ABBREVIATION_WEIGHT = 10.0
# A capital standing alone mid-sentence («складом С дайте») is a dash or a quote of
# another page (mac-cyrillic's «—» is windows-1251's «С»).
_LONE_CAPITAL_WEIGHT = -6.0
_LONE_CAPITAL = re.compile(r"[а-яё,] [А-ЯЁ] ")
# Closing quotes, dashes and signs are followed by a space or punctuation, not by a
# letter («®лочные» is windows-1251's «Ёлочные» read as mac-cyrillic).
_GLUED_SIGN_WEIGHT = -5.0
_GLUED_SIGN = re.compile(r"[»—–№…®©°±×•€§₽¤¦¬][а-яёА-ЯЁ]")
_ABBREVIATION = re.compile(r"\b(?:ИНН|КПП|ОГРН|ОГРНИП|БИК|ООО|ОАО|ЗАО|ПАО|АО|ИП|РФ)\b")
# Scoring this much is enough to tell the pages apart; the rest of a long body is not read.
_SAMPLE_BYTES = 16 * 1024
# The patterns below matter on short text; on long text the letters alone decide.
_PATTERN_CHARS = 4 * 1024


def _char_weight(char: str) -> float:
    lower = char.lower()
    if lower in _FREQUENCIES:
        return math.log(_FREQUENCIES[lower] / 100) + (_CAPITAL_WEIGHT if char != lower else 0.0)
    if char in _TYPOGRAPHY:
        return _TYPOGRAPHY_WEIGHT
    if char in _OTHER_CYRILLIC:
        return _OTHER_CYRILLIC_WEIGHT
    return _JUNK_WEIGHT


def _byte_weights(codepage: str) -> tuple[float, ...]:
    """Weight of each byte 0x80–0xFF when read in `codepage` (index = byte − 0x80)."""
    return tuple(
        _char_weight(bytes([b]).decode(codepage, "replace")) for b in range(0x80, 0x100)
    )


_WEIGHTS = {cp: _byte_weights(cp) for cp in CYRILLIC_CODEPAGES}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # a key of CODEPAGE_TITLES


def score(data: bytes, codepage: str) -> float:
    """Log-likelihood-like score of `data` read in `codepage`: higher is more Russian.
    Comparable only between code pages for the same bytes."""
    sample = data[:_SAMPLE_BYTES]
    return _score(sample, Counter(sample), codepage)


def _score(sample: bytes, counts: Counter[int], codepage: str) -> float:
    weights = _WEIGHTS[codepage]
    total = sum(n * weights[b - 0x80] for b, n in counts.items() if b >= 0x80)
    text = sample[:_PATTERN_CHARS].decode(codepage, "replace")
    return (
        total
        + len(_CASE_FLIP.findall(text)) * _CASE_FLIP_WEIGHT
        + len(_LONE_CAPITAL.findall(text)) * _LONE_CAPITAL_WEIGHT
        + len(_GLUED_SIGN.findall(text)) * _GLUED_SIGN_WEIGHT
        + len(_ABBREVIATION.findall(text)) * _ABBREVIATION_WEIGHT
    )


def guess_codepage(data: bytes) -> str:
    """The Cyrillic code page in which `data` reads most like Russian."""
    sample = data[:_SAMPLE_BYTES]
    counts = Counter(sample)
    return max(CYRILLIC_CODEPAGES, key=lambda cp: _score(sample, counts, cp))  # first of ties


def decode_unknown(data: bytes) -> Decoded:
    """Strict UTF-8 if the bytes are UTF-8 (ASCII included), else the best Cyrillic
    code page. Never raises: every code page here decodes any byte (mac-cyrillic and
    the others map all 256), and 'replace' covers the few holes (0x98 in cp1251)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not _accidental_utf8(text):
        return Decoded(text, "utf-8")
    codepage = guess_codepage(data)
    decoded = data.decode(codepage, "replace")
    if text is not None and not _mostly_cyrillic(decoded):
        return Decoded(text, "utf-8")
    return Decoded(decoded, codepage)


_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
# What short cp866 Russian sometimes is in UTF-8 terms: its р–я (0xE0–0xEF) are lead
# bytes of 3-byte sequences and а–п (0xA0–0xAF) continuation bytes, so «сверки» is valid
# UTF-8 for «ᢥન». UTF-8 with such characters and no Cyrillic is checked against the pages.
_RARE_SCRIPTS = re.compile(r"[\u0800-\u1fff\u2c00-\u2dff\u3000-\ufdff]")


def _accidental_utf8(text: str) -> bool:
    return not _CYRILLIC.search(text) and bool(_RARE_SCRIPTS.search(text))


def _mostly_cyrillic(text: str) -> bool:
    non_ascii = [c for c in text[:_SAMPLE_BYTES] if not c.isascii()]
    letters = sum(1 for c in non_ascii if _CYRILLIC.match(c))
    return letters >= 0.9 * len(non_ascii)


def misdecoded_as(text: str, encoding: str) -> str | None:
    """For text that was decoded from `encoding`: the encoding its bytes were really in,
    when that is clear. KOI8-R read as windows-1251 gives «бЗТПЙНРХМШУ»; UTF-8 read as
    windows-1251 (now or before the file was last saved) gives «РћРћРћ». None when the
    text looks right or it cannot be told."""
    sample = text[:_SAMPLE_BYTES]
    if _utf8_read_as_codepage(sample):
        return "utf-8"
    if encoding not in CYRILLIC_CODEPAGES:
        return None
    try:
        data = sample.encode(encoding)
    except UnicodeEncodeError:
        return None
    best = guess_codepage(data)
    if best == encoding:
        return None
    # Demand a clear margin per non-ASCII byte, so that a few odd names do not trigger it.
    non_ascii = sum(1 for b in data if b >= 0x80)
    margin = (score(data, best) - score(data, encoding)) / max(non_ascii, 1)
    return best if margin > _MISDECODED_MARGIN else None


_CYRILLIC_WORD = re.compile(r"[а-яёА-ЯЁ]{2,}")
_MISDECODED_MARGIN = 1.0
_WORD = re.compile(r"\S+")
# Share of non-ASCII words that must turn into Cyrillic UTF-8: some do not, as the page
# lacks a byte (windows-1251 has no 0x98, the second byte of UTF-8 «И»).
_UTF8_WORD_SHARE = 0.3


def _utf8_read_as_codepage(sample: str) -> bool:
    """True when the words of `sample` are UTF-8 bytes read in a Cyrillic page: written
    back in that page, they decode as UTF-8 into Cyrillic («РћРћРћ» → «ООО»). Russian in
    a single-byte page is never valid UTF-8 by accident: a lead byte 0xD0/0xD1 must be
    followed by 0x80–0xBF, which are not letters there."""
    words = [w for w in _WORD.findall(sample) if not w.isascii()]
    for codepage in CYRILLIC_CODEPAGES:
        hits = 0
        for word in words:
            try:
                again = word.encode(codepage).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            hits += again != word and _CYRILLIC_WORD.search(again) is not None
        if words and hits >= max(1, _UTF8_WORD_SHARE * len(words)):
            return True
    return False
