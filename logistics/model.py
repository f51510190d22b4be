"""The routing problem as plain data: pickup requests, vehicles, depots.

Why plain frozen dataclasses: `marketplace` adapts its rows into these, the benchmark readers
build them from files, and the solver and the independent checker read them — none of them
should need Flask or a database. Constructing an object never raises for a *business* problem
(a window that ends before it starts, a vehicle whose depot is unknown): `validate` lists those
as `Issue`s naming the stop or vehicle and the field, and `plan()` drops or sets aside just the
offending items so a plan still comes back for everything else.

Units: times are integer seconds from the start of the planning day (for a file instance:
the instance's own time units); quantities are kilograms and cubic metres (floats or Decimals);
money is integer fen. On a geographic problem `lat`/`lon` are WGS84 degrees; on a planar one
(`Problem.planar`, the benchmark files) they are the y/x coordinates of the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

StopId = int | str

# Average road speeds for a Pearl River Delta industrial district (km/h, door to door) and the
# DEFRA freight class each type is costed with for CO2 (see logistics/data/README.md).
VEHICLE_TYPES: dict[str, dict[str, object]] = {
    "van": {"speed_kmh": 35.0, "defra": "van"},
    "rigid_7.5t": {"speed_kmh": 32.0, "defra": "rigid_3.5-7.5t"},
    "rigid_17t": {"speed_kmh": 30.0, "defra": "rigid_7.5-17t"},
    "rigid_26t": {"speed_kmh": 28.0, "defra": "rigid_>17t"},
    "artic": {"speed_kmh": 27.0, "defra": "artic_all"},
    # benchmark files: travel time equals distance, no CO2 class
    "unit": {"speed_kmh": 0.0, "defra": ""},
}

DESTINATION_KINDS = ("depot", "station", "plant")


@dataclass(frozen=True)
class Destination:
    """Where a pickup's load goes. `depot`: back to the vehicle's depot at the end of its
    route (collection). `station` / `plant`: a delivery stop at that place in the same vehicle
    after the pickup (a pickup-and-delivery pair)."""

    kind: str = "depot"
    id: str = ""
    lat: float | None = None
    lon: float | None = None
    windows: tuple[tuple[int, int], ...] = ()
    service_s: int = 0


@dataclass(frozen=True)
class Request:
    """One pickup at a site. `windows`: opening hours or the booked slot as (start, end) of
    the latest service start; empty means any time within the vehicle's shift."""

    id: StopId
    lat: float | None
    lon: float | None
    kg: float | Decimal = 0
    m3: float | Decimal = 0
    windows: tuple[tuple[int, int], ...] = ()
    service_s: int = 0
    hazardous: bool = False
    hw_codes: tuple[str, ...] = ()
    destination: Destination = field(default_factory=Destination)
    site: str = ""

    @property
    def paired(self) -> bool:
        """True when the load is delivered to a station or plant within the same route."""
        return self.destination.kind != "depot"


@dataclass(frozen=True)
class Depot:
    id: str
    lat: float | None
    lon: float | None
    name: str = ""


@dataclass(frozen=True)
class Vehicle:
    """One truck. `max_shift_s` caps the time from leaving the depot to returning (None: the
    shift window alone); `cost_per_day_fen` is the fixed cost of using it at all, so the plan
    does not take more trucks than it needs."""

    id: str
    type: str
    kg_capacity: float | Decimal
    m3_capacity: float | Decimal | None = None
    depot: str | None = None
    end_depot: str | None = None
    hazmat: bool = False
    shift_start_s: int = 0
    shift_end_s: int = 24 * 3600
    max_shift_s: int | None = None
    cost_per_km_fen: int = 0
    cost_per_hour_fen: int = 0
    cost_per_day_fen: int = 0
    speed_kmh: float | None = None

    def speed(self) -> float:
        """km/h: the vehicle's own figure, else its type's."""
        if self.speed_kmh:
            return float(self.speed_kmh)
        return float(VEHICLE_TYPES.get(self.type, VEHICLE_TYPES["van"])["speed_kmh"])  # type: ignore[arg-type]


