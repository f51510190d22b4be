"""The browsable API documentation, served from vendored Swagger UI (works offline)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from marketplace.access import access

bp = Blueprint("docs", __name__)


@bp.get("/api/v1/docs")
@access(public=True)
def api_docs() -> Any:
    return render_template("docs/api.html")
