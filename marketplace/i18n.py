"""Locale and time-zone presentation: Simplified Chinese first, English second.

Source strings (msgids) are written in Chinese, so the default locale needs no catalogue and a
missing translation can never turn a Chinese page English; `translations/en` carries English.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask, current_app, request, session
from flask_login import current_user

from core.time import to_local


def select_locale() -> str:
    """?lang= wins (and is remembered in the session), then the user's choice, then Chinese."""
    supported = current_app.config["LANGUAGES"]
    asked = request.args.get("lang")
    if asked in supported:
        session["lang"] = asked
        return asked
    if session.get("lang") in supported:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def localized(obj: Any, attr: str = "name") -> str:
    """`obj.name_zh` or `obj.name_en` by the current locale (falls back to Chinese)."""
    from flask_babel import get_locale

    locale = str(get_locale() or "zh")
    if locale.startswith("en"):
        value = getattr(obj, f"{attr}_en", "") or ""
        if value:
            return value
    return getattr(obj, f"{attr}_zh", "") or ""


def localtime(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a stored UTC time (or an ISO 8601 string from a frozen JSON body) in the configured
    zone."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return to_local(value, current_app.config["TIMEZONE"]).strftime(fmt)


def kind_labels() -> list[tuple[str, str]]:
    """Organisation kinds in display order with their names in the current locale."""
    from flask_babel import gettext as _

    return [
        ("producer", _("产废企业")),
        ("recycler", _("回收利用企业")),
        ("logistics", _("物流调度")),
        ("station", _("回收站")),
        ("government", _("政府监管")),
        ("admin", _("平台运营")),
    ]


def loading_labels() -> dict[str, str]:
    """Loading equipment at a site, in the current locale."""
    from flask_babel import gettext as _

    return {"forklift": _("叉车"), "crane": _("吊车"), "manual": _("人工"), "dock": _("装卸平台")}


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["localized"] = localized

    @app.context_processor
    def labels() -> dict[str, Any]:
        from flask_babel import get_locale

        return {
            "kind_labels": kind_labels(),
            "loading_labels": loading_labels(),
            "locale": str(get_locale() or "zh"),
        }
