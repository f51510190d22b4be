"""API of the dashboard pages' own data: material flows (Sankey, map, symbiosis network and
the records behind them) and the statutory ledgers, as JSON, CSV and XLSX.

Who sees what: government and the platform see the whole cluster and any factory; everyone
else sees only flows touching their own organisation, and a factory only its own ledgers (a
request for another's is a 403, audited like every denial). All GET: nothing here writes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, current_app, jsonify
from flask_babel import gettext
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from core.enums import OrgKind
from core.errors import Forbidden, Invalid
from core.i18n import N_
from core.schema import ID, BaseSchema
from core.time import to_local, utcnow
from marketplace.access import access, require_actor
from marketplace.dashboard import anomalies, flowgraph, flows, ledgers
from marketplace.dashboard.records import FIRST_DAY, LAST_DAY
from marketplace.dashboard.schemas import OpenObject
from station import reports as files

blp = Blueprint(
    "dashboard_data",
    __name__,
    url_prefix="/api/v1/dashboard",
    description="看板：物料流向与法定台账",
)
OVERSIGHT = (OrgKind.GOVERNMENT, OrgKind.ADMIN)
FACTORY_READERS = [OrgKind.PRODUCER, *OVERSIGHT]
MAX_DAYS = 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECORD_COLUMNS = [
    files.Column("record", N_("记录号")),
    files.Column("source_kind", N_("来源")),
    files.Column("from_name", N_("移出方")),
    files.Column("to_name", N_("接收方")),
    files.Column("family", N_("物料大类")),
    files.Column("kg", N_("数量（kg）")),
    files.Column("basis", N_("计量依据")),
]
KINDS = {"producer": N_("产废企业"), "station": N_("回收站"), "recycler": N_("利用企业")}
NETWORK_COLUMNS = [
    files.Column("name", N_("企业")),
    files.Column("kind", N_("类型")),
    files.Column("degree", N_("合作方数")),
    files.Column("weighted_degree_t", N_("加权度（吨）")),
    files.Column("betweenness", N_("中介中心性")),
    files.Column("bridge", N_("关键枢纽")),
    files.Column("stranded_t", N_("将被切断（吨）")),
    files.Column("parts", N_("分裂为")),
]
TRANSLATED = (
    "step",
    "basis",
    "storage",
    "category_name",
    "state",
    "packaging",
    "source_kind",
    "kind",
)


DAYS = validate.Range(min=FIRST_DAY, max=LAST_DAY)


class PeriodArgs(BaseSchema):
    """A period of local days (default: the last 30 days to today) and an optional org."""

    first = fields.Date(data_key="from", load_default=None, validate=DAYS)
    last = fields.Date(data_key="to", load_default=None, validate=DAYS)
    org = fields.Int(load_default=None, validate=ID)
    family = fields.Str(load_default=None, validate=validate.Regexp(r"^[A-Z]{2}$"))
    format = fields.Str(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            raise ValidationError("before from", "to")
        if first and last and (last - first).days >= MAX_DAYS:
            raise ValidationError("at most 366 days after from", "to")


def today() -> date:
    """Today in the deployment's zone."""
    return to_local(utcnow(), current_app.config["TIMEZONE"]).date()


def period_of(args: dict[str, Any]) -> tuple[date, date, flows.Period]:
    """The local days asked for and the UTC period they cover."""
    last = args.get("last") or today()
    first = args.get("first") or last - timedelta(days=29)
    if last < first:
        raise Invalid("结束日期不能早于开始日期", {"from": "after to"})
    return first, last, flows.local_period(first, last, current_app.config["TIMEZONE"])


def scope_org(args: dict[str, Any]) -> int | None:
    """The organisation whose flows to show: oversight may pick any (or none: the cluster);
    anyone else always gets their own."""
    actor = require_actor()
    if actor.org_kind in OVERSIGHT:
        return args.get("org")
    if args.get("org") not in (None, actor.org_id):
        raise Forbidden("只能查看本企业的数据", {"org": "not your organisation"})
    return actor.org_id


def _translate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: gettext(v) if k in TRANSLATED and v else v for k, v in r.items()} for r in rows]


def _json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for JSON: times in the deployment's zone as ISO 8601, kilograms as strings."""
    tz = current_app.config["TIMEZONE"]
    return [
        {k: to_local(v, tz).isoformat() if isinstance(v, datetime) else v for k, v in r.items()}
        for r in rows
    ]


