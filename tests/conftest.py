"""Fixtures: one app per database backend, schema built by the real migrations.

Database tests run on SQLite and again on the real PostgreSQL (a fresh database per run,
dropped at the end). PostgreSQL missing means skip — except under CI=true, where it fails, so
a green CI run proves the tests really ran on both.
"""

from __future__ import annotations

import contextvars
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient

from benchmarks.common import shared_dir
from core.db import db
from core.security_audit import wipe as wipe_audit
from marketplace import create_app
from passport.triggers import wipe as wipe_passport

IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SHARED = shared_dir()


def unavailable(what: str, why: object) -> None:
    """Skip a test whose real service is missing, or fail it under CI."""
    message = f"{what} unreachable: {why}"
    if IN_CI:
        pytest.fail(message + " (CI=true: real services are required)")
    pytest.skip(message)


def _create_pg_database() -> str:
    name = f"huanlian_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, as in production.

    Tests hold an app context for direct database work; Flask would otherwise reuse it for
    every request, sharing `g` and the database session between the test and the views and
    hiding a view that forgets to commit.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            _cv_app.set(None)  # type: ignore[arg-type]
            return super(IsolatedClient, self).open(*args, **kwargs)

        return contextvars.copy_context().run(run)


def make_app(url: str, instance: Path, **overrides: Any) -> Flask:
    """An app for tests: CSRF on (the real behaviour), fast but real password hashing."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "SCHEDULER_IN_PROCESS": False,  # tests run scheduled jobs directly, or start a ticker
    }
    config.update(overrides)
    app = create_app(config)
    app.instance_path = str(instance)
    app.test_client_class = IsolatedClient
    return app


def upgrade(app: Flask) -> None:
    """Build the schema with the real migration history (`flask db upgrade`)."""
    from flask_migrate import upgrade as alembic_upgrade

    with app.app_context():
        alembic_upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each backend for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
        upgrade(make_app(url, tmp_path_factory.mktemp("instance")))
        yield url
        return
    try:
        url = _create_pg_database()
    except Exception as exc:
        unavailable("PostgreSQL", exc)
    try:
        upgrade(make_app(url, tmp_path_factory.mktemp("instance")))
        yield url
    finally:
        _drop_pg_database(url)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The platform bound to a clean database; every row is deleted after the test."""
    app = make_app(database_url, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as conn:
            empty_database(conn)
        db.engine.dispose()


def empty_database(conn: sa.Connection) -> None:
    """Delete every row; the append-only tables refuse DELETE without their switch."""
    wipe_passport(conn)
    wipe_audit(conn)
    for table in reversed(db.metadata.sorted_tables):
        conn.execute(table.delete())


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def catalogue(app: Flask) -> None:
    """Emission factors and the material catalogue."""
    from marketplace.seed.services import seed_reference_data

    seed_reference_data()
    db.session.commit()


@pytest.fixture
def demo(app: Flask) -> None:
    """The whole demo cluster with one user per role."""
    from marketplace.seed.services import seed_demo

    seed_demo()
    db.session.commit()
