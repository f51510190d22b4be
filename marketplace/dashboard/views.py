"""Dashboard pages: the government's read-only cluster picture, an enterprise's own figures,
its yearly ESG-style summary and the statutory ledgers.

Thin: the pages are shells that `static/js/dashboard.js` fills from the APIs (indicators,
trend, flows, anomalies), so the figures a user sees are the figures the API returns. Only
the ledgers and the certificates are rendered here, because they are tables to print.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError, Forbidden, Invalid
from core.i18n import N_
from core.models import Organization
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.dashboard import flows, ledger_api, ledgers, reports
from marketplace.errors import flatten, translated
from marketplace.trading.models import Certificate, Trade

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
OVERSIGHT = [OrgKind.GOVERNMENT, OrgKind.ADMIN]
OWN = [OrgKind.PRODUCER, OrgKind.RECYCLER]


def _families() -> list[Category]:
    """The material families (top of the catalogue) the flow charts can be narrowed to."""
    return list(
        db.session.scalars(
            sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.code)
        )
    )


def _period() -> tuple[date, date]:
    try:
        args = ledger_api.PeriodArgs().load(
            {k: v for k, v in request.args.items() if k in ("from", "to", "org", "family")}
        )
    except ValidationError as exc:
        raise Invalid("参数不正确", {k: "; ".join(v) for k, v in exc.messages.items()}) from exc
    first, last, _ = ledger_api.period_of(args)
    return first, last


@bp.get("")
@access(kinds=OVERSIGHT)
def cluster() -> Any:
    """The whole cluster, read-only: tiles, trends, flows, map, anomalies, network."""
    first, last = _period()
    factories = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind == OrgKind.PRODUCER)
        .order_by(Organization.legal_name)
    ).all()
    return render_template(
        "dashboard/cluster.html",
        first=first,
        last=last,
        scope="cluster",
        factories=factories,
        families=_families(),
    )


@bp.get("/mine")
@access(kinds=OWN)
def mine() -> Any:
    """My organisation's indicators and flows, with my ledgers (factories) to export."""
    first, last = _period()
    actor = require_actor()
    org = db.session.get(Organization, actor.org_id)
    return render_template(
        "dashboard/mine.html",
        first=first,
        last=last,
        scope="organization",
        org=org,
        families=_families(),
    )


@bp.get("/mine/esg")
@access(kinds=OWN)
def esg() -> Any:
    """A printable yearly summary: CO2 avoided with its factor, volumes, certificates."""
    raw = request.args.get("year", "").strip()
    this_year = ledger_api.today().year
    try:
        year = int(raw) if raw else this_year
        if not 2000 <= year <= this_year:
            raise ValueError(raw)
    except ValueError as exc:
        raise Invalid("年份不正确", {"year": f"2000..{this_year}"}) from exc
    actor = require_actor()
    org = db.session.get(Organization, actor.org_id)
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    certs = db.session.scalars(
        sa.select(Certificate)
        .join(Trade, Trade.id == Certificate.trade_id)
        .where(
            sa.or_(Trade.seller_id == org.id, Trade.buyer_id == org.id),
            Certificate.issued_at >= start,
            Certificate.issued_at < end,
        )
        .order_by(Certificate.issued_at)
    ).all()
    return render_template(
        "dashboard/esg.html",
        org=org,
        year=year,
        years=list(range(this_year, this_year - 5, -1)),
        certs=certs,
        first=date(year, 1, 1),
        last=min(date(year, 12, 31), ledger_api.today()),
    )


@bp.get("/ledgers")
@access(kinds=ledger_api.FACTORY_READERS)
def ledger_page() -> Any:
    """The two statutory ledgers of one factory on screen, with CSV and XLSX downloads."""
    first, last = _period()
    actor = require_actor()
    factories: list[Organization] = []
    org_id: int | None = actor.org_id
    if actor.org_kind in ledger_api.OVERSIGHT:
        factories = list(
            db.session.scalars(
                sa.select(Organization)
                .where(Organization.kind == OrgKind.PRODUCER)
                .order_by(Organization.legal_name)
            )
        )
        org_id = request.args.get("org", type=int) or (factories[0].id if factories else None)
    elif request.args.get("org", type=int) not in (None, actor.org_id):
        raise Forbidden("只能查看本企业的台账", {"org": "not your organisation"})
    period = flows.local_period(first, last, current_app.config["TIMEZONE"])
    solid = ledgers.solid_waste(org_id, period) if org_id else None
    manifest = ledgers.manifests(org_id, period) if org_id else None
    return render_template(
        "dashboard/ledgers.html",
        first=first,
        last=last,
        factories=factories,
        org_id=org_id,
        solid=solid,
        manifest=manifest,
        solid_columns=ledgers.SOLID_WASTE_COLUMNS,
        manifest_columns=ledgers.MANIFEST_COLUMNS,
    )


LABELS = {
    "value_added_wan_yuan": N_("工业增加值（万元）"),
    "virgin_input_t": N_("原生料投入（吨）"),
    "recycled_input_t": N_("再生料投入（吨）"),
    "capacity_t": N_("处理能力（吨/月）"),
    "prior_stock_utilised_t": N_("往年贮存本月利用量（吨）"),
}


def _reports_page(
    values: dict[str, Any], errors: dict[str, str], status: int, rows: list[dict[str, Any]]
) -> Any:
    actor = require_actor()
    org = db.session.get(Organization, actor.org_id)
    return (
        render_template(
            "dashboard/reports.html",
            org=org,
            names=reports.BY_KIND[actor.org_kind],
            labels=LABELS,
            rows=rows,
            values=values,
            errors=errors,
            writer=actor.role is not Role.VIEWER,
        ),
        status,
    )


@bp.get("/reports")
@access(kinds=reports.REPORTERS)
def reports_page() -> Any:
    """The monthly figures my organisation files (月度填报), and the months filed; a month
    already filed comes with its figures, to correct."""
    month = request.args.get("month", ledger_api.today().strftime("%Y-%m"))
    rows = _filed()
    shown = next((r for r in rows if r["month"] == month), {})
    values = {k: v for k, v in shown.items() if k in reports.FIELDS and v is not None}
    return _reports_page({**values, "month": month}, {}, 200, rows)


def _filed() -> list[dict[str, Any]]:
    return [reports.as_dict(r) for r in reports.of(require_actor().org_id)]


@bp.post("/reports")
@access(kinds=reports.REPORTERS, roles=[Role.MANAGER, Role.OPERATOR])
def reports_submit() -> Any:
    """File the form's month; empty boxes leave the month's other figures as they were."""
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
    try:
        reports.save(require_actor(), reports.ReportSchema().load(form), now=utcnow())
    except (ValidationError, DomainError) as err:
        db.session.rollback()
        problems = flatten(err.messages) if isinstance(err, ValidationError) else err.fields
        errors = problems or {"_": translated(err)}
        return _reports_page(request.form.to_dict(), errors, 422, _filed())
    db.session.commit()
    flash(gettext("%(month)s 的月度数据已保存。", month=form["month"]))
    return redirect(url_for("dashboard.reports_page", month=form["month"]))
