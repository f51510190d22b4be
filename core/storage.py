"""Content-addressed, immutable file storage behind a small interface.

Evidence (photos, lab reports) is stored under its SHA-256: the hash a passport or a buyer
quotes is the file's address, a second upload of the same bytes stores nothing new, and a file
can never be replaced in place. `LocalFolderStore` is the default; an object store implements
the same three methods later.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class BlobStore(Protocol):
    """Where evidence bytes live."""

    def put(self, data: bytes) -> str:
        """Store `data` (idempotent) and return its SHA-256 hex digest."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`; KeyError when absent."""

    def exists(self, sha256: str) -> bool:
        """Whether `sha256` is stored."""


def _check(sha256: str) -> str:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise KeyError(sha256)
    return sha256


class LocalFolderStore:
    """Files under `root/ab/cd/<sha256>`, written atomically and made read-only."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        sha256 = _check(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)  # atomic: readers see the whole file or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        if not path.exists():
            raise KeyError(sha256)
        return path.read_bytes()

    def exists(self, sha256: str) -> bool:
        try:
            return self._path(sha256).exists()
        except KeyError:
            return False
