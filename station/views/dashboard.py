"""The station's dashboard: today's flows by stage, open alerts by tier, stock by location and
material, and what each scale shows now (from the scale registry)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.access import access
from core.catalogue import Category
from core.db import db
from core.time import to_local, utcnow
from station.alerts import State
from station.models import Alert, Location, Package, PackageState, Stage, Weighing
from station.scales.registry import REGISTRY
from station.views import bp
from station.views.common import STATION, render, scales, sid, tz


def today_start(now: datetime, zone: str) -> datetime:
    """Local midnight of today, as an aware time (storage is UTC, the day is the station's)."""
    local = to_local(now, zone).date()
    return datetime.combine(local, time(0), tzinfo=ZoneInfo(zone))


def flows(station_id: int, since: datetime) -> list[dict[str, Any]]:
    """Per stage since `since`: weighings, Σ standard A (what should have come in) and Σ net B
    (what was weighed out), and anomalies; stage totals are left out so nothing counts twice."""
    rows = db.session.execute(
        sa.select(
            Weighing.stage,
            sa.func.count(Weighing.id),
            sa.func.coalesce(sa.func.sum(Weighing.standard_g), 0),
            sa.func.coalesce(sa.func.sum(Weighing.net_g), 0),
            sa.func.sum(sa.case((Weighing.result == "anomaly", 1), else_=0)),
        )
        .where(
            Weighing.station_id == station_id,
            Weighing.created_at >= since,
            Weighing.total.is_(False),
        )
        .group_by(Weighing.stage)
    ).all()
    found = {stage: (n, a, b, bad) for stage, n, a, b, bad in rows}
    return [
        {
            "stage": stage.value,
            "n": found.get(stage, (0,))[0],
            "a_g": int(found.get(stage, (0, 0))[1]),
            "b_g": int(found.get(stage, (0, 0, 0))[2]),
            "anomalies": int(found.get(stage, (0, 0, 0, 0))[3] or 0),
        }
        for stage in Stage
    ]


def alerts_by_tier(station_id: int) -> dict[int, int]:
    """Open (unresolved) alerts per tier 0–3, zero where there are none, for the chart."""
    rows = db.session.execute(
        sa.select(Alert.tier, sa.func.count(Alert.id))
        .where(Alert.station_id == station_id, Alert.state != State.RESOLVED.value)
        .group_by(Alert.tier)
    ).all()
    counts = dict.fromkeys(range(4), 0)
    counts.update({tier: n for tier, n in rows})
    return counts


def stock(station_id: int) -> list[dict[str, Any]]:
    """What is in stock per location and material, and what waits between stages (no
    location yet), as remaining kg."""
    rows = db.session.execute(
        sa.select(
            Package.state,
            Location.code,
            Category.name_zh,
            Package.material,
            sa.func.count(Package.id),
            sa.func.sum(Package.remaining_g),
        )
        .outerjoin(Location, Location.id == Package.location_id)
        .outerjoin(Category, Category.id == Package.category_id)
        .where(
            Package.station_id == station_id,
            Package.state.in_(
                [
                    PackageState.RECEIVED,
                    PackageState.SORTED,
                    PackageState.BALED,
                    PackageState.IN_STOCK,
                ]
            ),
        )
        .group_by(Package.state, Location.code, Category.name_zh, Package.material)
        .order_by(Location.code, Category.name_zh)
    ).all()
    return [
        {
            "state": state.value,
            "location": code or "",
            "material": material or name or "",
            "n": n,
            "g": int(g or 0),
        }
        for state, code, name, material, n, g in rows
    ]


def scale_status() -> list[dict[str, Any]]:
    """What each scale shows now, from the registry that reads it (a driver starts on first use)."""
    out = []
    for scale in scales():
        status = REGISTRY.status(scale)
        latest = status.latest
        out.append(
            {
                "scale": scale,
                "connected": status.connected,
                "weight": f"{latest.weight} {latest.unit or scale.unit}" if latest else None,
                "stable": latest.stable if latest else None,
                "at": status.last_frame_at,
                "errors": status.errors,
            }
        )
    return out


@bp.get("/")
@access(kinds=STATION)
def dashboard() -> Any:
    """Today's flows, open alerts, stock and scales of my station."""
    station = sid()
    since = today_start(utcnow(), tz())
    day_flows = flows(station, since)
    return render(
        "dashboard.html",
        flows=day_flows,
        tiers=alerts_by_tier(station),
        stock=stock(station),
        scales=scale_status(),
        since=since,
        until=since + timedelta(days=1),
    )
