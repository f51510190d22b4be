"""The logistics and station indicators (empty running, load factor, consolidation, on-time
pickups, weighing anomalies, downgrades, bale yield, station utilisation) and participation:
pure formulas over plain records, as `indicators` lists them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from core.i18n import N_
from marketplace.dashboard.figures import (
    MILLION,
    NO_CAPACITY,
    NO_ORGS,
    NO_PICKUPS,
    NO_TRIPS,
    NO_WEIGHINGS,
    PCT,
    WEIGHED,
    Drill,
    Figure,
    missing,
    q,
    ratio_pct,
    tonnes,
)
from marketplace.dashboard.records import Period, Records


def _km(r: Records) -> Decimal:
    return sum((t.km for t in r.trips), Decimal(0))


def empty_running_rate(r: Records) -> Figure:
    """Km driven with nothing on board ÷ all km of the published routes."""
    key, km = "empty_running_rate", _km(r)
    if not r.trips or km == 0:
        return missing(key, PCT, NO_TRIPS, "trips")
    empty = sum((t.empty_km for t in r.trips), Decimal(0))
    return Figure(
        key, ratio_pct(empty, km), PCT, q(empty, "0.1"), q(km, "0.1"), records=Drill("trips")
    )


def load_factor(r: Records) -> Figure:
    """Tonne-km carried ÷ tonne-km of capacity driven, the plans' figures weighted by km."""
    key, km = "load_factor", _km(r)
    if not r.trips or km == 0:
        return missing(key, PCT, NO_TRIPS, "trips")
    weighted = sum((t.load_factor * t.km for t in r.trips), Decimal(0))
    return Figure(key, ratio_pct(weighted, km), PCT, records=Drill("trips"))


def consolidation_ratio(r: Records) -> Figure:
    """Pickups per vehicle trip: how many lots one truck collects on a route."""
    key = "consolidation_ratio"
    trips = sum(t.vehicles for t in r.trips)
    if trips == 0:
        return missing(key, N_("批次/趟"), NO_TRIPS, "trips")
    lots = sum(t.pickups for t in r.trips)
    return Figure(
        key,
        q(Decimal(lots) / trips, "0.01"),
        N_("批次/趟"),
        Decimal(lots),
        Decimal(trips),
        records=Drill("trips"),
    )


def _hours(td: timedelta) -> Decimal:
    return Decimal(int(td.total_seconds())) / 3600


def on_time_pickup_rate(r: Records) -> Figure:
    """Confirmed pickups inside their time window ÷ confirmed pickups."""
    key = "on_time_pickup_rate"
    confirmed = sum(t.confirmed for t in r.trips)
    if confirmed == 0:
        return missing(key, PCT, NO_PICKUPS, "trips")
    on_time = sum(t.on_time for t in r.trips)
    return Figure(
        key,
        ratio_pct(Decimal(on_time), Decimal(confirmed)),
        PCT,
        Decimal(on_time),
        Decimal(confirmed),
        basis=N_("时间窗内确认提货"),
        records=Drill("trips"),
    )


def weighing_anomaly_rate(r: Records) -> Figure:
    """Weighings outside |A − B| ≤ C ÷ weighings that had a standard A to check against."""
    key = "weighing_anomaly_rate"
    checked = [w for w in r.weighings if w.result in ("normal", "anomaly")]
    n = sum(w.count for w in checked)
    if n == 0:
        return missing(key, PCT, NO_WEIGHINGS, "weighings")
    bad = sum(w.count for w in checked if w.result == "anomaly")
    return Figure(
        key,
        ratio_pct(Decimal(bad), Decimal(n)),
        PCT,
        Decimal(bad),
        Decimal(n),
        basis=WEIGHED,
        records=Drill("weighings", {"result": "anomaly"}),
    )


def downgrade_rate(r: Records) -> Figure:
    """Impurity and moisture deducted at receiving ÷ received weight before deductions."""
    key = "downgrade_rate"
    rec = [w for w in r.weighings if w.stage == "receive"]
    ded = sum(w.deduction_g for w in rec)
    gross = sum(w.net_g for w in rec) + ded
    if gross == 0:
        return missing(key, PCT, NO_WEIGHINGS, "weighings")
    return Figure(
        key,
        ratio_pct(Decimal(ded), Decimal(gross)),
        PCT,
        tonnes(ded),
        tonnes(gross),
        basis=WEIGHED,
        records=Drill("weighings", {"stage": "receive", "deducted": True}),
    )


def bale_yield(r: Records) -> Figure:
    """Baled net ÷ sorted net at the stations in the period."""
    key = "bale_yield"
    sorted_g = sum(w.net_g for w in r.weighings if w.stage == "sort")
    if sorted_g == 0:
        return missing(key, PCT, NO_WEIGHINGS, "weighings")
    baled = sum(w.net_g for w in r.weighings if w.stage == "bale")
    return Figure(
        key,
        ratio_pct(Decimal(baled), Decimal(sorted_g)),
        PCT,
        tonnes(baled),
        tonnes(sorted_g),
        basis=WEIGHED,
        records=Drill("weighings", {"stage": "bale"}),
    )


def _month_days(month: date) -> int:
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (nxt - month.replace(day=1)).days


def _overlap_days(period: Period, month: date) -> int:
    first = month.replace(day=1)
    last = first + timedelta(days=_month_days(first) - 1)
    lo, hi = max(first, period.start), min(last, period.end)
    return max(0, (hi - lo).days + 1)


def station_utilisation(r: Records) -> Figure:
    """Received tonnes ÷ the stations' reported monthly capacity, pro rata to the period's days."""
    key = "station_utilisation"
    caps = [x for x in r.reports if x.capacity_g]
    cap = Decimal(0)
    for x in caps:
        cap += Decimal(x.capacity_g or 0) * _overlap_days(r.period, x.month) / _month_days(x.month)
    if cap == 0:
        return missing(key, PCT, NO_CAPACITY, "reports")
    got = sum(w.net_g for w in r.weighings if w.stage == "receive")
    if not any(w.stage == "receive" for w in r.weighings):
        return missing(key, PCT, NO_WEIGHINGS, "weighings")
    return Figure(
        key,
        ratio_pct(Decimal(got), cap),
        PCT,
        tonnes(got),
        q(cap / MILLION),
        basis=WEIGHED,
        records=Drill("weighings", {"stage": "receive"}),
    )


def participation(r: Records) -> Figure:
    """Member organisations that listed, bought, weighed or hauled in the period ÷ members."""
    key = "participation"
    if not r.orgs:
        return missing(key, PCT, NO_ORGS, "orgs")
    active = sum(1 for o in r.orgs if o.active)
    return Figure(
        key,
        ratio_pct(Decimal(active), Decimal(len(r.orgs))),
        PCT,
        Decimal(active),
        Decimal(len(r.orgs)),
        records=Drill("orgs", {"active": True}),
    )
