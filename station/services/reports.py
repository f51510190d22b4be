"""The station's three reports from the database: the daily inventory balance (单日库存结余表),
the process records (过程记录表) and the disposal report (再生资源处置报表).

The database aggregates (sums and counts grouped in SQL, one query per flow kind), so a month of
60,000 weighings reaches Python as a few hundred grouped rows; the pure builders in
`station.reports` then do the arithmetic and the checks, the same code the unit tests and the
benchmark run. Time buckets are local calendar days, ISO weeks or months: their UTC bounds are
computed here and the database sorts rows into them with one CASE, so SQLite and PostgreSQL
group alike without time-zone functions.

Who may read: a station's own people its own station; the platform and government any station
they name (core access rules); anyone else is refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import Invalid
from core.i18n import N_
from core.models import Organization, User
from station import quota
from station import reports as pure
from station.models import (
    Location,
    Package,
    PackageLink,
    PackageState,
    RatioLine,
    RatioSet,
    Scale,
    Stage,
    StockMove,
    Weighing,
    WorkOrder,
)
from station.services.common import kg, readable
from station.tolerance import Side

MAX_DAYS = 366  # the longest disposal report (a year by day is 366 buckets)
MAX_PER_PAGE = 200
STAGE_NAMES = {
    Stage.DELIVER: N_("送料"),
    Stage.RECEIVE: N_("收料"),
    Stage.SORT: N_("分拣"),
    Stage.BALE: N_("打包"),
    Stage.WAREHOUSE_IN: N_("入库"),
    Stage.WAREHOUSE_OUT: N_("出库"),
}
TOTAL_SUFFIX = N_("（合计）")
RESULT_NAMES = {
    quota.Result.NORMAL.value: N_("正常"),
    quota.Result.ANOMALY.value: N_("异常"),
    quota.Result.NO_STANDARD.value: N_("无定额"),
}


def process_columns(translate: Callable[[str], str] = str) -> tuple[pure.Column, ...]:
    """The process record's columns with the result named in the reader's language."""
    return tuple(
        replace(c, format=lambda value: translate(RESULT_NAMES.get(value, value)))
        if c.key == "result"
        else c
        for c in pure.PROCESS_COLUMNS
    )


def report_station(actor: Actor, station_id: int | None = None) -> int:
    """The station a report is about: a station's own, or the one the platform or government
    names (`station` is required for them and must be a station)."""
    if actor.org_kind is OrgKind.STATION and station_id is None:
        station_id = actor.org_id
    if station_id is None:
        raise Invalid("请指定回收站", {"station": "required"})
    org = db.session.get(Organization, station_id)
    if org is None or org.kind is not OrgKind.STATION:
        raise Invalid("回收站不存在", {"station": "unknown"})
    readable(actor, station_id)
    return station_id


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """A local calendar day as a half-open UTC interval."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _names(model: Any, ids: set[int], column: Any) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(model.id, column).where(model.id.in_(ids))).all())


# ---- 单日库存结余表 -----------------------------------------------------------------------


def _material(category_names: dict[int, str], category_id: int | None, label: str) -> str:
    return label or category_names.get(category_id or 0, "")


def inventory(actor: Actor, day: date, tz: str, station_id: int | None = None) -> list[Any]:
    """The day's balance per location × material from the stock ledger, checked against the
    packages in stock: the recorded closing is today's stock less every move after the day."""
    sid = report_station(actor, station_id)
    start, end = day_bounds(day, tz)
    m = StockMove
    signed = sa.case((m.kind == "out", -m.grams), else_=m.grams)
    key = (m.location_id, m.category_id, m.material)

    def between(kind: str) -> Any:
        return sa.func.coalesce(
            sa.func.sum(sa.case((sa.and_(m.at >= start, m.kind == kind), m.grams), else_=0)), 0
        )

    moves = db.session.execute(
        sa.select(
            *key,
            sa.func.coalesce(sa.func.sum(sa.case((m.at < start, signed), else_=0)), 0),
            between("in"),
            between("out"),
            between("adjust"),
        )
        .where(m.station_id == sid, m.at < end)
        .group_by(*key)
    ).all()
    later = {
        tuple(row[:3]): row[3]
        for row in db.session.execute(
            sa.select(*key, sa.func.sum(signed))
            .where(m.station_id == sid, m.at >= end)
            .group_by(*key)
        )
    }
    p = Package
    stock = db.session.execute(
        sa.select(p.location_id, p.category_id, p.material, sa.func.sum(p.remaining_g))
        .where(p.station_id == sid, p.state == PackageState.IN_STOCK)
        .group_by(p.location_id, p.category_id, p.material)
    ).all()
    keys = {tuple(r[:3]) for r in moves} | {tuple(r[:3]) for r in stock} | set(later)
    locations = {
        lid: f"{code} {name}"
        for lid, code, name in db.session.execute(
            sa.select(Location.id, Location.code, Location.name).where(
                Location.id.in_({k[0] for k in keys if k[0] is not None} or {0})
            )
        )
    }
    categories = _names(Category, {k[1] for k in keys if k[1]}, Category.name_zh)

    def where(k: tuple[Any, ...]) -> tuple[str, str]:
        return locations.get(k[0], "—"), _material(categories, k[1], k[2])

    opening: list[pure.Stock] = []
    movements: list[pure.Movement] = []
    for row in moves:
        loc, mat = where(tuple(row[:3]))
        opening.append(pure.Stock(loc, mat, kg(row[3])))
        for kind, grams_ in zip(pure.MovementKind, row[4:], strict=True):
            if grams_:
                movements.append(pure.Movement(loc, mat, kind, kg(grams_)))
    recorded: dict[tuple[str, str], int] = {}
    for row in stock:
        name = where(tuple(row[:3]))
        recorded[name] = recorded.get(name, 0) + row[3]
    for k, grams_ in later.items():
        name = where(k)
        recorded[name] = recorded.get(name, 0) - grams_
    seen = {(s.location, s.material) for s in opening}
    # a line with no stock before or after the day and no movement in it is not shown
    closing = [pure.Stock(*k, kg(g)) for k, g in recorded.items() if g or k in seen]
    return pure.daily_balance(opening, movements, closing)


