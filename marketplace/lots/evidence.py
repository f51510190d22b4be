"""Evidence uploads: type decided by content (magic bytes, then decoding), size limits, storage.

A file named `report.pdf` that is really an executable is refused; a JPEG that does not decode
is refused. The accepted bytes go to the content-addressed store and a row records the metadata.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from core.errors import Invalid
from core.storage import BlobStore
from marketplace.lots.models import EvidenceKind

MB = 1024 * 1024
IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
DOCUMENTS = IMAGES | {"application/pdf"}


@dataclass(frozen=True)
class Limit:
    max_bytes: int
    types: frozenset[str]


LIMITS = {
    EvidenceKind.PHOTO: Limit(10 * MB, IMAGES),
    EvidenceKind.LAB_REPORT: Limit(20 * MB, DOCUMENTS),
    EvidenceKind.COMPLIANCE: Limit(20 * MB, DOCUMENTS),
}
_PIL_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def sniff(data: bytes) -> str | None:
    """The real content type of `data`, or None when it is none we accept."""
    if data.startswith(b"%PDF-"):
        return "application/pdf" if b"%%EOF" in data[-2048:] else None
    if (
        data[:3] == b"\xff\xd8\xff"
        or data[:8] == b"\x89PNG\r\n\x1a\n"
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    ):
        try:
            with Image.open(io.BytesIO(data)) as img:
                kind = _PIL_TYPES.get(img.format or "")
                img.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return None
        return kind
    return None


def check_upload(kind: EvidenceKind, data: bytes) -> str:
    """Return the content type of an acceptable upload; raise Invalid naming `file` otherwise."""
    limit = LIMITS[kind]
    if not data:
        raise Invalid("文件为空", {"file": "empty"})
    if len(data) > limit.max_bytes:
        raise Invalid("文件过大（上限 %(mb)d MB）", {"file": "too large"}, mb=limit.max_bytes // MB)
    content_type = sniff(data)
    if content_type not in limit.types:
        raise Invalid(
            "文件内容不是允许的类型（%(types)s）",
            {"file": "content type not allowed"},
            types=", ".join(sorted(limit.types)),
        )
    return content_type


def store(blobs: BlobStore, kind: EvidenceKind, data: bytes) -> tuple[str, str]:
    """Check and store; returns (sha256, content type)."""
    content_type = check_upload(kind, data)
    return blobs.put(data), content_type
