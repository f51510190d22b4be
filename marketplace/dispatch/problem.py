"""Rows → `logistics.Problem`, and the planner's answer → rows.

Stop ids are the request ids (a paired request's delivery is `logistics.delivery_id(id)`),
vehicle and depot ids their database ids as strings. Times are seconds from local midnight of
the plan's day (TIMEZONE), as the requests store them. The fleet table records a truck's body
("van_4_2m") but not a DEFRA class, so the class follows the payload: the same bands DEFRA
uses for rigid lorries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import logistics
from marketplace.dispatch.models import PickupRequest, RouteStop
from marketplace.fleet.models import Depot, Vehicle

SHIFT = (7 * 3600, 19 * 3600)  # the carrier's working day, local time
MAX_SHIFT_S = 10 * 3600
COST_PER_KM_FEN = {"van": 250, "rigid_7.5t": 400, "rigid_17t": 550, "rigid_26t": 700, "artic": 850}
DELIVERY_S = 300  # tipping one load at a plant or station
COST_PER_HOUR_FEN = 4000  # driver
COST_PER_DAY_FEN = 30000  # a truck taken out at all


def planner_type(v: Vehicle) -> str:
    """The logistics vehicle class for a fleet row, by payload (kg)."""
    kg = v.capacity_kg
    if kg <= 1500:
        return "van"
    if kg <= 7500:
        return "rigid_7.5t"
    if kg <= 17000:
        return "rigid_17t"
    return "rigid_26t" if kg <= 26000 else "artic"


def to_request(r: PickupRequest) -> logistics.Request:
    dest = logistics.Destination(kind="depot")
    if r.dest_kind != "depot":
        dest = logistics.Destination(
            kind=r.dest_kind,
            id=f"{r.dest_kind}:{r.id}",
            lat=r.dest_lat,
            lon=r.dest_lon,
            windows=((r.dest_window_start_s, r.dest_window_end_s),),
            service_s=DELIVERY_S,
        )
    return logistics.Request(
        id=r.id,
        lat=r.lat,
        lon=r.lon,
        kg=r.kg,
        m3=r.m3,
        windows=((r.window_start_s, r.window_end_s),),
        service_s=r.service_s,
        hazardous=r.hazardous,
        hw_codes=tuple(r.hw_codes or ()),
        destination=dest,
        site=r.site_name,
    )


def to_vehicle(v: Vehicle) -> logistics.Vehicle:
    kind = planner_type(v)
    depot = str(v.depot_id) if v.depot_id is not None else None
    return logistics.Vehicle(
        id=str(v.id),
        type=kind,
        kg_capacity=v.capacity_kg,
        m3_capacity=v.capacity_m3,
        depot=depot,
        hazmat=v.hazmat_permit,
        shift_start_s=SHIFT[0],
        shift_end_s=SHIFT[1],
        max_shift_s=MAX_SHIFT_S,
        cost_per_km_fen=COST_PER_KM_FEN[kind],
        cost_per_hour_fen=COST_PER_HOUR_FEN,
        cost_per_day_fen=COST_PER_DAY_FEN,
    )


def build(
    requests: Iterable[PickupRequest], vehicles: Sequence[Vehicle], name: str = ""
) -> logistics.Problem:
    """The day's problem; depots are those of the chosen vehicles."""
    depots: dict[int, Depot] = {v.depot.id: v.depot for v in vehicles if v.depot is not None}
    return logistics.Problem(
        requests=tuple(to_request(r) for r in requests),
        vehicles=tuple(to_vehicle(v) for v in vehicles),
        depots=tuple(logistics.Depot(str(d.id), d.lat, d.lon, d.name) for d in depots.values()),
        name=name,
    )


def request_of(stop_id: logistics.model.StopId) -> tuple[int, str]:
    """(request id, 'pickup' | 'delivery') of a planner stop id."""
    text = str(stop_id)
    if text.endswith(":delivery"):
        return int(text[: -len(":delivery")]), "delivery"
    return int(text), "pickup"


def stop_key(s: RouteStop) -> logistics.model.StopId:
    """The planner stop id of a stored stop."""
    return logistics.delivery_id(s.request_id) if s.kind == "delivery" else s.request_id


def local_dt(day: date, seconds: float | None, zone: str) -> datetime | None:
    """An aware datetime for seconds from local midnight of `day`."""
    if seconds is None:
        return None
    return datetime.combine(day, time(0), ZoneInfo(zone)) + timedelta(seconds=float(seconds))


def clock(seconds: float | None) -> str:
    """'09:05' for seconds from midnight ('—' when unknown)."""
    if seconds is None:
        return "—"
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def kg(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))
