"""Where evidence bytes live: one small interface, a local directory by default, an S3-compatible bucket
(MinIO, Ceph RGW, AWS S3) when several web servers share the files (EVIDENCE_STORAGE=s3).

An upload is received through a `Receiver`: bytes are written to it as they arrive, and nothing is visible
under a key until `keep` — a refused or broken upload is `discard`ed and leaves nothing behind (a local
temporary file removed, a bucket's multipart upload aborted). Stored files are named by a random key, never
by the user.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app

# S3 parts are at least 5 MiB (all but the last); 8 MiB is the AWS CLI's default and bounds the memory an
# upload holds while its part is on its way.
MIN_PART_BYTES = 5 * 1024 * 1024
DEFAULT_PART_BYTES = 8 * 1024 * 1024
READ_CHUNK = 256 * 1024


class StorageError(RuntimeError):
    """The store refused or lost bytes (a checksum that does not match, a bucket that does not answer)."""


class Receiver(Protocol):
    key: str | None

    def write(self, data: bytes) -> None: ...
    def keep(self, sha256: bytes) -> str: ...
    def discard(self) -> None: ...


class EvidenceStorage(Protocol):
    def receiver(self, key: str | None = None) -> Receiver: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def ping(self) -> None: ...


def check_key(key: str) -> str:
    if not (key.isascii() and key.isalnum()):
        raise ValueError("bad storage key")
    return key


def new_key() -> str:
    return secrets.token_hex(24)


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


# --- a local directory -------------------------------------------------------------------------------------


class LocalReceiver:
    """Bytes written straight into a temporary file beside their final place: keeping it is a rename."""

    def __init__(self, store: LocalStorage, key: str | None = None):
        self.store = store
        self.key = key
        self.handle = None
        self.path: Path | None = None

    def write(self, data: bytes) -> None:
        if self.handle is None:
            fd, name = tempfile.mkstemp(dir=self.store.incoming_dir())
            self.handle, self.path = os.fdopen(fd, "wb"), Path(name)
        self.handle.write(data)

    def keep(self, sha256: bytes) -> str:
        if self.handle is None:
            self.write(b"")
        self.handle.close()
        key = self.key or new_key()
        target = self.store.path(key)
        target.parent.mkdir(exist_ok=True)
        os.replace(self.path, target)
        self.handle = self.path = None
        return key

    def discard(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.path.unlink(missing_ok=True)
            self.handle = self.path = None


class LocalStorage:
    """Files under EVIDENCE_DIR (outside the web root), named by a random key, never by the user."""

    kind = "local"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def incoming_dir(self) -> Path:
        path = self.root / "incoming"
        path.mkdir(exist_ok=True)
        return path

    def path(self, key: str) -> Path:
        check_key(key)
        return self.root / key[:2] / key

    def receiver(self, key: str | None = None) -> LocalReceiver:
        return LocalReceiver(self, key)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def ping(self) -> None:
        if not os.access(self.incoming_dir(), os.W_OK):
            raise StorageError(f"{self.root} is not writable")

    def describe(self) -> str:
        return f"local directory {self.root}"


# --- an S3-compatible bucket -------------------------------------------------------------------------------


class S3Receiver:
    """A file of less than one part is sent in one PUT when kept; a larger one as a multipart upload whose
    parts leave as they fill, so an upload holds at most one part in memory. Every part and the whole file
    carry their SHA-256, which the store verifies on receipt; the checksum it answers is compared with ours.
    Until `keep` completes the upload no object exists, and `discard` aborts the parts already sent."""

    def __init__(self, store: S3Storage, key: str | None = None):
        self.store = store
        self.key = key or new_key()
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict] = []
        self.part_digests: list[bytes] = []

    @property
    def _object(self) -> dict:
        return {"Bucket": self.store.bucket, "Key": self.store.object_key(self.key)}

    def write(self, data: bytes) -> None:
        self.buffer += data
        size = self.store.part_bytes
        while len(self.buffer) >= size:
            part = bytes(self.buffer[:size])
            del self.buffer[:size]
            self._send_part(part)

    def _send_part(self, part: bytes) -> None:
        client = self.store.client
        if self.upload_id is None:
            self.upload_id = client.create_multipart_upload(**self._object, ChecksumAlgorithm="SHA256")["UploadId"]
        digest = hashlib.sha256(part).digest()
        number = len(self.parts) + 1
        answer = client.upload_part(**self._object, UploadId=self.upload_id, PartNumber=number, Body=part,
                                    ChecksumAlgorithm="SHA256", ChecksumSHA256=b64(digest))  # fmt: skip
        if answer.get("ChecksumSHA256") not in (None, b64(digest)):
            raise StorageError("the bucket stored a part whose SHA-256 differs from what was sent")
        self.parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": b64(digest)})
        self.part_digests.append(digest)

    def keep(self, sha256: bytes) -> str:
        client = self.store.client
        try:
            if self.upload_id is None:
                answer = client.put_object(**self._object, Body=bytes(self.buffer), ChecksumAlgorithm="SHA256",
                                           ChecksumSHA256=b64(sha256))  # fmt: skip
                expected = b64(sha256)
            else:
                if self.buffer:
                    self._send_part(bytes(self.buffer))
                answer = client.complete_multipart_upload(
                    **self._object, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
                )
                # A multipart object's SHA-256 is the checksum of its parts' checksums, "-N" parts.
                expected = f"{b64(hashlib.sha256(b''.join(self.part_digests)).digest())}-{len(self.parts)}"
                self.upload_id = None
        except BaseException:
            self.discard()
            raise
        self.buffer = bytearray()
        found = answer.get("ChecksumSHA256")
        if found is not None and found != expected:
            self.store.delete(self.key)
            raise StorageError("the bucket's checksum of the stored file differs from ours")
        return self.key

    def discard(self) -> None:
        self.buffer = bytearray()
        if self.upload_id is not None:
            upload_id, self.upload_id = self.upload_id, None
            self.store.client.abort_multipart_upload(**self._object, UploadId=upload_id)


class S3Body:
    """A stored object read in chunks as it arrives, closed whatever happens to the reader."""

    def __init__(self, body):
        self.body = body

    def read(self, size: int = -1) -> bytes:
        return self.body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self.body.close()

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


class S3Storage:
    kind = "s3"

    def __init__(self, client, bucket: str, prefix: str = "", part_bytes: int = DEFAULT_PART_BYTES):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_bytes = max(part_bytes, MIN_PART_BYTES)

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def receiver(self, key: str | None = None) -> S3Receiver:
        return S3Receiver(self, key)

    def open(self, key: str) -> S3Body:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from exc
            raise
        return S3Body(answer["Body"])

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def ping(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"bucket {self.bucket}: {exc}") from exc

    def describe(self) -> str:
        return f"bucket {self.bucket} (prefix {self.prefix!r})"

    def pending_uploads(self) -> list[str]:
        """Multipart uploads begun under our prefix and neither completed nor aborted."""
        answer = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        return [upload["Key"] for upload in answer.get("Uploads", [])]

    def object_keys(self) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]


def s3_client(config, timeout: float | None = None):
    """A client for the configured endpoint; credentials come from the standard AWS environment variables
    (or the instance's role), never from Sello's settings."""
    timeout = timeout or config.get("EVIDENCE_S3_TIMEOUT", 30)
    settings = BotoConfig(
        connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 3, "mode": "standard"},
        s3={"addressing_style": config.get("EVIDENCE_S3_ADDRESSING", "auto")},
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )  # fmt: skip
    return boto3.session.Session().client(
        "s3", endpoint_url=config.get("EVIDENCE_S3_ENDPOINT_URL") or None,
        region_name=config.get("EVIDENCE_S3_REGION") or None, config=settings,
    )  # fmt: skip


_clients: dict[tuple, object] = {}


def make_storage(config, timeout: float | None = None) -> LocalStorage | S3Storage:
    if config.get("EVIDENCE_STORAGE", "local") != "s3":
        return LocalStorage(config["EVIDENCE_DIR"])
    # A boto3 client is thread-safe and costly to build: one per process and endpoint.
    ident = (config.get("EVIDENCE_S3_ENDPOINT_URL"), config.get("EVIDENCE_S3_REGION"), timeout, os.getpid())
    if ident not in _clients:
        _clients[ident] = s3_client(config, timeout)
    return S3Storage(
        _clients[ident], config["EVIDENCE_S3_BUCKET"], config.get("EVIDENCE_S3_PREFIX", ""),
        int(config.get("EVIDENCE_S3_PART_BYTES", DEFAULT_PART_BYTES)),
    )  # fmt: skip


def storage() -> LocalStorage | S3Storage:
    return make_storage(current_app.config)


def hash_of(store, key: str) -> tuple[int, str]:
    """(size, SHA-256 hex) of a stored file, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with store.open(key) as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
