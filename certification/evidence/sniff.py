"""Tell an evidence file's type from its content — never from its name or the declared type.

Magic bytes alone cannot tell a Word file from a spreadsheet or an OpenDocument file (all are ZIP
archives; generic sniffers such as puremagic label an .odt as .docx), so containers are identified by
the entries their formats require. Only the archive's directory and the tiny `mimetype` entry are read;
nothing is extracted.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
CSV = "text/csv"

EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg", DOCX: "docx", XLSX: "xlsx", ODT: "odt", ODS: "ods", CSV: "csv"}
ALLOWED_LABEL = "PDF, DOCX, XLSX, ODT, ODS, CSV, PNG, JPEG"


def _zip_type(stream: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    declared = archive.read("mimetype").decode("ascii", "replace").strip()
                    if declared in (ODT, ODS):
                        return declared
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return DOCX
                if "xl/workbook.xml" in names:
                    return XLSX
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return None
    return None


def _looks_like_csv(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A cut multi-byte character at the end of the sample is fine; latin-1 exports are common too.
        text = head.decode("latin-1")
    if text.lstrip().startswith(("<", "{", "%!", "#!")):
        return False  # markup, JSON, PostScript or scripts are not tabular data
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / len(text)
    has_delimiter = all(any(d in line for d in ",;\t") for line in lines[:5])
    return printable > 0.97 and has_delimiter


def sniff(stream: BinaryIO) -> str | None:
    """The allowed MIME type of the file in `stream` (seekable, read from the start), or None."""
    stream.seek(0)
    head = stream.read(8192)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        found = _zip_type(stream)
        stream.seek(0)
        return found
    if _looks_like_csv(head):
        return CSV
    return None