@dataclass(frozen=True)
class Problem:
    """A day to plan. `planar`: coordinates are on a plane (benchmark files), distances are
    Euclidean and travel time equals distance; otherwise geodesic km × `circuity` with each
    vehicle type's speed, or the `road_graph` when one is configured."""

    requests: tuple[Request, ...]
    vehicles: tuple[Vehicle, ...]
    depots: tuple[Depot, ...]
    planar: bool = False
    circuity: float = 1.3
    road_graph: object | None = None  # a logistics.distances.RoadGraph
    name: str = ""
    distance_only: bool = False  # objective = distance alone (benchmarks)
    # planar problems: integer precision of the distance matrix (Euclidean × scale)
    scale: int = 100
    # planar CVRP files round each arc to an integer (TSPLIB nint) instead of × scale
    round_arcs: bool = False


@dataclass(frozen=True)
class Issue:
    """A problem with one item of input: `subject` is 'request', 'vehicle' or 'problem'."""

    subject: str
    id: StopId
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject} {self.id}: {self.field}: {self.message}"


class InvalidProblem(ValueError):
    """Raised by `check` when a problem has issues; carries them all."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("; ".join(str(i) for i in issues))
        self.issues = issues


def _bad_coord(lat: object, lon: object, planar: bool) -> str | None:
    if lat is None or lon is None:
        return "缺少坐标"
    try:
        la, lo = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "坐标不是数字"
    if not (math.isfinite(la) and math.isfinite(lo)):
        return "坐标不是有限数"
    if not planar and not (-90 <= la <= 90 and -180 <= lo <= 180):
        return "坐标超出经纬度范围"
    return None


def _window_issue(windows: tuple[tuple[int, int], ...]) -> str | None:
    for w in windows:
        if len(w) != 2:
            return "时间窗须为 (开始, 结束)"
        if w[1] < w[0]:
            return f"时间窗结束 {w[1]} 早于开始 {w[0]}"
    return None


def _number(value: object) -> float | None:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def validate_request(r: Request, planar: bool) -> list[Issue]:
    """Everything wrong with one request on its own (not yet against the fleet)."""
    out: list[Issue] = []
    if (msg := _bad_coord(r.lat, r.lon, planar)) is not None:
        out.append(Issue("request", r.id, "lat/lon", msg))
    for name in ("kg", "m3"):
        v = _number(getattr(r, name))
        if v is None or v < 0:
            out.append(Issue("request", r.id, name, "数量须为非负数"))
    if (msg := _window_issue(r.windows)) is not None:
        out.append(Issue("request", r.id, "windows", msg))
    if r.service_s < 0:
        out.append(Issue("request", r.id, "service_s", "服务时长不能为负"))
    d = r.destination
    if d.kind not in DESTINATION_KINDS:
        out.append(Issue("request", r.id, "destination.kind", f"未知目的地类型 {d.kind!r}"))
    elif d.kind != "depot":
        if (msg := _bad_coord(d.lat, d.lon, planar)) is not None:
            out.append(Issue("request", r.id, "destination.lat/lon", msg))
        if (msg := _window_issue(d.windows)) is not None:
            out.append(Issue("request", r.id, "destination.windows", msg))
    return out


def validate_vehicle(v: Vehicle, depot_ids: set[str]) -> list[Issue]:
    """Everything wrong with one vehicle."""
    out: list[Issue] = []
    if v.type not in VEHICLE_TYPES:
        out.append(Issue("vehicle", v.id, "type", f"未知车型 {v.type!r}"))
    if not v.depot:
        out.append(Issue("vehicle", v.id, "depot", "车辆没有车场"))
    elif v.depot not in depot_ids:
        out.append(Issue("vehicle", v.id, "depot", f"车场 {v.depot!r} 不存在"))
    if v.end_depot and v.end_depot not in depot_ids:
        out.append(Issue("vehicle", v.id, "end_depot", f"车场 {v.end_depot!r} 不存在"))
    cap = _number(v.kg_capacity)
    if cap is None or cap <= 0:
        out.append(Issue("vehicle", v.id, "kg_capacity", "载重须为正数"))
    if v.m3_capacity is not None:
        vol = _number(v.m3_capacity)
        if vol is None or vol <= 0:
            out.append(Issue("vehicle", v.id, "m3_capacity", "容积须为正数"))
    if v.shift_end_s <= v.shift_start_s:
        out.append(Issue("vehicle", v.id, "shift_end_s", "班次结束须晚于开始"))
    if v.max_shift_s is not None and v.max_shift_s <= 0:
        out.append(Issue("vehicle", v.id, "max_shift_s", "最长班次须为正数"))
    for name in ("cost_per_km_fen", "cost_per_hour_fen", "cost_per_day_fen"):
        if getattr(v, name) < 0:
            out.append(Issue("vehicle", v.id, name, "费用不能为负"))
    return out


def validate(problem: Problem) -> list[Issue]:
    """All issues of a problem: each request and vehicle on its own, duplicate ids, depots,
    and an empty fleet. Fleet-dependent reasons (no vehicle may carry a stop) are decided by
    `plan()` and reported as dropped stops, not here."""
    out: list[Issue] = []
    depot_ids: set[str] = set()
    for d in problem.depots:
        if d.id in depot_ids:
            out.append(Issue("depot", d.id, "id", "车场编号重复"))
        depot_ids.add(d.id)
        if (msg := _bad_coord(d.lat, d.lon, problem.planar)) is not None:
            out.append(Issue("depot", d.id, "lat/lon", msg))
    seen: set[StopId] = set()
    for r in problem.requests:
        if r.id in seen:
            out.append(Issue("request", r.id, "id", "需求编号重复"))
        seen.add(r.id)
        out.extend(validate_request(r, problem.planar))
    vids: set[str] = set()
    for v in problem.vehicles:
        if v.id in vids:
            out.append(Issue("vehicle", v.id, "id", "车辆编号重复"))
        vids.add(v.id)
        out.extend(validate_vehicle(v, depot_ids))
    if not problem.vehicles:
        out.append(Issue("problem", problem.name, "vehicles", "车队为空"))
    return out


def check(problem: Problem) -> Problem:
    """Strict callers: the problem itself, or `InvalidProblem` listing every issue."""
    issues = validate(problem)
    if issues:
        raise InvalidProblem(issues)
    return problem


def delivery_id(request_id: StopId) -> str:
    """The stop id of a paired request's delivery (its pickup keeps the request id)."""
    return f"{request_id}:delivery"


def stop_points(
    problem: Problem,
    skip: set[StopId] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[tuple[float, float]], dict[object, int]]:
    """Points of depots then stops (pickups, and deliveries of pairs), and an index from
    ("depot", id) / stop id to position — how the checker and the KPIs address a matrix."""
    points: list[tuple[float, float]] = []
    index: dict[object, int] = {}
    for d in problem.depots:
        if _bad_coord(d.lat, d.lon, problem.planar) is None and ("depot", d.id) not in index:
            index[("depot", d.id)] = len(points)
            points.append((float(d.lat), float(d.lon)))  # type: ignore[arg-type]
    for r in problem.requests:
        if r.id in skip:
            continue
        index[r.id] = len(points)
        points.append((float(r.lat), float(r.lon)))  # type: ignore[arg-type]
        if r.paired:
            index[delivery_id(r.id)] = len(points)
            points.append((float(r.destination.lat), float(r.destination.lon)))  # type: ignore[arg-type]
    return points, index
