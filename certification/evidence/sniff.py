"""Tell an evidence file's type from its content — never from its name or the declared type.

Magic bytes alone cannot tell a Word file from a spreadsheet or an OpenDocument file (all are ZIP
archives; generic sniffers such as puremagic label an .odt as .docx), so containers are identified by
the entries their formats require.

Nothing a file declares about itself is trusted: an archive may claim any entry count, directory size or
entry size, and lie in its local headers and its central directory differently. So ZIP archives are not
handed to `zipfile` (which reads the whole central directory into objects and inflates an entry as far as
its data goes); the directory is parsed here, bounded. Whatever the file claims, one sniff reads at most
MAX_SNIFF_READ bytes, holds at most a central directory of MAX_DIRECTORY_BYTES in memory, walks at most
MAX_ZIP_ENTRIES entries and inflates at most MIMETYPE_MAX + 1 bytes (the OpenDocument `mimetype` entry).
Nothing else is inflated or extracted.
"""

from __future__ import annotations

import struct
import zlib
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

HEAD_BYTES = 8192
# Office documents hold tens to a few thousand entries (a workbook with many images); a flood of
# entries is refused before any of them is read.
MAX_ZIP_ENTRIES = 10_000
MAX_DIRECTORY_BYTES = 2 * 1024 * 1024
MIMETYPE_MAX = 100  # "application/vnd.oasis.opendocument.spreadsheet" is 46 bytes
MIMETYPE_MAX_COMPRESSED = 1024
# The End Of Central Directory record is 22 bytes followed by a comment of at most 65,535 bytes.
EOCD = struct.Struct("<4s4H2LH")
EOCD_TAIL = EOCD.size + 0xFFFF
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
CENTRAL = struct.Struct("<4s6H3L5H2L")
LOCAL = struct.Struct("<4s5H3L2H")
MAX_SNIFF_READ = (
    HEAD_BYTES + EOCD_TAIL + ZIP64_LOCATOR.size + ZIP64_EOCD.size + MAX_DIRECTORY_BYTES
    + LOCAL.size + MIMETYPE_MAX_COMPRESSED
)  # fmt: skip

MIMETYPE = b"mimetype"
WANTED = frozenset({MIMETYPE, b"[Content_Types].xml", b"word/document.xml", b"xl/workbook.xml"})


class _Refused(Exception):
    """The archive is malformed, or claims more than we are willing to read."""


def _read_at(stream: BinaryIO, offset: int, length: int) -> bytes:
    stream.seek(offset)
    data = stream.read(length)
    if len(data) != length:
        raise _Refused
    return data


def _directory_bounds(stream: BinaryIO, size: int) -> tuple[int, int, int]:
    """(entry count, central directory offset, its size), checked against the file before anything is read."""
    tail_start = max(0, size - EOCD_TAIL)
    tail = _read_at(stream, tail_start, size - tail_start)
    # The real record is the one whose comment ends exactly at the end of the file; a comment may hold
    # fake records, so search from the end and check each candidate.
    position = len(tail)
    while (position := tail.rfind(b"PK\x05\x06", 0, position)) >= 0:
        if position + EOCD.size <= len(tail):
            record = EOCD.unpack_from(tail, position)
            if position + EOCD.size + record[-1] == len(tail):
                break
    else:
        raise _Refused
    _sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _comment = record
    directory_end = tail_start + position
    if 0xFFFF in (disk_entries, entries) or 0xFFFFFFFF in (cd_size, cd_offset):
        locator_at = directory_end - ZIP64_LOCATOR.size
        if locator_at < 0:
            raise _Refused
        sig, locator_disk, record_at, disks = ZIP64_LOCATOR.unpack(_read_at(stream, locator_at, ZIP64_LOCATOR.size))
        if sig != b"PK\x06\x07" or locator_disk != 0 or disks != 1 or record_at + ZIP64_EOCD.size > locator_at:
            raise _Refused
        zip64 = ZIP64_EOCD.unpack(_read_at(stream, record_at, ZIP64_EOCD.size))
        if zip64[0] != b"PK\x06\x06":
            raise _Refused
        disk, cd_disk, disk_entries, entries, cd_size, cd_offset = zip64[4:]
        directory_end = record_at
    if disk != 0 or cd_disk != 0 or disk_entries != entries:
        raise _Refused  # split archives are not documents
    if entries > MAX_ZIP_ENTRIES or cd_size > MAX_DIRECTORY_BYTES or cd_size < entries * CENTRAL.size:
        raise _Refused
    if cd_offset + cd_size != directory_end:
        raise _Refused  # the directory must sit right before its end record: no gap, no overlap
    return entries, cd_offset, cd_size


