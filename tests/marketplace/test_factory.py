"""The app factory and configuration from the environment."""

import stat

from marketplace import config, create_app


def test_defaults_need_nothing_installed(tmp_path, monkeypatch) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "TIMEZONE", "BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = config.from_env(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'huanlian.sqlite3'}"
    assert settings["TIMEZONE"] == "Asia/Shanghai"
    assert settings["BROKER_URL"] is None


def test_secret_key_is_generated_once_and_private(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.secret_key(tmp_path)
    assert len(first) == 64
    assert config.secret_key(tmp_path) == first
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    other = tmp_path / "other"
    other.mkdir()
    assert config.secret_key(other) != first  # never a shared, hard-coded fallback


def test_secret_key_from_environment_wins(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert config.secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_postgres_urls_use_psycopg3(tmp_path) -> None:
    assert config.database_url("postgresql://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"
    assert config.database_url("postgres://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"
    assert config.database_url("sqlite:///x.db", tmp_path) == "sqlite:///x.db"


def test_environment_and_overrides_reach_the_app(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1/whatever")
    monkeypatch.setenv("TIMEZONE", "Asia/Urumqi")
    monkeypatch.setenv("FLASK_PER_PAGE_MAX", "50")
    monkeypatch.setenv("SECRET_KEY", "k")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["PER_PAGE_MAX"] == 50
    assert app.extensions["celery"] is None  # no broker: jobs run in-process
    app = create_app({"TIMEZONE": "UTC", "SECRET_KEY": "k"})
    assert app.config["TIMEZONE"] == "UTC"


def test_broker_url_creates_celery(monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k")
    app = create_app({"BROKER_URL": "redis://127.0.0.1:6379/15"})
    celery = app.extensions["celery"]
    assert celery is not None
    assert celery.conf.broker_url == "redis://127.0.0.1:6379/15"
    assert "huanlian.run_job" in celery.tasks


def test_wsgi_module_builds_the_app(monkeypatch) -> None:
    import importlib

    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("BROKER_URL", raising=False)
    wsgi = importlib.import_module("wsgi")
    assert wsgi.app.name == "marketplace.app"
    assert wsgi.celery is None


def test_healthz(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
