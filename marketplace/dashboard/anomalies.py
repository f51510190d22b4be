"""Station anomalies for the government dashboard: which stations weigh outside tolerance,
how often, and which records to look at, each linked to the station's process records
(`/station/reports/process`, readable by government) and to the package's passport.

Counts the latest record of each weighing (a 复称 replaces the one it corrects) and only
scale readings (not stage totals), the same rule as the station's own reports.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import aliased

from core.db import db
from core.i18n import N_
from core.models import Organization
from core.time import to_local
from marketplace.dashboard.flows import Period
from station.models import Package, Weighing
from station.models.alerts import Alert
from station.reports import Column

RECENT = 50
STAGES = {
    "deliver": N_("送料"),
    "receive": N_("收料"),
    "sort": N_("分拣"),
    "bale": N_("打包"),
    "warehouse_in": N_("入库"),
    "warehouse_out": N_("出库"),
}
COLUMNS = [
    Column("at", N_("时间")),
    Column("station", N_("回收站")),
    Column("stage", N_("环节")),
    Column("factory", N_("来料企业")),
    Column("net_kg", N_("净重（kg）")),
    Column("deviation_kg", N_("偏差（kg）")),
    Column("tier", N_("预警级别")),
    Column("label", N_("包装标签")),
]


def _kg(grams: int | None) -> str | None:
    return None if grams is None else f"{grams / 1000:.3f}"


def summary(period: Period, tz: str) -> dict[str, Any]:
    """Per station (weighings, anomalies, rate, open alerts) and the latest anomalies."""
    w, redo = Weighing, aliased(Weighing)
    current = [
        ~w.total,
        w.created_at >= period.start,
        w.created_at < period.end,
        ~sa.exists(sa.select(redo.id).where(redo.replaces_id == w.id)),
    ]
    is_anomaly = sa.case((w.result == "anomaly", 1), else_=0)
    per_station = db.session.execute(
        sa.select(w.station_id, Organization.legal_name, sa.func.count(), sa.func.sum(is_anomaly))
        .join(Organization, Organization.id == w.station_id)
        .where(*current)
        .group_by(w.station_id, Organization.legal_name)
        .order_by(w.station_id)
    ).all()
    open_alerts = dict(
        db.session.execute(
            sa.select(Alert.station_id, sa.func.count())
            .where(Alert.state != "resolved", Alert.opened_at < period.end)
            .group_by(Alert.station_id)
        ).all()
    )
    stations = [
        {
            "station_id": sid,
            "station": name,
            "weighings": int(count),
            "anomalies": int(bad or 0),
            "rate_pct": round(100 * int(bad or 0) / int(count), 1) if count else None,
            "open_alerts": int(open_alerts.get(sid, 0)),
            "records_url": url_for("station_reports.process", station=sid, result="anomaly"),
        }
        for sid, name, count, bad in per_station
    ]
    station, factory = aliased(Organization), aliased(Organization)
    recent = db.session.execute(
        sa.select(w, station.legal_name, factory.legal_name, Package.label)
        .join(station, station.id == w.station_id)
        .outerjoin(factory, factory.id == w.factory_id)
        .outerjoin(Package, Package.id == w.package_id)
        .where(*current, w.result == "anomaly")
        .order_by(w.created_at.desc(), w.id.desc())
        .limit(RECENT)
    ).all()
    rows = [
        {
            "weighing_id": weighing.id,
            "at": weighing.created_at,
            "station_id": weighing.station_id,
            "station": station_name,
            "stage": STAGES.get(weighing.stage.value, weighing.stage.value),
            "factory": factory_name or "",
            "net_kg": _kg(weighing.net_g),
            "deviation_kg": _kg(weighing.deviation_g),
            "tier": weighing.tier,
            "label": label or "",
            "passport_url": url_for("passport.lot_page", lot_id=label) if label else "",
            "records_url": url_for(
                "station_reports.process",
                station=weighing.station_id,
                day=to_local(weighing.created_at, tz).date().isoformat(),
                result="anomaly",
            ),
        }
        for weighing, station_name, factory_name, label in recent
    ]
    return {"stations": stations, "recent": rows}