def table(fmt: str, rows: list[dict[str, Any]], columns: list[Any], title: str, stem: str) -> Any:
    """Rows as CSV or XLSX (formula-escaped by the station's writer, `core.tabular`)."""
    tz = current_app.config["TIMEZONE"]
    if fmt == "csv":
        body, mimetype = files.to_csv(rows, columns, tz, gettext), "text/csv; charset=utf-8"
    else:
        body, mimetype = files.to_xlsx(rows, columns, title, tz, gettext), XLSX
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{fmt}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.route("/flows", methods=["GET"])
@access()
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, OpenObject)
def material_flows(args: dict[str, Any]) -> Any:
    """Material flows of a period: the Sankey (producers → stations → buyers), the schematic
    map and the symbiosis network with degree, centrality and bridge enterprises."""
    first, last, period = period_of(args)
    found = flows.flows(period, scope_org(args), args["family"])
    named = flows.nodes(found)
    network = flowgraph.network(found, named)
    if args["format"] != "json":  # the network's table: one row per enterprise
        title = gettext("产业共生网络") + f" {first}~{last}"
        rows = [{**n, "kind": KINDS.get(n["kind"], n["kind"])} for n in network["nodes"]]
        rows.sort(key=lambda n: (-n["weighted_degree_t"], n["id"]))
        return table(
            args["format"], _translate(rows), NETWORK_COLUMNS, title, f"network-{first}-{last}"
        )
    return jsonify(
        {
            "period": {"from": first.isoformat(), "to": last.isoformat()},
            "family": args["family"],
            "sankey": flowgraph.sankey(found, named),
            "map": flows.site_map(found, named),
            "network": network,
            "records": len(found),
        }
    )


@blp.route("/flows/records", methods=["GET"])
@access()
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, OpenObject)
def flow_records(args: dict[str, Any]) -> Any:
    """The weighings, loads and trades behind the flow charts (`format=csv|xlsx` to export)."""
    first, last, period = period_of(args)
    found = flows.flows(period, scope_org(args), args["family"])
    if len(found) > flows.MAX_RECORDS:
        raise Invalid("记录过多，请缩小期间或按物料大类筛选", {"from": "too many records"})
    rows = _translate(flows.records(found, flows.nodes(found)))
    if args["format"] != "json":
        title = gettext("物料流向记录") + f" {first}~{last}"
        return table(args["format"], rows, RECORD_COLUMNS, title, f"flows-{first}-{last}")
    return jsonify(
        {"period": {"from": first.isoformat(), "to": last.isoformat()}, "records": _json(rows)}
    )


def _factory_of(args: dict[str, Any]) -> int:
    actor = require_actor()
    if actor.org_kind in OVERSIGHT:
        if args.get("org") is None:
            raise Invalid("请指定企业", {"org": "required"})
        return int(args["org"])
    if args.get("org") not in (None, actor.org_id):
        raise Forbidden("只能导出本企业的台账", {"org": "not your organisation"})
    return actor.org_id


def _ledger(args: dict[str, Any], build: Any, columns: list[Any], name: str, stem: str) -> Any:
    first, last, period = period_of(args)
    ledger = build(_factory_of(args), period)
    rows = _translate(ledger.rows)
    if args["format"] != "json":
        title = f"{gettext(name)} {first}~{last}"
        return table(
            args["format"], rows, columns, title, f"{stem}-{ledger.factory.id}-{first}-{last}"
        )
    header = [{"key": c.key, "label": gettext(c.header)} for c in columns]
    return jsonify(
        {
            "factory": {
                "id": ledger.factory.id,
                "name": ledger.factory.legal_name,
                "uscc": ledger.factory.uscc,
            },
            "period": {"from": first.isoformat(), "to": last.isoformat()},
            "columns": header,
            "rows": _json(rows),
        }
    )


@blp.route("/ledgers/solid-waste", methods=["GET"])
@access(kinds=FACTORY_READERS)
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, OpenObject)
def solid_waste_ledger(args: dict[str, Any]) -> Any:
    """一般工业固体废物管理台账 of one factory (`org`; a factory: its own), JSON, CSV or XLSX."""
    return _ledger(
        args,
        ledgers.solid_waste,
        ledgers.SOLID_WASTE_COLUMNS,
        "一般工业固体废物管理台账",
        "solid-waste",
    )


@blp.route("/ledgers/manifests", methods=["GET"])
@access(kinds=FACTORY_READERS)
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, OpenObject)
def manifest_ledger(args: dict[str, Any]) -> Any:
    """电子转移联单 fields of one factory's hazardous lots traded in the period."""
    return _ledger(
        args, ledgers.manifests, ledgers.MANIFEST_COLUMNS, "危险废物电子转移联单", "manifests"
    )


class AnomalyArgs(BaseSchema):
    first = fields.Date(data_key="from", load_default=None, validate=DAYS)
    last = fields.Date(data_key="to", load_default=None, validate=DAYS)
    format = fields.Str(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


@blp.route("/anomalies", methods=["GET"])
@access(kinds=OVERSIGHT)
@blp.arguments(AnomalyArgs, location="query")
@blp.response(200, OpenObject)
def station_anomalies(args: dict[str, Any]) -> Any:
    """Station anomalies of a period: per station the weighings, anomalies and open alerts,
    and the latest anomalous weighings with links to the process records and passports."""
    first, last, period = period_of(args)
    found = anomalies.summary(period, current_app.config["TIMEZONE"])
    if args["format"] != "json":
        title = gettext("回收站称重异常") + f" {first}~{last}"
        rows = _translate(found["recent"])
        return table(args["format"], rows, anomalies.COLUMNS, title, f"anomalies-{first}-{last}")
    found["recent"] = _json(_translate(found["recent"]))
    return jsonify({"period": {"from": first.isoformat(), "to": last.isoformat()}, **found})