# ---- 过程记录表 -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessPage:
    """A page of the process records with the filters' total."""

    rows: list[pure.ProcessRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _d(grams_: int | None) -> Decimal | None:
    return None if grams_ is None else kg(grams_)


def process(
    actor: Actor,
    *,
    tz: str,
    day: date | None = None,
    stage: Stage | None = None,
    result: quota.Result | None = None,
    page: int = 1,
    per_page: int = 50,
    station_id: int | None = None,
    translate: Any = str,
) -> ProcessPage:
    """Every weighing with its check, in time order, filtered by local day, stage and result;
    `translate` (the caller's gettext) names the stages."""
    sid = report_station(actor, station_id)
    if page < 1:
        raise Invalid("页码须为正整数", {"page": "positive"})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("每页条数须在 1 到 200 之间", {"per_page": "1..200"})
    w = Weighing
    newer = aliased(Weighing)
    filters = [w.station_id == sid]
    if day is not None:
        start, end = day_bounds(day, tz)
        filters += [w.created_at >= start, w.created_at < end]
    if stage is not None:
        filters.append(w.stage == stage)
    if result is not None:
        filters.append(w.result == result.value)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(w).where(*filters)) or 0
    rows = db.session.execute(
        sa.select(w, User.display_name, Scale.name_zh, Category.name_zh, newer.id, WorkOrder.number)
        .outerjoin(User, User.id == w.operator_id)
        .outerjoin(WorkOrder, WorkOrder.id == w.work_order_id)
        .outerjoin(Scale, Scale.id == w.scale_id)
        .outerjoin(Category, Category.id == w.category_id)
        .outerjoin(newer, newer.replaces_id == w.id)
        .where(*filters)
        .order_by(w.created_at, w.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    superseded = {row[0].id: row[4] for row in rows}
    built = pure.process_records([_weighing(row, translate) for row in rows])
    return ProcessPage(
        [replace(r, superseded_by=superseded.get(r.id)) for r in built], total, page, per_page
    )


def _weighing(row: Any, translate: Any) -> pure.Weighing:
    w, operator, scale, material = row[0], row[1], row[2], row[3]
    check = quota.Check(
        a=_d(w.standard_g),
        b=kg(w.net_g),
        d=_d(w.deviation_g),
        c=_d(w.tolerance_g),
        result=quota.Result(w.result),
        sign=Side(w.sign) if w.sign else None,
        x=w.ratio_x,
    )
    point = translate(STAGE_NAMES[w.stage]) + (translate(TOTAL_SUFFIX) if w.total else "")
    return pure.Weighing(
        id=w.id,
        at=w.created_at,
        point=point,
        material=material or "",
        operator=operator or "",
        scale=scale or "",
        check=check,
        tier=w.tier or None,
        manual=w.manual,
        frame_hash=w.raw_sha256 or None,
        reweigh_of=w.replaces_id,
        work_order=row[5] or "",
        line=w.line,
    )


# ---- 再生资源处置报表 ---------------------------------------------------------------------


def buckets(first: date, last: date, period: pure.Period, tz: str) -> list[tuple[datetime, str]]:
    """The periods from `first` to `last` (local, inclusive) as (UTC start, label)."""
    out: list[tuple[datetime, str]] = []
    day = first
    while day <= last:
        start = day_bounds(day, tz)[0]
        label = pure.period_label(start, period, tz)
        if not out or out[-1][1] != label:
            out.append((start, label))
        day += timedelta(days=1)
    return out


def _bucket(column: Any, bounds: list[tuple[datetime, str]]) -> Any:
    """The index of the bucket a time falls in (rows are already within the range)."""
    whens = [(column < start, i - 1) for i, (start, _) in enumerate(bounds) if i > 0]
    return sa.case(*whens, else_=len(bounds) - 1) if whens else sa.literal(0)


def _received_material(package_id: Any, hops: int) -> Any:
    """The received material a package came from, `hops` lineage links up (sorted 1, bale 2)."""
    links = [aliased(PackageLink) for _ in range(hops)]
    source = aliased(Package)
    stmt = sa.select(sa.func.min(source.category_id)).select_from(links[0])
    for child, parent in itertools.pairwise(links):
        stmt = stmt.join(parent, parent.child_id == child.parent_id)
    stmt = stmt.join(source, source.id == links[-1].parent_id)
    return stmt.where(links[0].child_id == package_id).scalar_subquery()


FLOW_COLUMNS = ("bucket", "factory", "material", "output", "result", "grams")


def _group(stmt: Any) -> list[Any]:
    """Sum grams and count rows per bucket, factory, material, output and result — in SQL,
    grouped over a subquery so the lineage lookups are plain columns by then."""
    inner = stmt.subquery()
    cols = list(inner.c)
    keys = cols[:5]
    return db.session.execute(
        sa.select(*keys, sa.func.sum(cols[5]), sa.func.count()).group_by(*keys)
    ).all()


def disposal(
    actor: Actor,
    *,
    first: date,
    last: date,
    period: pure.Period,
    tz: str,
    station_id: int | None = None,
) -> list[pure.DisposalRow]:
    """Received, sorted (recovered and loss), baled and shipped per period × factory ×
    received material, with rates and anomaly counts of the weighings behind them.

    Re-weighed records count once (the newest); a bale counts under the factory the services
    put on it and the received material of its sorted inputs; shipped is the bales' weight as
    they left stock (the stock ledger), each under its own factory and material."""
    sid = report_station(actor, station_id)
    if last < first:
        raise Invalid("结束日期不能早于开始日期", {"to": "before from"})
    if (last - first).days >= MAX_DAYS:
        raise Invalid("报表期间最长 366 天", {"to": "at most 366 days after from"})
    bounds = buckets(first, last, period, tz)
    start, end = bounds[0][0], day_bounds(last, tz)[1]
    w, p = Weighing, Package
    redo = aliased(Weighing)
    latest = ~sa.exists(sa.select(redo.id).where(redo.replaces_id == w.id))
    in_range = [w.station_id == sid, w.created_at >= start, w.created_at < end, ~w.total, latest]
    at = _bucket(w.created_at, bounds)
    received = sa.select(at, w.factory_id, w.category_id, sa.literal(""), w.result, w.net_g).where(
        *in_range, w.stage == Stage.RECEIVE
    )
    sorted_ = (
        sa.select(at, w.factory_id, _received_material(p.id, 1), p.material, w.result, w.net_g)
        .join(p, p.id == w.package_id)
        .where(*in_range, w.stage == Stage.SORT)
    )
    bale_material = _received_material(p.id, 2)
    baled = (
        sa.select(at, p.factory_id, bale_material, p.material, w.result, w.net_g)
        .join(p, p.id == w.package_id)
        .where(*in_range, w.stage == Stage.BALE)
    )
    m = StockMove
    shipped = (
        sa.select(
            _bucket(m.at, bounds), p.factory_id, bale_material, p.material, sa.null(), m.grams
        )
        .join(p, p.id == m.package_id)
        .where(m.station_id == sid, m.kind == "out", m.at >= start, m.at < end)
    )
    grouped = [
        (kind, _group(stmt))
        for kind, stmt in (
            (pure.FlowKind.RECEIVED, received),
            (pure.FlowKind.SORTED, sorted_),
            (pure.FlowKind.BALED, baled),
            (pure.FlowKind.SHIPPED, shipped),
        )
    ]
    factories = _names(
        Organization, {r[1] for _, rows in grouped for r in rows if r[1]}, Organization.legal_name
    )
    categories = _names(
        Category, {r[2] for _, rows in grouped for r in rows if r[2]}, Category.name_zh
    )
    residue = {
        (cat, label)
        for cat, label in db.session.execute(
            sa.select(RatioSet.category_id, RatioLine.label)
            .join(RatioLine, RatioLine.set_id == RatioSet.id)
            .where(RatioSet.organization_id == sid, RatioLine.residue)
        )
    }
    flows = [
        pure.Flow(
            at=bounds[row[0]][0],
            factory=factories.get(row[1] or 0, "—"),
            material=categories.get(row[2] or 0, "—"),
            kind=kind,
            kg=kg(row[5] or 0),
            output=row[3] or None,
            loss=kind is pure.FlowKind.SORTED and (row[2], row[3]) in residue,
            result=quota.Result(row[4]) if row[4] else None,
            count=row[6],
        )
        for kind, rows in grouped
        for row in rows
    ]
    return pure.disposal_report(flows, period, tz)
