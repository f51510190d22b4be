"""Making labelled packages: the next label of a stage today (station row locked, so two
operators never draw the same number), a new package, and the check that a package is where
the previous stage left it. Shared by the stage services (`stages`, `outbound`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.db import db
from core.errors import Conflict
from core.models import Organization
from station import labels
from station.models import Package, PackageState, Stage


def station_code(station_id: int) -> str:
    return f"ST{station_id:02d}"


def new_label(station_id: int, stage: Stage, now: datetime, tz: str) -> str:
    """The next label of a stage today; the station row is locked so two operators never draw
    the same sequence number."""
    from core.time import to_local

    db.session.scalar(
        sa.select(Organization.id).where(Organization.id == station_id).with_for_update()
    )
    day = to_local(now, tz).date()
    prefix = f"{station_code(station_id)}-{labels.STAGES[stage.value]}-{day:%Y%m%d}-"
    # A package is labelled the local day it is made (created_at = now): bounding by that day
    # lets the created_at index find the day's few labels. Without it PostgreSQL served max()
    # by scanning the label index backwards through every later label (17,000 rows at a month
    # of 2,000 weighings a day, growing with the history).
    start = datetime.combine(day, time(0), ZoneInfo(tz))
    last = db.session.scalar(
        sa.select(sa.func.max(Package.label)).where(
            Package.label.like(prefix + "%"),
            Package.created_at >= start,
            Package.created_at < start + timedelta(days=1),
        )
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return labels.label_id(station_code(station_id), stage.value, day, seq)


def make_package(
    station_id: int,
    stage: Stage,
    state: PackageState,
    grams_: int,
    now: datetime,
    tz: str,
    **values: object,
) -> Package:
    package = Package(
        station_id=station_id,
        label=new_label(station_id, stage, now, tz),
        stage=stage,
        state=state,
        net_g=grams_,
        remaining_g=grams_,
        created_at=now,
        **values,
    )
    db.session.add(package)
    db.session.flush()
    return package


def require_state(package: Package, *states: PackageState) -> None:
    if package.state not in states:
        raise Conflict(
            "标签 %(label)s 处于“%(state)s”，本环节需要：%(needed)s",
            {"label": f"state {package.state.value}"},
            label=package.label,
            state=package.state.value,
            needed="、".join(s.value for s in states),
        )
