"""Dashboard API: the 23 indicators for a period and scope with the previous period beside them,
the records behind each figure (paged, CSV, XLSX) and a trend by month or week. Read-only.

Government and admin read the whole cluster and any part of it; every other member reads its own
organisation only (`scope=org`, its own id; anything else is 403).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext
from flask_smorest import Blueprint

from core.auth import Actor
from core.errors import DomainError, Forbidden, NotFound
from core.i18n import N_
from core.time import to_local, utcnow
from marketplace.access import access, require_actor
from marketplace.dashboard import drill, indicators, schemas, sources, span
from marketplace.dashboard.indicators import KEYS, LABELS, Figure
from marketplace.dashboard.records import FIRST_DAY, LAST_DAY, Period
from station.reports import Column, to_csv, to_xlsx

blp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1", description="政府驾驶舱指标")
MAX_DAYS = 400
TRANSLATED_UNITS = (N_("t/万元"), N_("批次/趟"))
PARAMS = [
    {"in": "query", "name": "from", "schema": {"type": "string", "format": "date"}},
    {"in": "query", "name": "to", "schema": {"type": "string", "format": "date"}},
    {"in": "query", "name": "scope", "schema": {"type": "string", "enum": list(sources.SCOPES)}},
    {"in": "query", "name": "id", "schema": {"type": "string"}},
]


def _date(name: str, default: date) -> date:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        day = date.fromisoformat(raw) if len(raw) == 10 else _fail(name)
    except ValueError:
        return _fail(name)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise DomainError("日期超出范围：%(field)s", {name: f"{FIRST_DAY}..{LAST_DAY}"}, field=name)
    return day


def _fail(name: str) -> date:
    raise DomainError("日期格式应为 YYYY-MM-DD：%(field)s", {name: "not a date"}, field=name)


def period_arg() -> Period:
    """`from`/`to` (default: the last 30 days to today, local), at most 400 days, from ≤ to."""
    today = to_local(utcnow()).date()
    end = _date("to", today)
    start = _date("from", end - timedelta(days=29))
    if start > end:
        raise DomainError("开始日期晚于结束日期", {"from": "after to"})
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError("统计区间最长 400 天", {"to": "period longer than 400 days"})
    return Period(start, end)


def can_see_cluster(actor: Actor) -> bool:
    return actor.is_government or actor.is_admin


def scope_arg(actor: Actor) -> sources.Scope:
    """The scope asked for, checked against who asks."""
    wide = can_see_cluster(actor)
    kind = request.args.get("scope") or ("cluster" if wide else "org")
    if kind not in sources.SCOPES:
        raise DomainError("未知的统计范围：%(field)s", {"scope": "unknown scope"}, field="scope")
    ident = request.args.get("id") or None
    if kind == "org" and ident is None:
        ident = str(actor.org_id)
    if not wide and (kind != "org" or ident != str(actor.org_id)):
        raise Forbidden("只能查看本企业的指标")
    if ident is not None and len(ident) > 40:
        raise DomainError("范围编号过长", {"id": "too long"})
    return sources.resolve_scope(kind, ident)


def key_arg(key: str | None) -> str:
    if key not in KEYS:
        raise NotFound("没有该指标：%(key)s", {"key": "unknown indicator"}, key=key)
    return key  # type: ignore[return-value]


def fmt_arg(fmt: str) -> str:
    if fmt not in ("csv", "xlsx"):
        raise NotFound("不支持的导出格式：%(fmt)s", {"fmt": "csv or xlsx"}, fmt=fmt)
    return fmt


def _t(text: str | None) -> str | None:
    return gettext(text) if text else text


def _factor(f: Any) -> dict[str, Any] | None:
    return asdict(f) if f is not None else None


def figure_json(fig: Figure, before: Figure | None, query: dict[str, str]) -> dict[str, Any]:
    """One indicator as the API answers it (labels and reasons in the user's language)."""
    return {
        "key": fig.key,
        "label": gettext(LABELS[fig.key]),
        "value": fig.value,
        "unit": gettext(fig.unit) if fig.unit in TRANSLATED_UNITS else fig.unit,
        "numerator": fig.numerator,
        "denominator": fig.denominator,
        "previous_value": before.value if before else None,
        "change_pct": indicators.change_pct(fig.value, before.value if before else None),
        "basis": _t(fig.basis) or "",
        "no_data": _t(fig.no_data),
        "factor": _factor(fig.factor),
        "factors": [asdict(f) for f in fig.factors],
        "notes": [gettext(n) for n in fig.notes],
        "extra": fig.extra,
        "drilldown_url": url_for("dashboard_api.indicator_records", key=fig.key, **query),
    }


def _query(period: Period, scope: sources.Scope) -> dict[str, str]:
    q = {"from": period.start.isoformat(), "to": period.end.isoformat(), "scope": scope.kind}
    if scope.id is not None:
        q["id"] = scope.id
    return q


def dashboard(actor: Actor) -> dict[str, Any]:
    period, scope = period_arg(), scope_arg(actor)
    prev = sources.previous(period)
    recs_now, recs_prev = span.load_many([period, prev], scope)
    now = indicators.compute(recs_now)
    before = {f.key: f for f in indicators.compute(recs_prev)}
    query = _query(period, scope)
    return {
        "period": {"from": period.start, "to": period.end},
        "previous_period": {"from": prev.start, "to": prev.end},
        "scope": {"kind": scope.kind, "id": scope.id},
        "indicators": [figure_json(f, before.get(f.key), query) for f in now],
    }


@blp.route("/dashboard/indicators", methods=["GET"])
@access()
@blp.doc(parameters=PARAMS)
@blp.response(200, schemas.DashboardSchema)
def indicators_view() -> Any:
    """All 23 indicators for the period and scope, each with the previous period's value."""
    return _json(dashboard(require_actor()))


def _json(body: dict[str, Any]) -> Response:
    from flask import current_app

    return current_app.response_class(
        current_app.json.dumps(body, default=_default), mimetype="application/json"
    )


def _default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return str(o)
    if isinstance(o, date):
        return o.isoformat()
    raise TypeError(type(o).__name__)


FIGURE_COLUMNS = [
    Column("label", N_("指标")),
    Column("value", N_("数值")),
    Column("unit", N_("单位")),
    Column("previous_value", N_("上期数值")),
    Column("change_pct", N_("环比(%)")),
    Column("basis", N_("口径")),
    Column("no_data", N_("无数据原因")),
    Column("against_index_pct", N_("对价格指数(%)")),
    Column("factor_key", N_("排放因子")),
    Column("factor_value", N_("因子数值")),
    Column("factor_version", N_("因子版本")),
    Column("factor_source", N_("因子来源")),
]


def _file(data: bytes, name: str, fmt: str) -> Response:
    mime = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return Response(
        data, mimetype=mime, headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"}
    )


def _figure_rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for i in body["indicators"]:
        f = i["factor"] or {}
        out.append(
            {
                **i,
                "factor_key": f.get("key"),
                "factor_value": f.get("value"),
                "factor_version": f.get("version"),
                "factor_source": f.get("source"),
                "against_index_pct": i["extra"].get("against_index_pct"),
            }
        )
    return out


@blp.route("/dashboard/indicators.<fmt>", methods=["GET"])
@access()
@blp.doc(parameters=PARAMS)
def indicators_file(fmt: str) -> Any:
    """The indicators table as CSV or XLSX, each CO2 figure with its factor and edition."""
    fmt_arg(fmt)
    body = dashboard(require_actor())
    rows = _figure_rows(body)
    if fmt == "csv":
        return _file(to_csv(rows, FIGURE_COLUMNS, translate=gettext), "indicators", fmt)
    data = to_xlsx(rows, FIGURE_COLUMNS, gettext("指标"), translate=gettext)
    return _file(data, "indicators", fmt)


def _records(key: str) -> tuple[str, list[Column], list[dict[str, Any]], int, int, int]:
    actor = require_actor()
    period, scope = period_arg(), scope_arg(actor)
    recs = span.load_many([period], scope, sources.needs([key]))[0]  # sums: which records
    fig = indicators.FORMULAS[key](recs)
    page = _page("page", 1, 100_000)
    per_page = _page("per_page", 50, 500)
    kind = fig.records.kind
    if kind == "weighings":
        items, total = drill.weighing_rows(recs, fig.records, scope, page, per_page)
    elif kind in ("trades", "lots"):
        items, total = drill.market_rows(period, scope, fig.records, page, per_page)
    else:
        everything = drill.rows(recs, fig.records)
        total = len(everything)
        items = [drill.as_row(x) for x in everything[(page - 1) * per_page : page * per_page]]
    return kind, drill.COLUMNS[kind], items, page, per_page, total


def _page(name: str, default: int, top: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise DomainError(
            "%(field)s 应为 1 到 %(top)s 的整数", {name: "out of range"}, field=name, top=top
        )
    return int(raw)


@blp.route("/dashboard/indicators/<key>/records", methods=["GET"])
@access()
@blp.doc(parameters=PARAMS)
@blp.response(200, schemas.RecordsPageSchema)
def indicator_records(key: str) -> Any:
    """The records behind one figure, a page at a time (`page`, `per_page` ≤ 500)."""
    key = key_arg(key)
    kind, _, items, page, per_page, total = _records(key)
    return _json(
        {
            "key": key,
            "kind": kind,
            "items": items,
            "page": page,
            "per_page": per_page,
            "total": total,
            "pages": math.ceil(total / per_page) if total else 0,
        }
    )


@blp.route("/dashboard/indicators/<key>/records.<fmt>", methods=["GET"])
@access()
@blp.doc(parameters=PARAMS)
def indicator_records_file(key: str, fmt: str) -> Any:
    """The records behind one figure as CSV or XLSX (the page asked for, up to 500 rows)."""
    key, fmt = key_arg(key), fmt_arg(fmt)
    _, columns, items, *_ = _records(key)
    if fmt == "csv":
        return _file(to_csv(items, columns, translate=gettext), key, fmt)
    return _file(to_xlsx(items, columns, key, translate=gettext), key, fmt)


def buckets(period: Period, bucket: str) -> list[Period]:
    """Calendar months or ISO weeks covering the period, clipped to it."""
    out, start = [], period.start
    while start <= period.end:
        if bucket == "month":
            nxt = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            nxt = start + timedelta(days=7 - start.weekday())
        end = min(nxt - timedelta(days=1), period.end)
        out.append(Period(start, end))
        start = end + timedelta(days=1)
    return out


@blp.route("/dashboard/trend", methods=["GET"])
@access()
@blp.doc(
    parameters=[
        *PARAMS,
        {"in": "query", "name": "key", "schema": {"type": "string", "enum": list(KEYS)}},
        {"in": "query", "name": "bucket", "schema": {"type": "string", "enum": ["month", "week"]}},
    ]
)
@blp.response(200, schemas.TrendSchema)
def trend() -> Any:
    """One indicator per month or week over the period."""
    actor = require_actor()
    key = request.args.get("key") or ""
    if key not in KEYS:
        raise DomainError("未知的指标：%(field)s", {"key": "unknown indicator"}, field="key")
    bucket = request.args.get("bucket") or "month"
    if bucket not in ("month", "week"):
        raise DomainError("未知的时间粒度：%(field)s", {"bucket": "month or week"}, field="bucket")
    period, scope = period_arg(), scope_arg(actor)
    formula, points, want = indicators.FORMULAS[key], [], sources.needs([key])
    unit = ""
    parts = buckets(period, bucket)
    for b, recs in zip(parts, span.load_many(parts, scope, want), strict=True):
        fig = formula(recs)
        unit = fig.unit
        points.append(
            {"from": b.start, "to": b.end, "value": fig.value, "no_data": _t(fig.no_data)}
        )
    return _json(
        {
            "key": key,
            "label": gettext(LABELS[key]),
            "unit": unit,
            "bucket": bucket,
            "points": points,
        }
    )
