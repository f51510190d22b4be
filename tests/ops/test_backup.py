"""`flask backup create` then `flask backup restore` into a fresh database and a fresh instance
folder: every passport verifies there with the published key, the evidence is back byte for
byte, and a damaged backup or a non-empty target is refused before anything is written."""

# ruff: noqa: F811 (the `edge` fixture imported below is a parameter of the tests)
from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from core.db import db
from marketplace.lots.store import evidence_store
from passport.models import PassportLot
from passport.services import proofs
from tests.conftest import _create_pg_database, _drop_pg_database, make_app
from tests.passport.fixture import HOST
from tests.passport.test_store import WORLD, edge, replay_world  # noqa: F401 (fixture)

PHOTO = b"\x89PNG evidence of a bale"


@pytest.fixture
def fresh_url(app, tmp_path):
    """An empty database of the same backend as `app`, not migrated: the restore fills it."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    url = _create_pg_database()
    yield url
    _drop_pg_database(url)


def test_backup_restores_into_a_fresh_database_and_every_passport_verifies(
    edge,
    fresh_url,
    tmp_path,
) -> None:
    replay_world()
    proofs.make_checkpoint()
    db.session.commit()
    digest = evidence_store().put(PHOTO)
    lots = db.session.scalar(sa.select(sa.func.count()).where(PassportLot.seq > 0))
    assert lots >= 4

    made = edge.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "bk")])
    assert made.exit_code == 0, made.output
    assert "1 evidence files, signing key included" in made.output
    assert stat.S_IMODE(os.stat(tmp_path / "bk").st_mode) == 0o700
    db.session.remove()

    instance = tmp_path / "new-instance"
    instance.mkdir()
    target = make_app(fresh_url, instance, PUBLIC_BASE_URL=f"https://{HOST}")
    with target.app_context():
        done = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "bk")])
        assert done.exit_code == 0, done.output
        assert f"{lots} of {lots} passports verify" in done.output
        assert evidence_store().get(digest) == PHOTO
        assert (instance / "passport_ed25519.pem").exists()
        for lot in WORLD.ledger.heads():
            assert proofs.verify_lot(lot).ok

        again = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "bk")])
        assert again.exit_code != 0
        assert "目标数据库不是空的" in again.output  # never restored over live data
        db.session.remove()
        db.engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_is_written(
    edge,
    fresh_url,
    tmp_path,
) -> None:
    digest = evidence_store().put(PHOTO)
    assert (
        edge.test_cli_runner().invoke(args=["backup", "create", str(tmp_path / "bk")]).exit_code
        == 0
    )
    db.session.remove()
    damaged = next((tmp_path / "bk" / "evidence").rglob(digest))
    os.chmod(damaged, 0o644)
    damaged.write_bytes(b"not the photo")

    target = make_app(fresh_url, tmp_path / "other", PUBLIC_BASE_URL=f"https://{HOST}")
    (tmp_path / "other").mkdir()
    with target.app_context():
        done = target.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "bk")])
        assert done.exit_code != 0
        assert "证据文件已损坏" in done.output
        with db.engine.connect() as conn:
            assert not sa.inspect(conn).get_table_names()  # nothing restored
        db.engine.dispose()
