"""Backups of everything the platform cannot rebuild: the database, the evidence store and the
passport signing key, into one directory, and the restore into a fresh installation.

- PostgreSQL: `pg_dump --format=custom` (consistent snapshot while the app runs), restored with
  `pg_restore` into an empty database; the passport tables' append-only triggers come back
  after their rows, as pg_dump orders them.
- SQLite: the online backup API (`sqlite3.Connection.backup`), never a copy of a file that may be
  mid-write.
- Evidence: content-addressed files, copied as they are; the restore re-hashes every file and
  refuses one whose bytes do not match its name.
- The Ed25519 passport signing key (instance folder, outside the database): without it a
  restored platform could no longer sign checkpoints that extend the published ones. The backup
  directory therefore holds a secret; it is written mode 0700.

`manifest.json` records what was written and the schema revision, so a restore into an app of a
different schema is refused rather than half-applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from core.db import db
from core.errors import Conflict, Invalid
from core.time import utcnow
from marketplace.lots.store import evidence_store
from passport.services.config import key_path

MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class BackupSummary:
    """What a backup or a restore handled."""

    backend: str
    revision: str | None
    evidence_files: int
    signing_key: bool


def _libpq_url(url: sa.engine.URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _revision() -> str | None:
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise Invalid("内存数据库无法备份", {"DATABASE_URL": "a file database is needed"})
    return Path(url.database)


def create(target: Path) -> BackupSummary:
    """Write a backup of the running installation into `target` (new or empty)."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise Conflict("备份目录不为空：%(dir)s", {"dir": "must be new or empty"}, dir=str(target))
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target, 0o700)  # it holds the signing key
    url = db.engine.url
    backend = url.get_backend_name()
    if backend == "postgresql":
        subprocess.run(
            ["pg_dump", "--format=custom", "--no-owner", "--file", str(target / "database.dump"),
             "--dbname", _libpq_url(url)],
            check=True, capture_output=True, timeout=3600,
        )  # fmt: skip
    elif backend == "sqlite":
        db.session.remove()
        with (
            sqlite3.connect(_sqlite_path(url)) as src,
            sqlite3.connect(target / "database.sqlite3") as dst,
        ):
            src.backup(dst)
        dst.close()
        src.close()
    else:
        raise Invalid(
            "不支持备份该数据库：%(backend)s", {"DATABASE_URL": "unsupported"}, backend=backend
        )

    store_root = evidence_store().root
    files = _copy_evidence(store_root, target / "evidence") if store_root.exists() else []
    key = key_path()
    if key.exists():
        shutil.copy2(key, target / "passport_signing_key.pem")
        os.chmod(target / "passport_signing_key.pem", 0o600)
    summary = BackupSummary(backend, _revision(), len(files), key.exists())
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        **summary.__dict__,
        "evidence": sorted(files),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return summary


def _copy_evidence(root: Path, dest: Path) -> list[str]:
    names = []
    for path in root.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            out = dest / path.relative_to(root)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out)
            names.append(path.name)
    return names


def _empty_database() -> bool:
    with db.engine.connect() as conn:
        return not sa.inspect(conn).get_table_names()


def restore(source: Path) -> BackupSummary:
    """Restore a backup into this installation's (empty) database, evidence store and key."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as err:
        raise Invalid(
            "不是有效的备份目录：%(dir)s", {"dir": "no manifest.json"}, dir=str(source)
        ) from err
    if manifest.get("format") != FORMAT:
        raise Invalid("备份格式不受支持", {"format": f"expected {FORMAT}"})
    url = db.engine.url
    backend = url.get_backend_name()
    if backend != manifest["backend"]:
        raise Invalid(
            "备份来自 %(source)s，当前数据库为 %(target)s",
            {"DATABASE_URL": f"needs a {manifest['backend']} database"},
            source=manifest["backend"], target=backend,
        )  # fmt: skip
    if not _empty_database():
        raise Conflict(
            "目标数据库不是空的，拒绝覆盖", {"DATABASE_URL": "must be a fresh, empty database"}
        )
    key_file = key_path()
    backup_key = source / "passport_signing_key.pem"
    if (
        backup_key.exists()
        and key_file.exists()
        and key_file.read_bytes() != backup_key.read_bytes()
    ):
        raise Conflict("实例目录已有不同的护照签名密钥，拒绝覆盖", {"key": str(key_file)})
    _check_evidence(source / "evidence", manifest.get("evidence", []))

    db.session.remove()
    if backend == "postgresql":
        db.engine.dispose()
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
             "--dbname", _libpq_url(url), str(source / "database.dump")],
            check=True, capture_output=True, timeout=3600,
        )  # fmt: skip
    else:
        db.engine.dispose()
        with (
            sqlite3.connect(source / "database.sqlite3") as src,
            sqlite3.connect(_sqlite_path(url)) as dst,
        ):
            src.backup(dst)
        dst.close()
        src.close()

    if (source / "evidence").exists():
        store = evidence_store()
        for path in (source / "evidence").rglob("*"):
            if path.is_file():
                store.put(path.read_bytes())  # re-hashed, atomic, read-only, as an upload
    if backup_key.exists() and not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(backup_key, key_file)
        os.chmod(key_file, 0o600)
    return BackupSummary(
        backend, _revision(), len(manifest.get("evidence", [])), backup_key.exists()
    )


def _check_evidence(folder: Path, expected: list[str]) -> None:
    """Every file the manifest lists is there, and its bytes hash to its name."""
    found = {p.name: p for p in folder.rglob("*") if p.is_file()} if folder.exists() else {}
    missing = sorted(set(expected) - set(found))
    if missing:
        raise Invalid("备份缺少证据文件：%(name)s", {"evidence": "missing"}, name=missing[0])
    for name, path in found.items():
        if hashlib.sha256(path.read_bytes()).hexdigest() != name:
            raise Invalid("证据文件已损坏：%(name)s", {"evidence": "hash mismatch"}, name=name)


def verify_passports() -> tuple[int, list[str]]:
    """Verify every passport with events, as an outsider would; returns (checked, failures)."""
    from passport.models import PassportLot
    from passport.services import proofs

    lots = db.session.scalars(
        sa.select(PassportLot.lot).where(PassportLot.seq > 0).order_by(PassportLot.lot)
    ).all()
    failures = []
    for lot in lots:
        report = proofs.verify_lot(lot)
        if not report.ok:
            failures.append(lot)
    db.session.commit()  # verify_lot may have signed a checkpoint for the newest events
    current_app.logger.info("verified %s passports, %s failed", len(lots), len(failures))
    return len(lots), failures
