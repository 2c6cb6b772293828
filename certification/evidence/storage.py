"""Where evidence bytes live: one small interface, a local directory by default.

An S3-compatible bucket is the production option for several web servers; it only has to implement
these three methods.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app


class EvidenceStorage(Protocol):
    def save(self, source_path: Path) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under EVIDENCE_DIR (outside the web root), named by a random key, never by the user."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def incoming_dir(self) -> Path:
        path = self.root / "incoming"
        path.mkdir(exist_ok=True)
        return path

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def save(self, source_path: Path) -> str:
        key = secrets.token_hex(24)
        target = self._path(key)
        target.parent.mkdir(exist_ok=True)
        os.replace(source_path, target)
        return key

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def storage() -> LocalStorage:
    return LocalStorage(current_app.config["EVIDENCE_DIR"])
