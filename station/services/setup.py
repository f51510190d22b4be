"""A station's standing data: standard tares, locations, tolerance policies, sorting ratios,
and the factories' production records and delivery notes that set the receiving standard."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core import audit
from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.errors import Conflict, Invalid, NotFound
from station.models import (
    Delivery,
    Location,
    ProductionRecord,
    RatioLine,
    RatioSet,
    RecordKind,
    StandardTare,
    TareKind,
    TolerancePolicy,
    WorkOrder,
)
from station.services.common import category, grams, organization, writer


def add_tare(
    actor: Actor,
    kind: TareKind,
    ref: str,
    weight_kg: Decimal,
    valid_from: datetime,
    valid_until: datetime | None,
) -> StandardTare:
    """A standard tare for a vehicle (plate), container type or pallet type, with validity."""
    sid = writer(actor)
    if valid_until is not None and valid_until <= valid_from:
        raise Invalid("有效期结束须晚于开始", {"valid_until": "before valid_from"})
    ref = ref.strip().upper()
    if not ref:
        raise Invalid("请填写车牌或容器、托盘类型", {"ref": "required"})
    tare = StandardTare(
        organization_id=sid,
        kind=kind,
        ref=ref,
        weight_g=grams(weight_kg, "weight_kg"),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    db.session.add(tare)
    db.session.flush()
    return tare


def tares_of(station_id: int, kind: TareKind, ref: str) -> list[StandardTare]:
    """Every standard tare recorded for a plate or a type, newest first."""
    return list(
        db.session.scalars(
            sa.select(StandardTare)
            .where(
                StandardTare.organization_id == station_id,
                StandardTare.kind == kind,
                StandardTare.ref == ref.strip().upper(),
            )
            .order_by(StandardTare.valid_from.desc())
        )
    )


def add_location(actor: Actor, code: str, name: str) -> Location:
    sid = writer(actor)
    code = code.strip().upper()
    if db.session.scalar(
        sa.select(Location.id).where(Location.organization_id == sid, Location.code == code)
    ):
        raise Conflict("库位编码已存在", {"code": "exists"})
    location = Location(organization_id=sid, code=code, name=name.strip() or code)
    db.session.add(location)
    db.session.flush()
    return location


def location_by_code(station_id: int, code: str) -> Location:
    found = db.session.scalar(
        sa.select(Location).where(
            Location.organization_id == station_id, Location.code == code.strip().upper()
        )
    )
    if found is None:
        raise Invalid("库位不存在", {"location": "unknown"})
    return found


def set_tolerance(
    actor: Actor, control_point: str, grade: str | None, policy: dict[str, Any]
) -> TolerancePolicy:
    """Tolerance C for a control point and material (or the point's default); replaces the one
    set before. The policy is validated by the pure rules before it is stored."""
    from station.services.weigh import tolerance_from_json

    sid = writer(actor)
    tolerance_from_json(policy)  # refuses a malformed policy with the field named
    category_id = category(grade, "grade").id if grade else None
    row = db.session.scalar(
        sa.select(TolerancePolicy).where(
            TolerancePolicy.organization_id == sid,
            TolerancePolicy.control_point == control_point,
            TolerancePolicy.category_id.is_(None)
            if category_id is None
            else TolerancePolicy.category_id == category_id,
        )
    ) or TolerancePolicy(organization_id=sid, control_point=control_point, category_id=category_id)
    before = dict(row.policy) if row.policy else None
    row.policy = dict(policy)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "tolerance.set",
        user_id=actor.user_id,
        organization_id=sid,
        target=f"tolerance:{row.id}",
        control_point=control_point,
        grade=grade or "",
        before=before,
        after=dict(policy),
    )
    return row


def add_ratio_set(
    actor: Actor,
    grade: str,
    lines: list[dict[str, Any]],
    valid_from: datetime,
    valid_until: datetime | None = None,
) -> RatioSet:
    """A new version of the sorting ratios of an input material; the lines must sum to 1
    including the residue line, and versions may not overlap in time."""
    from station import ratios

    sid = writer(actor)
    material = category(grade, "grade")
    try:
        pure = [
            ratios.RatioLine(str(x["label"]), Decimal(str(x["ratio"])), bool(x.get("residue")))
            for x in lines
        ]
    except (KeyError, TypeError, ArithmeticError) as exc:
        raise Invalid("配比行需要名称和比例", {"lines": "label and ratio"}) from exc
    ratios.validate(pure)
    existing = list(
        db.session.scalars(
            sa.select(RatioSet)
            .where(RatioSet.organization_id == sid, RatioSet.category_id == material.id)
            .with_for_update()
        )
    )
    for old in existing:
        if old.valid_until is None and old.valid_from < valid_from:
            old.valid_until = valid_from  # the new version takes over from its start
        elif (old.valid_until is None or old.valid_until > valid_from) and (
            valid_until is None or valid_until > old.valid_from
        ):
            raise Conflict("配比版本的有效期重叠", {"valid_from": "overlaps a version"})
    version = RatioSet(
        organization_id=sid,
        category_id=material.id,
        version=max((s.version for s in existing), default=0) + 1,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    version.lines = [
        RatioLine(
            category_id=category(line["grade"], "lines.grade").id if line.get("grade") else None,
            label=line["label"],
            ratio=Decimal(str(line["ratio"])),
            residue=bool(line.get("residue")),
        )
        for line in lines
    ]
    db.session.add(version)
    db.session.flush()
    return version


def active_ratios(station_id: int, category_id: int, at: datetime) -> RatioSet:
    found = db.session.scalar(
        sa.select(RatioSet)
        .where(
            RatioSet.organization_id == station_id,
            RatioSet.category_id == category_id,
            RatioSet.valid_from <= at,
            sa.or_(RatioSet.valid_until.is_(None), RatioSet.valid_until > at),
        )
        .order_by(RatioSet.version.desc())
    )
    if found is None:
        raise Invalid("该物料没有有效的分拣配比", {"ratios": "none valid now"})
    return found


def add_production_record(
    actor: Actor,
    *,
    station_id: int,
    factory_id: int,
    kind: RecordKind,
    reference: str,
    grade: str,
    quantity: Decimal,
    unit: str,
    factor: Decimal,
    factor_unit: str,
    record_date: date,
) -> ProductionRecord:
    """A factory's plan, output or handover record (entered by the station, or by the factory
    itself for a station it delivers to)."""
    _station_or_factory(actor, station_id, factory_id)
    if quantity <= 0 or factor <= 0:
        raise Invalid("数量和系数须为正数", {"quantity" if quantity <= 0 else "factor": "positive"})
    record = ProductionRecord(
        station_id=station_id,
        factory_id=factory_id,
        kind=kind,
        reference=reference.strip(),
        category_id=category(grade, "grade").id,
        quantity=quantity,
        unit=unit.strip(),
        factor=factor,
        factor_unit=factor_unit.strip(),
        record_date=record_date,
    )
    db.session.add(record)
    db.session.flush()
    return record


def _station_or_factory(actor: Actor, station_id: int, factory_id: int) -> None:
    organization(station_id, OrgKind.STATION, "station_id")
    organization(factory_id, OrgKind.PRODUCER, "factory_id")
    if actor.org_kind is OrgKind.PRODUCER and actor.org_id == factory_id:
        writer_role(actor)
        return
    writer(actor, station_id)


def writer_role(actor: Actor) -> None:
    from core.enums import Role
    from core.errors import Forbidden

    if actor.role is Role.VIEWER:
        raise Forbidden("只读用户不能修改数据")


def create_delivery(
    actor: Actor,
    *,
    station_id: int,
    factory_id: int,
    number: str,
    grade: str,
    record_ids: list[int],
    vehicle_plate: str = "",
    now: datetime,
) -> Delivery:
    """A delivery note (送料单) referencing the production records it delivers against."""
    _station_or_factory(actor, station_id, factory_id)
    number = number.strip().upper()
    if db.session.scalar(
        sa.select(Delivery.id).where(Delivery.station_id == station_id, Delivery.number == number)
    ):
        raise Conflict("送料单号已存在", {"number": "exists"})
    records = list(
        db.session.scalars(
            sa.select(ProductionRecord).where(ProductionRecord.id.in_(record_ids or [0]))
        )
    )
    if len(records) != len(set(record_ids)):
        raise Invalid("引用的生产记录不存在", {"record_ids": "unknown record"})
    if any(r.factory_id != factory_id or r.station_id != station_id for r in records):
        raise Invalid("生产记录不属于该工厂或回收站", {"record_ids": "another factory's record"})
    delivery = Delivery(
        station_id=station_id,
        factory_id=factory_id,
        number=number,
        category_id=category(grade, "grade").id,
        vehicle_plate=vehicle_plate.strip().upper(),
        created_at=now,
        created_by=actor.user_id,
    )
    delivery.records = records
    db.session.add(delivery)
    db.session.flush()
    return delivery


def get_delivery(station_id: int, delivery_id: int, *, lock: bool = False) -> Delivery:
    stmt = sa.select(Delivery).where(Delivery.id == delivery_id, Delivery.station_id == station_id)
    found = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound("送料单不存在")
    return found


def create_work_order(
    actor: Actor,
    *,
    number: str,
    stage: Any,
    line: str,
    shift: str,
    work_date: date,
    assignees: list[int],
) -> WorkOrder:
    """Tie a stage's task to people, a shift and a line."""
    from core.models import User

    sid = writer(actor)
    users = set(
        db.session.scalars(
            sa.select(User.id).where(User.id.in_(assignees or [0]), User.organization_id == sid)
        )
    )
    if users != set(assignees):
        raise Invalid("指派的人员不属于本回收站", {"assignees": "not station staff"})
    number = number.strip().upper()
    if db.session.scalar(
        sa.select(WorkOrder.id).where(WorkOrder.station_id == sid, WorkOrder.number == number)
    ):
        raise Conflict("工单编号已存在：%(number)s", {"number": "exists"}, number=number)
    order = WorkOrder(
        station_id=sid,
        number=number,
        stage=stage,
        line=line.strip(),
        shift=shift.strip(),
        work_date=work_date,
        assignees=sorted(users),
    )
    db.session.add(order)
    db.session.flush()
    return order


