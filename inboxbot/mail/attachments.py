"""Attachments → plain text, for the requisites a client often sends only as a card
(«Реквизиты.docx», a PDF invoice request, an .xlsx specification). Pure.

Never raises: a broken, encrypted, oversized or unknown file is skipped and a note in
Russian says why, so the explanation can tell a human what the bot did not read.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inboxbot.mail.message import Attachment, decode_text

log = logging.getLogger(__name__)
# pypdf warns on stderr about every sloppy PDF it still reads («EOF marker not found»);
# a file it cannot read becomes a note on the mail instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# A source larger than this is not parsed: requisites cards are small, and a 50 MB scan
# would cost seconds per mail for nothing.
MAX_SOURCE_BYTES = 5 * 1024 * 1024
# Text kept per attachment: enough for any requisites card or specification.
MAX_TEXT_CHARS = 100_000
# Cells read from a workbook: a price list of 100k rows is not a requisites card.
MAX_XLSX_CELLS = 20_000
MAX_PDF_PAGES = 20


@dataclass(frozen=True, slots=True)
class AttachmentText:
    filename: str
    text: str


@dataclass(frozen=True, slots=True)
class AttachmentTexts:
    texts: tuple[AttachmentText, ...] = ()
    notes: tuple[str, ...] = ()


class _Skip(Exception):
    """Raised inside a reader to skip a file with a note (encrypted, empty …)."""


def _read_plain(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return decode_text(data, None)


def _read_pdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        # Many "encrypted" PDFs only restrict printing and open with an empty password.
        try:
            if not reader.decrypt(""):
                raise _Skip("зашифрован")
        except _Skip:
            raise
        except Exception as exc:  # pypdf raises several types for unsupported crypto
            raise _Skip("зашифрован") from exc
    parts: list[str] = []
    size = 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        chunk = page.extract_text() or ""
        parts.append(chunk)
        size += len(chunk)
        if size >= MAX_TEXT_CHARS:
            break
    return "\n".join(parts)


def _read_docx(data: bytes) -> str:
    import docx

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = [p.text for p in document.paragraphs]
    # Requisites cards are most often a two-column table: one line per row, cells joined
    # by a tab so "ИНН\t7707083893" keeps label and value together.
    for table in document.tables:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                value = cell.text.strip()
                if value and (not cells or cells[-1] != value):  # merged cells repeat
                    cells.append(value)
            lines.append("\t".join(cells))
    for section in document.sections:
        for paragraph in section.header.paragraphs + section.footer.paragraphs:
            lines.append(paragraph.text)
    return "\n".join(line for line in lines if line.strip())


def _read_xlsx(data: bytes) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines: list[str] = []
    cells = 0
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                values = [_cell_text(v) for v in row if v is not None and str(v).strip()]
                cells += len(row)
                if values:
                    lines.append("\t".join(values))
                if cells >= MAX_XLSX_CELLS:
                    return "\n".join(lines)
    finally:
        workbook.close()
    return "\n".join(lines)


def _cell_text(value: object) -> str:
    # An INN typed into a number cell comes back as int (or float 7707083893.0).
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_rtf(data: bytes) -> str:
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")  # RTF is 7-bit; \'xx escapes carry the code page bytes
    codepage = re.search(r"\\ansicpg(\d+)", raw)
    encoding = f"cp{codepage.group(1)}" if codepage else "cp1251"
    try:
        return str(rtf_to_text(raw, encoding=encoding, errors="replace"))  # type: ignore[no-untyped-call]
    except LookupError:
        return str(rtf_to_text(raw, encoding="cp1251", errors="replace"))  # type: ignore[no-untyped-call]


def _read_doc(data: bytes) -> str:
    """Legacy Word 97–2003: no pure-Python reader ships here. The text of a simple .doc is
    stored as UTF-16LE or cp1251 runs in the WordDocument stream; pulling out long runs of
    Cyrillic/Latin text finds a requisites card's lines well enough for INN/KPP/OGRN.
    Word ends each table cell with \x07 and each row with one more: they are kept in the
    runs and become tabs and line ends, so a card laid out as a table reads «ИНН\t7707083893»
    (without them each cell was a run of its own, and «ИНН» too short to be kept)."""
    if not data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Skip("не похож на документ Word")
    runs = _UTF16_RUN.findall(data)
    text = "\n".join(_table_marks(r.decode("utf-16-le", "ignore")) for r in runs)
    if not re.search(r"\d{9,}", text):
        cp = _CP1251_RUN.findall(data)
        text = "\n".join(_table_marks(r.decode("cp1251", "ignore")) for r in cp)
    if not text.strip():
        raise _Skip("текст .doc не извлечён")
    return text


# UTF-16LE code units of text: ASCII with tab, line ends and Word's cell mark \x07,
# Latin-1 (« » NBSP), Cyrillic (U+04xx), dashes, quotes and № (U+2013–U+2026, U+2116).
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e\x07\x09-\x0d\xa0\xab\xbb\xb0\xa7]\x00|[\x00-\xff]\x04|[\x13-\x26]\x20|\x16\x21){6,}")
_CP1251_RUN = re.compile(rb"[\x20-\x7e\xc0-\xff\xa8\xb8\xab\xbb\xb9\x96\x97\x07\x09-\x0d]{8,}")


def _table_marks(run: str) -> str:
    """Word's marks → text: \x07 ends a cell, \x07\x07 a row (the row's own mark follows
    its last cell's); \r ends a paragraph, \x0b is a line break, \x0c a page break."""
    return run.replace("\x07\x07", "\n").replace("\x07", "\t").translate(_BREAKS)


