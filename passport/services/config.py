"""Where the passport edge reads its settings: the platform's host and the signing key file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from flask import current_app

from passport import ids

KEY_FILE = "passport_ed25519.pem"


def base_url() -> str:
    """The platform's public address (``PUBLIC_BASE_URL``), without a trailing slash."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def host() -> str:
    """The host lot URIs carry (``127.0.0.1:5000``, ``huanlian.example.cn``)."""
    return urlsplit(base_url()).netloc


def scheme() -> Literal["https", "http"]:
    return "http" if base_url().startswith("http://") else "https"


def lot_uri(lot: str) -> str:
    """The lot's URI, which its QR code carries and every event names it by."""
    return ids.lot_uri(host(), lot, scheme=scheme())


def key_path() -> Path:
    """The Ed25519 signing key: in the instance folder, outside the database (``PASSPORT_KEY_FILE``
    overrides)."""
    configured = current_app.config.get("PASSPORT_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / KEY_FILE
