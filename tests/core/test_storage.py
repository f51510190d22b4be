"""Content-addressed storage: address = SHA-256, idempotent, immutable, atomic."""

import hashlib
import stat

import pytest

from core.storage import LocalFolderStore


def test_put_get_by_hash(tmp_path) -> None:
    store = LocalFolderStore(tmp_path)
    data = b"\x89PNG fake but bytes are bytes"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert store.exists(digest)
    assert store.put(data) == digest  # idempotent
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1
    assert not stat.S_IMODE(files[0].stat().st_mode) & 0o222  # read-only


def test_unknown_and_malformed_addresses(tmp_path) -> None:
    store = LocalFolderStore(tmp_path)
    with pytest.raises(KeyError):
        store.get("0" * 64)
    with pytest.raises(KeyError):
        store.get("../../etc/passwd")
    assert not store.exists("../../etc/passwd")