def _wanted_entries(directory: bytes, entries: int) -> dict[bytes, tuple]:
    """The entries the formats require, by name; each record is checked to lie inside the directory."""
    found: dict[bytes, tuple] = {}
    position = 0
    for _ in range(entries):
        if position + CENTRAL.size > len(directory):
            raise _Refused
        fields = CENTRAL.unpack_from(directory, position)
        if fields[0] != b"PK\x01\x02":
            raise _Refused
        flags, method = fields[3], fields[4]
        compressed, name_length, extra_length, comment_length, local_offset = (
            fields[8], fields[10], fields[11], fields[12], fields[16]
        )  # fmt: skip
        name_start = position + CENTRAL.size
        position = name_start + name_length + extra_length + comment_length
        if position > len(directory):
            raise _Refused
        name = directory[name_start : name_start + name_length]
        if name in WANTED:
            if name in found:
                raise _Refused  # two entries of one name: which one a reader opens is anybody's guess
            found[name] = (flags, method, compressed, local_offset)
    if position != len(directory):
        raise _Refused
    return found


def _mimetype(stream: BinaryIO, entry: tuple, directory_offset: int) -> str:
    """The `mimetype` entry's text, of at most MIMETYPE_MAX bytes, whatever sizes the headers claim."""
    flags, method, compressed, local_offset = entry
    if flags & 0x1 or compressed > MIMETYPE_MAX_COMPRESSED or local_offset + LOCAL.size > directory_offset:
        raise _Refused  # encrypted, or far bigger than any media type: not an OpenDocument file
    local = LOCAL.unpack(_read_at(stream, local_offset, LOCAL.size))
    name_length, extra_length = local[9], local[10]
    data_start = local_offset + LOCAL.size + name_length + extra_length
    if local[0] != b"PK\x03\x04" or data_start + compressed > directory_offset:
        raise _Refused
    if _read_at(stream, local_offset + LOCAL.size, name_length) != MIMETYPE:
        raise _Refused
    raw = _read_at(stream, data_start, compressed)
    if method == 0:
        data = raw
    elif method == 8:
        # max_length bounds what inflating may produce, whatever the compressed bytes expand to.
        data = zlib.decompressobj(-zlib.MAX_WBITS).decompress(raw, MIMETYPE_MAX + 1)
    else:
        raise _Refused
    if len(data) > MIMETYPE_MAX:
        raise _Refused
    return data.decode("ascii", "replace").strip()


def _zip_type(stream: BinaryIO) -> str | None:
    try:
        size = stream.seek(0, 2)
        entries, directory_offset, directory_size = _directory_bounds(stream, size)
        directory = _read_at(stream, directory_offset, directory_size)
        found = _wanted_entries(directory, entries)
        del directory
        if MIMETYPE in found:
            try:
                declared = _mimetype(stream, found[MIMETYPE], directory_offset)
            except (_Refused, zlib.error):
                declared = ""
            if declared in (ODT, ODS):
                return declared
        if b"[Content_Types].xml" in found:
            if b"word/document.xml" in found:
                return DOCX
            if b"xl/workbook.xml" in found:
                return XLSX
    except (_Refused, struct.error, OSError, ValueError):
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
    """The allowed MIME type of the file in `stream` (seekable, read from the start), or None.

    Reads at most MAX_SNIFF_READ bytes of the stream and never more than that in memory at once.
    """
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    if head.startswith(b"%PDF-"):
        found = PDF
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif head.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif head.startswith(b"PK\x03\x04"):
        found = _zip_type(stream)
    elif _looks_like_csv(head):
        found = CSV
    else:
        found = None
    stream.seek(0)
    return found
