"""API of the monthly reports (月度填报): an organisation's own figures, read and filed."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from core.db import db
from core.enums import Role
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.dashboard import reports

blp = Blueprint(
    "dashboard_reports",
    __name__,
    url_prefix="/api/v1/dashboard",
    description="看板：企业月度填报（工业增加值、原生/再生料投入、处理能力、往年贮存利用）",
)
FILERS = [Role.MANAGER, Role.OPERATOR]


@blp.route("/reports", methods=["GET"])
@access(kinds=reports.REPORTERS)
@blp.response(200, reports.ReportOutSchema(many=True))
def list_reports() -> Any:
    """My organisation's monthly reports, the newest month first (24 months)."""
    return [reports.as_dict(r) for r in reports.of(require_actor().org_id)]


@blp.route("/reports", methods=["POST"])
@access(kinds=reports.REPORTERS, roles=FILERS)
@blp.arguments(reports.ReportSchema)
@blp.response(200, reports.ReportOutSchema)
@blp.alt_response(201, schema=reports.ReportOutSchema, description="the month's first report")
def save_report(data: dict[str, Any]) -> Any:
    """File or correct one month: only my organisation's kind of fields (a factory: value added
    and prior stock utilised; a buyer plant: value added, virgin and recycled input; a station:
    capacity). A field left out stays as it was; `null` clears it."""
    report, created = reports.save(require_actor(), data, now=utcnow())
    db.session.commit()
    return reports.as_dict(report), 201 if created else 200
