"""An upload received in one pass: each chunk of the multipart file part is hashed, counted and written
straight into the evidence store as the request body is parsed — no spool file, no second copy, no read-back.

The sniffer needs the first bytes of a file and, for the ZIP-based formats, its end (the central directory,
at most sniff.MAX_DIRECTORY_BYTES, and its end records); an `Incoming` keeps just those two windows in
memory, and the sniffer reads them through `Sample`, a seekable view where any other offset is unreadable
(a refusal, like any archive that asks for more than its bounds). Memory per upload is therefore bounded:
the two windows, plus one part for a bucket.

`EvidenceRequest` makes werkzeug's form parser write the file parts of the evidence upload endpoints into
an `Incoming` (its `stream_factory`); every `Incoming` a request opened and did not keep is discarded when
the request ends, whatever happened (a refused file, a form cut half-way, a 413).
"""

from __future__ import annotations

import hashlib
from collections import deque

from flask import Request, current_app
from werkzeug.formparser import FormDataParser, MultiPartParser

from certification.evidence import sniff
from certification.evidence.storage import Receiver, storage

HEAD_BYTES = 64 * 1024  # the type's magic bytes, and an OpenDocument's first entry (`mimetype`, at offset 0)
TAIL_BYTES = (
    sniff.EOCD_TAIL + sniff.ZIP64_LOCATOR.size + sniff.ZIP64_EOCD.size + sniff.MAX_DIRECTORY_BYTES
)  # the end record, its ZIP64 companions and the largest central directory the sniffer accepts
# The decoder refuses to buffer more than MAX_FORM_MEMORY_SIZE (500 kB by default) at once: stay well below.
PARSE_BUFFER = 256 * 1024
UPLOAD_ENDPOINTS = frozenset({"evidence.upload", "evidence.replace", "api.upload_evidence"})


class Sample:
    """A read-only, seekable view of a file of `size` bytes of which only `head` and `tail` are known."""

    def __init__(self, head: bytes, tail: bytes, size: int):
        self.head, self.tail, self.size = head, tail, size
        self.tail_start = size - len(tail)
        self.position = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = offset if whence == 0 else (self.position + offset if whence == 1 else self.size + offset)
        return self.position

    def tell(self) -> int:
        return self.position

    def read(self, length: int = -1) -> bytes:
        start = self.position
        end = self.size if length is None or length < 0 else min(self.size, start + length)
        if end <= start:
            return b""
        if end <= len(self.head):
            data = self.head[start:end]
        elif start >= self.tail_start:
            data = self.tail[start - self.tail_start : end - self.tail_start]
        else:
            raise OSError("outside the part of the upload kept for sniffing")
        self.position = end
        return data


class Incoming:
    """One file on its way into the store: hashed, counted and cut at `limit` bytes as it is written."""

    def __init__(self, receiver: Receiver, limit: int):
        self.receiver = receiver
        self.limit = limit
        self.digest = hashlib.sha256()
        self.size = 0
        self.too_large = False
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = 0
        self.key: str | None = None
        self.closed = False

    # --- what werkzeug's parser calls ---
    def write(self, data: bytes) -> int:
        if self.too_large or not data:
            return len(data)
        self.size += len(data)
        if self.size > self.limit:
            # Stop storing at once; the request's remaining bytes (bounded by MAX_CONTENT_LENGTH) are dropped.
            self.too_large = True
            self.receiver.discard()
            self.head, self.tail = bytearray(), deque()
            return len(data)
        self.digest.update(data)
        if len(self.head) < HEAD_BYTES:
            self.head += data[: HEAD_BYTES - len(self.head)]
        self.tail.append(data)
        self.tail_size += len(data)
        while self.tail_size - len(self.tail[0]) >= TAIL_BYTES:
            self.tail_size -= len(self.tail.popleft())
        self.receiver.write(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # werkzeug rewinds a finished part; there is nothing to rewind in a one-pass stream

    def read(self, size: int = -1) -> bytes:
        raise OSError("an upload received in one pass is not read back")

    # --- what the evidence service calls ---
    def sample(self) -> Sample:
        tail = b"".join(self.tail)[-TAIL_BYTES:]
        return Sample(bytes(self.head), tail, self.size)

    def sha256(self) -> str:
        return self.digest.hexdigest()

    def keep(self) -> str:
        self.key = self.receiver.keep(self.digest.digest())
        return self.key

    def close(self) -> None:
        """Discard what was received unless it was kept."""
        if not self.closed:
            self.closed = True
            if self.key is None:
                self.receiver.discard()

    def fill_from(self, stream, chunk: int = 256 * 1024, stop=None) -> None:
        """Receive a readable stream (the service called directly, or a client that is not a form)."""
        while data := stream.read(chunk):
            self.write(data)
            if self.too_large or (stop is not None and stop(self.size)):
                return


def open_incoming() -> Incoming:
    return Incoming(storage().receiver(), current_app.config["EVIDENCE_MAX_FILE_BYTES"])


class EvidenceFormParser(FormDataParser):
    """werkzeug's form parser reading the body in PARSE_BUFFER-sized pieces instead of 64 KiB: a 100 MB file
    is then 400 trips through the multipart decoder, the hash and the write instead of 1,600."""

    def _parse_multipart(self, stream, mimetype, content_length, options):
        parser = MultiPartParser(
            stream_factory=self.stream_factory, max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts, cls=self.cls, buffer_size=PARSE_BUFFER,
        )  # fmt: skip
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class EvidenceRequest(Request):
    """Flask's request, whose evidence uploads go straight into the store (see the module's docstring)."""

    form_data_parser_class = EvidenceFormParser

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        if self.endpoint not in UPLOAD_ENDPOINTS:
            return super()._get_file_stream(total_content_length, content_type, filename, content_length)
        incoming = open_incoming()
        self.__dict__.setdefault("_evidence_incoming", []).append(incoming)
        return incoming

    def close(self) -> None:
        try:
            super().close()
        finally:
            for incoming in self.__dict__.pop("_evidence_incoming", ()):
                incoming.close()
