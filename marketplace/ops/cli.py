"""`flask backup …`: back up and restore the database, evidence store and passport signing key.

flask backup create /srv/backups/huanlian-2026-12-02    # a new or empty directory
flask backup restore /srv/backups/huanlian-2026-12-02   # into an empty database (DATABASE_URL)
flask backup verify-passports                           # exit status 1 when any passport fails
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
from flask.cli import AppGroup

from core.errors import DomainError
from marketplace.ops import backup

backup_cli = AppGroup("backup", help="备份与恢复 / Backup and restore.")


def _run(step, directory: Path) -> backup.BackupSummary:
    try:
        return step(directory)
    except DomainError as error:
        raise click.ClickException(error.message % error.params) from error
    except subprocess.CalledProcessError as error:
        raise click.ClickException(error.stderr.decode(errors="replace").strip()) from error


@backup_cli.command("create")
@click.argument("directory", type=click.Path(path_type=Path))
def create(directory: Path) -> None:
    """Write a backup into DIRECTORY."""
    s = _run(backup.create, directory)
    click.echo(
        f"backup of {s.backend} (revision {s.revision}), {s.evidence_files} evidence files,"
        f" signing key {'included' if s.signing_key else 'absent'} → {directory}"
    )


@backup_cli.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore(directory: Path) -> None:
    """Restore DIRECTORY into this installation's empty database, then verify every passport."""
    s = _run(backup.restore, directory)
    click.echo(f"restored {s.backend} (revision {s.revision}), {s.evidence_files} evidence files")
    _verify()


@backup_cli.command("verify-passports")
def verify_passports() -> None:
    """Verify every passport in the database (after a restore, or any time)."""
    _verify()


def _verify() -> None:
    checked, failures = backup.verify_passports()
    for lot in failures:
        click.echo(f"✗ {lot}")
    click.echo(f"{checked - len(failures)} of {checked} passports verify")
    if failures:
        raise SystemExit(1)
