"""Signed checkpoints (Ed25519): what the log and every lot's head looked like at one time.

A checkpoint body is::

    {"format": "huanlian-checkpoint/1", "origin": "<host>", "tree_size": n,
     "log_root": "<hex>", "heads_root": "<hex>", "heads_count": k,
     "time": "2026-12-01T08:00:00Z"}

and the bytes signed are its RFC 8785 canonical JSON — the same bytes in every language, so a
checkpoint can be re-verified anywhere. A signed checkpoint adds ``key_id`` (SHA-256 hex of the
raw 32-byte public key) and ``signature`` (base64 of the 64-byte Ed25519 signature).

Anyone who keeps a checkpoint can later demand a consistency proof from it to a newer one: a
history rewritten after it was published — even with every hash recomputed and re-signed —
can no longer be proved consistent with it.

The signing key is generated on first run (``load_or_create_private_key``) into a file the
platform keeps outside its database (mode 0600, written atomically); the public key is
published as PEM.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.errors import Invalid
from passport.canonical import canonical, is_hash

FORMAT = "huanlian-checkpoint/1"
TIME_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


def rfc3339(moment: datetime) -> str:
    """UTC RFC 3339 with a ``Z`` and whole seconds unless there are microseconds; naive refused."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware UTC time (core.time.utcnow())")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint (see the module docstring)."""

    origin: str
    tree_size: int
    log_root: str
    heads_root: str
    heads_count: int
    time: str

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "log_root": self.log_root,
            "heads_root": self.heads_root,
            "heads_count": self.heads_count,
            "time": self.time,
        }

    def signed_bytes(self) -> bytes:
        """The exact bytes the signature covers: RFC 8785 JSON of the body."""
        return canonical(self.to_json(), "checkpoint")

    @classmethod
    def from_json(cls, data: object, field: str = "checkpoint") -> Checkpoint:
        """A body from JSON; anything out of shape is `Invalid` naming the field."""
        if not isinstance(data, Mapping):
            raise Invalid("检查点格式错误", {field: "not an object"})
        if data.get("format") != FORMAT:
            raise Invalid("检查点格式错误", {f"{field}.format": f"expected {FORMAT}"})
        extra = set(data) - {"format", *cls.__dataclass_fields__}
        if extra:
            raise Invalid("检查点格式错误", {f"{field}.{sorted(extra)[0]}": "unknown field"})
        for key in ("tree_size", "heads_count"):
            value = data.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise Invalid("检查点格式错误", {f"{field}.{key}": "non-negative integer"})
        for key in ("log_root", "heads_root"):
            if not is_hash(data.get(key)):
                raise Invalid("检查点格式错误", {f"{field}.{key}": "sha-256 hex"})
        if not isinstance(data.get("origin"), str) or not data["origin"]:
            raise Invalid("检查点格式错误", {f"{field}.origin": "required"})
        if not isinstance(data.get("time"), str) or not TIME_PATTERN.fullmatch(data["time"]):
            raise Invalid("检查点格式错误", {f"{field}.time": "RFC 3339 UTC"})
        return cls(
            data["origin"],
            data["tree_size"],
            data["log_root"],
            data["heads_root"],
            data["heads_count"],
            data["time"],
        )


def make_checkpoint(
    origin: str,
    tree_size: int,
    log_root: bytes,
    heads_root: bytes,
    heads_count: int,
    at: datetime,
) -> Checkpoint:
    """A checkpoint body from the log's and the heads tree's current state."""
    return Checkpoint(origin, tree_size, log_root.hex(), heads_root.hex(), heads_count, rfc3339(at))


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 hex of the raw 32-byte public key: how a checkpoint names its key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def sign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed checkpoint: ``{"body", "key_id", "signature"}`` (signature in base64)."""
    signature = private_key.sign(checkpoint.signed_bytes())
    return {
        "body": checkpoint.to_json(),
        "key_id": key_id(private_key.public_key()),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def verify(signed: object, public_key: Ed25519PublicKey, field: str = "checkpoint") -> Checkpoint:
    """The body of a correctly signed checkpoint; `Invalid` naming the field otherwise."""
    if not isinstance(signed, Mapping) or set(signed) != {"body", "key_id", "signature"}:
        raise Invalid("检查点格式错误", {field: "expected body, key_id, signature"})
    body = Checkpoint.from_json(signed["body"], f"{field}.body")
    if signed["key_id"] != key_id(public_key):
        raise Invalid("检查点不是用这把公钥签名的", {f"{field}.key_id": "another key"})
    try:
        signature = base64.b64decode(str(signed["signature"]), validate=True)
        public_key.verify(signature, body.signed_bytes())
    except (InvalidSignature, binascii.Error, ValueError) as error:
        raise Invalid("检查点签名无效", {f"{field}.signature": "invalid"}) from error
    return body


# --- keys -----------------------------------------------------------------------------------


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with `password` when one is given."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key(pem: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM; anything else is `Invalid`."""
    try:
        key = serialization.load_pem_private_key(pem, password)
    except (ValueError, TypeError) as error:
        raise Invalid("签名私钥无法读取", {"private_key": "unreadable"}) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise Invalid("签名私钥不是 Ed25519 密钥", {"private_key": "not Ed25519"})
    return key


def public_key_to_pem(key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM: what the platform publishes and bundles carry."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: str | bytes, field: str = "public_key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; anything else is `Invalid` naming `field`."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as error:
        raise Invalid("公钥无法读取", {field: "unreadable"}) from error
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid("公钥不是 Ed25519 密钥", {field: "not Ed25519"})
    return key


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The key in `path`, generated there on first use (mode 0600, written atomically).

    Two processes starting at once cannot both create it: the file is created with O_EXCL
    under a temporary name and linked into place; the loser reads the winner's key.
    """
    if path.exists():
        return load_private_key(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_private_key()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_key_to_pem(key))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return load_private_key(path.read_bytes())
    finally:
        temporary.unlink(missing_ok=True)
    return key
