"""Which evidence store the running app uses (a folder under the instance path by default)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from core.storage import LocalFolderStore


def evidence_store() -> LocalFolderStore:
    """The configured store: `EVIDENCE_DIR`, else `instance/evidence`."""
    root = current_app.config.get("EVIDENCE_DIR") or Path(current_app.instance_path) / "evidence"
    return LocalFolderStore(Path(root))