def add_scale(actor: Actor, **settings: Any) -> Any:
    """Configure a scale (serial settings and metrology); the driver's own configuration check
    refuses settings it could not work with, naming the setting."""
    from station.models import Scale, ScaleProtocol
    from station.scales.base import ScaleConfigError
    from station.scales.registry import config_of

    sid = writer(actor)
    name = str(settings.get("name_zh", "")).strip()
    if not name:
        raise Invalid("请填写秤的名称", {"name_zh": "required"})
    if db.session.scalar(
        sa.select(Scale.id).where(Scale.organization_id == sid, Scale.name_zh == name)
    ):
        raise Conflict("秤名称已存在", {"name_zh": "exists"})
    try:
        protocol = ScaleProtocol(settings.get("protocol"))
    except ValueError as exc:
        raise Invalid("未知的秤协议", {"protocol": "unknown"}) from exc
    scale = Scale(
        organization_id=sid,
        name_zh=name,
        protocol=protocol,
        port=str(settings.get("port", "")).strip(),
        baud=settings.get("baud", 9600),
        parity=settings.get("parity", "N"),
        data_bits=settings.get("data_bits", 8),
        stop_bits=settings.get("stop_bits", 1),
        capacity_kg=settings.get("capacity_kg", 0),
        division_g=settings.get("division_g", 0),
        unit=settings.get("unit", "kg"),
        variant=settings.get("variant") or None,
        address="A",
    )
    if not scale.port:
        raise Invalid("请填写串口", {"port": "required"})
    try:
        config_of(scale)
    except ScaleConfigError as exc:
        raise Invalid("秤配置无效：%(reason)s", {exc.field: "invalid"}, reason=str(exc)) from exc
    db.session.add(scale)
    db.session.flush()
    return scale
