"""What an operator does with the evidence store: check that every file is there and intact, and move the
files of a local directory into a bucket (each one read back from the bucket and its hash checked)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from certification.evidence.models import Evidence
from certification.evidence.storage import READ_CHUNK, hash_of
from certification.extensions import db


@dataclass
class Report:
    checked: int = 0
    copied: int = 0
    problems: list[str] = field(default_factory=list)


def _rows(session) -> Iterator[tuple[int, str, int, str]]:
    query = select(Evidence.id, Evidence.storage_key, Evidence.size, Evidence.sha256).order_by(Evidence.id)
    yield from session.execute(query.execution_options(yield_per=500))


def _check(store, row_id: int, key: str, size: int, sha256: str) -> str | None:
    """Why the stored file of one evidence row is not what the row recorded, or None."""
    try:
        found_size, found_sha = hash_of(store, key)
    except (FileNotFoundError, ValueError):
        return f"evidence {row_id}: file {key} is missing"
    if (found_size, found_sha) != (size, sha256):
        return f"evidence {row_id}: file {key} has {found_size} bytes, SHA-256 {found_sha}; recorded {size}, {sha256}"
    return None


def verify(store, session=None) -> Report:
    """Read every evidence row's file back from `store` and compare its size and SHA-256 with the row."""
    report = Report()
    for row_id, key, size, sha256 in _rows(session or db.session):
        report.checked += 1
        if problem := _check(store, row_id, key, size, sha256):
            report.problems.append(problem)
    return report


def migrate(source, target, session=None) -> Report:
    """Copy every evidence file from `source` to `target` under the same key, hashing it on the way, then read
    it back from `target` and check it; a file already in `target` and intact is left as it is. Files in
    `source` are not removed: the operator does that once the application serves from `target`."""
    report = Report()
    for row_id, key, size, sha256 in _rows(session or db.session):
        report.checked += 1
        if target.exists(key) and _check(target, row_id, key, size, sha256) is None:
            continue
        receiver, digest = target.receiver(key), hashlib.sha256()
        try:
            with source.open(key) as handle:
                while chunk := handle.read(READ_CHUNK):
                    digest.update(chunk)
                    receiver.write(chunk)
        except FileNotFoundError:
            receiver.discard()
            report.problems.append(f"evidence {row_id}: file {key} is missing from the source")
            continue
        if digest.hexdigest() != sha256:
            receiver.discard()
            report.problems.append(f"evidence {row_id}: the source file {key} does not match its recorded SHA-256")
            continue
        receiver.keep(digest.digest())
        if problem := _check(target, row_id, key, size, sha256):
            report.problems.append(problem)
            continue
        report.copied += 1
    return report
