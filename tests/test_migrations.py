"""The migration history builds the whole schema and agrees with the models, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from core.db import db, include_object
from marketplace.app import MIGRATIONS_DIR


def test_single_head(app) -> None:
    config = app.extensions["migrate"].migrate.get_config(str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_migrations(app) -> None:
    """The test database was built by `flask db upgrade`; autogenerate must find nothing to do."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True, "include_object": include_object},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_table_is_in_the_database(app) -> None:
    import sqlalchemy as sa

    names = set(sa.inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= names
    assert "alembic_version" in names


def test_migrate_extension_is_configured(app) -> None:
    assert isinstance(app.extensions["migrate"].migrate, Migrate)


def test_downgrade_to_base_and_up_again(database_url, tmp_path) -> None:
    """Every revision's downgrade works (run on a scratch database of the same backend)."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import _create_pg_database, _drop_pg_database, make_app

    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'cycle.sqlite3'}"
    else:
        url = _create_pg_database()
    try:
        scratch = make_app(url, tmp_path)
        with scratch.app_context():
            upgrade()
            downgrade(revision="base")
            import sqlalchemy as sa

            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            db.engine.dispose()
    finally:
        if not url.startswith("sqlite"):
            _drop_pg_database(url)
