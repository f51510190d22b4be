"""The demo cluster's monthly reports (填报) that the dashboard needs and no other table holds:
each factory's industrial value added (for waste-generation intensity), each recycler's virgin
and recycled raw-material input (for the substitution rate; the recycled part is what it really
received on the platform that month) and the demo station's processing capacity.

Deterministic for a seed; months already reported are left as they are, so it runs once.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind
from core.models import Organization
from marketplace.dashboard.models import OrgMonthReport
from marketplace.trading.models import Trade

MONTHS = 7  # the 90 days shown plus the 90 before them (the previous period), whole months
STATION_CAPACITY_G = 60_000_000  # 60 t a month: the demo station's sorting line, one shift


def _months(today: date, n: int) -> list[date]:
    first, out = today.replace(day=1), []
    for _ in range(n):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return sorted(out)


def _received_g(buyer_id: int, month: date) -> int:
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    lo = datetime.combine(month, time(), ZoneInfo("Asia/Shanghai"))
    hi = datetime.combine(nxt, time(), ZoneInfo("Asia/Shanghai"))
    total = db.session.scalar(
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.func.coalesce(Trade.net_g, Trade.quantity_g)), 0)
        ).where(Trade.buyer_id == buyer_id, Trade.delivered_at >= lo, Trade.delivered_at < hi)
    )
    return int(total or 0)


def seed_dashboard_reports(*, now: datetime, seed: int = 20261203) -> int:
    """Write the missing monthly reports of the demo members; returns how many were added."""
    rng = random.Random(seed)
    have = set(db.session.execute(sa.select(OrgMonthReport.organization_id, OrgMonthReport.month)))
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind.in_([OrgKind.PRODUCER, OrgKind.RECYCLER, OrgKind.STATION]))
        .order_by(Organization.id)
    ).all()
    added = 0
    for org in orgs:
        base_va = rng.randint(800, 3_000)  # 万元 a month
        share = rng.uniform(0.2, 0.45)  # recycled share of a recycler's raw material
        for month in _months(now.astimezone(ZoneInfo("Asia/Shanghai")).date(), MONTHS):
            drift = rng.uniform(0.92, 1.08)
            if (org.id, month) in have:
                continue
            report = OrgMonthReport(organization_id=org.id, month=month)
            if org.kind is OrgKind.PRODUCER:
                report.value_added_fen = round(base_va * drift) * 1_000_000
            elif org.kind is OrgKind.RECYCLER:
                recycled = _received_g(org.id, month)
                if recycled == 0:
                    continue
                report.recycled_input_g = recycled
                report.virgin_input_g = round(recycled * (1 - share) / share * drift)
            else:
                report.capacity_g = STATION_CAPACITY_G
            db.session.add(report)
            added += 1
    db.session.flush()
    return added
