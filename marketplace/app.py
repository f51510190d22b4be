"""The application factory: a short table of contents of how the platform is assembled."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.routing import IntegerConverter

from core.db import db, migrate
from marketplace import access, config, i18n, passports, security, stations
from marketplace.errors import register_error_handlers
from marketplace.extensions import babel, csrf, init_api, login_manager
from marketplace.schema import refuse_nul_in_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: config → extensions → blueprints → CLI → error handlers."""
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    configure(app, overrides or {})
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    register_error_handlers(app)
    register_request_hooks(app)
    security.install(app)
    return app


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` limited to the database's 32-bit ids: a longer number is a 404, not an overflow."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def configure(app: Flask, overrides: dict[str, Any]) -> None:
    """Defaults, then the environment, then FLASK_* variables, then explicit overrides."""
    app.config.update(config.DEFAULTS)
    app.config.update(config.from_env(Path(app.instance_path)))
    app.config.from_prefixed_env()
    app.config.update(overrides)
    if app.config.get("PRODUCTION"):
        config.check_production(app.config)
    app.url_map.converters["int"] = BoundedIntConverter


def register_extensions(app: Flask) -> None:
    from marketplace.auth.loaders import install_loaders
    from marketplace.jobs.runner import init_jobs, init_ticker

    import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    login_manager.init_app(app)
    install_loaders(login_manager)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: "UTC")
    init_api(app)
    init_jobs(app)
    init_ticker(app)
    stations.plug_in()
    passports.plug_in()
    i18n.init_app(app)


MODEL_MODULES = (
    "core.models",
    "core.catalogue",
    "core.jobs",
    "core.security_models",
    "marketplace.fleet.models",
    "marketplace.profiles.models",
    "marketplace.lots.models",
    "marketplace.trading.models",
    "marketplace.tenders.models",
    "marketplace.notify.models",
    "marketplace.dispatch.models",
    "marketplace.recommend.models",
    "marketplace.dashboard.models",
    "station.models",
    "passport.models",
)


def import_models() -> None:
    """Import every package's models so metadata (and Alembic) sees all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def register_blueprints(app: Flask) -> None:
    from marketplace.auth import api as auth_api
    from marketplace.auth import views as auth_views
    from marketplace.catalogue import api as catalogue_api
    from marketplace.dashboard import api as dashboard_api
    from marketplace.dashboard import ledger_api as dashboard_data_api
    from marketplace.dashboard import reports_api as dashboard_reports_api
    from marketplace.dashboard import views as dashboard_views
    from marketplace.dispatch import api as dispatch_api
    from marketplace.dispatch import views as dispatch_views
    from marketplace.docs import views as docs_views
    from marketplace.home import views as home_views
    from marketplace.jobs import api as jobs_api
    from marketplace.lots import api as lots_api
    from marketplace.lots import views as lots_views
    from marketplace.lots import wanted_api
    from marketplace.notify import api as notify_api
    from marketplace.notify import views as notify_views
    from marketplace.notify import webhook_views, webhooks_api
    from marketplace.orgs import api as orgs_api
    from marketplace.orgs import views as orgs_views
    from marketplace.recommend import api as recommend_api
    from marketplace.recommend import views as recommend_views
    from marketplace.tenders import api as tenders_api
    from marketplace.tenders import views as tenders_views
    from marketplace.trading import api as trading_api
    from marketplace.trading import trade_views, trades_api
    from marketplace.trading import views as trading_views
    from passport import epcis_api
    from passport import views as passport_views
    from station import api as station_api
    from station import report_views as station_report_views
    from station import views as station_views

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(home_views.bp)
    app.register_blueprint(docs_views.bp)
    app.register_blueprint(lots_views.bp)
    app.register_blueprint(orgs_views.bp)
    app.register_blueprint(trading_views.bp)
    app.register_blueprint(trade_views.bp)
    app.register_blueprint(tenders_views.bp)
    app.register_blueprint(notify_views.bp)
    app.register_blueprint(webhook_views.bp)
    app.register_blueprint(station_views.bp)
    app.register_blueprint(station_report_views.bp)
    app.register_blueprint(epcis_api.bp)
    app.register_blueprint(passport_views.bp)
    app.register_blueprint(dispatch_views.bp)
    app.register_blueprint(recommend_views.bp)
    app.register_blueprint(dashboard_views.bp)
    api = app.extensions["smorest_api"]
    for blp in (
        auth_api.blp,
        orgs_api.blp,
        catalogue_api.blp,
        jobs_api.blp,
        lots_api.blp,
        wanted_api.blp,
        trading_api.blp,
        trades_api.blp,
        tenders_api.blp,
        station_api.blp,
        notify_api.blp,
        webhooks_api.blp,
        dispatch_api.blp,
        recommend_api.blp,
        dashboard_api.blp,
        dashboard_data_api.blp,
        dashboard_reports_api.blp,
    ):
        api.register_blueprint(blp)


def register_cli(app: Flask) -> None:
    from marketplace.dashboard.cli import dashboard_cli
    from marketplace.dispatch.cli import dispatch_cli
    from marketplace.notify.cli import notify_cli
    from marketplace.ops.cli import backup_cli
    from marketplace.orgs.cli import users_cli
    from marketplace.recommend.cli import recommend_cli
    from marketplace.seed.cli import seed_cli
    from marketplace.trading.cli import trading_cli
    from passport.cli import passport_cli
    from station.cli import station_cli

    app.cli.add_command(seed_cli)
    app.cli.add_command(dispatch_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(trading_cli)
    app.cli.add_command(notify_cli)
    app.cli.add_command(station_cli)
    app.cli.add_command(passport_cli)
    app.cli.add_command(recommend_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(dashboard_cli)


def register_request_hooks(app: Flask) -> None:
    from marketplace.auth.loaders import is_bearer_request

    @app.before_request
    def check_csrf_and_access() -> Any:
        refuse_nul_in_url(request.path, request.args.to_dict(flat=False))
        # Bearer-token clients send no cookies, so cross-site forgery cannot ride on them.
        if request.method not in access.SAFE_METHODS and not is_bearer_request():
            csrf.protect()
        return access.enforce()

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        return {
            "csrf_token": generate_csrf,
            "actor": access.current_actor(),
            "lang": session.get("lang"),
        }