_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n"})


_READERS: dict[str, Callable[[bytes], str]] = {
    "txt": _read_plain,
    "csv": _read_plain,
    "tsv": _read_plain,
    "pdf": _read_pdf,
    "docx": _read_docx,
    "xlsx": _read_xlsx,
    "xlsm": _read_xlsx,
    "rtf": _read_rtf,
    "doc": _read_doc,
}
_BY_CONTENT_TYPE = {
    "text/plain": "txt",
    "text/csv": "csv",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
    "application/msword": "doc",
}


def kind_of(attachment: Attachment) -> str | None:
    """The reader name for an attachment, from its extension, then content type, then
    magic bytes (mail clients send .docx as application/octet-stream)."""
    name = attachment.filename.lower()
    ext = name.rpartition(".")[2] if "." in name else ""
    if ext in _READERS:
        return ext
    by_type = _BY_CONTENT_TYPE.get(attachment.content_type.lower())
    if by_type:
        return by_type
    head = attachment.payload[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(attachment.payload)).namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    return None


def read_attachment(attachment: Attachment) -> tuple[AttachmentText | None, str | None]:
    """(text, None) or (None, note). Never raises."""
    if attachment.content_type.startswith(("message/", "image/", "audio/", "video/")):
        return None, None  # forwarded mails are parsed by message.py; pictures have no text
    kind = kind_of(attachment)
    if kind is None:
        return None, None
    name = attachment.filename
    if attachment.truncated or len(attachment.payload) > MAX_SOURCE_BYTES:
        return None, f"вложение «{name}» не прочитано: больше {MAX_SOURCE_BYTES // (1024 * 1024)} МБ"
    try:
        text = _READERS[kind](attachment.payload)
    except _Skip as skip:
        return None, f"вложение «{name}» не прочитано: {skip}"
    except Exception as exc:
        log.info("attachment %r unreadable: %s: %s", name, type(exc).__name__, exc)
        return None, f"вложение «{name}» не прочитано: файл повреждён или не поддерживается ({type(exc).__name__})"
    text = text.replace("\x00", "").replace("\r\n", "\n")[:MAX_TEXT_CHARS]
    if not text.strip():
        return None, f"вложение «{name}»: текста нет (скан?)"
    return AttachmentText(name, text), None


def attachment_texts(attachments: Sequence[Attachment]) -> AttachmentTexts:
    """Text of every readable attachment, in mail order, with notes for the skipped ones."""
    texts: list[AttachmentText] = []
    notes: list[str] = []
    for attachment in attachments:
        text, note = read_attachment(attachment)
        if text is not None:
            texts.append(text)
        if note:
            notes.append(note)
    return AttachmentTexts(tuple(texts), tuple(notes))
