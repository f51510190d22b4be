"""The six stages as use cases: 送料 → 收料 → 分拣 → 打包 → 入库 (出库 is in `outbound`).

Each stage checks that what it works on is where the previous stage left it (a stage out of
order is a 409 naming the state it needs), weighs (one weighing per output), makes the new
labelled packages with their lineage, and moves the inputs on — all in the caller's
transaction, so a refused step leaves nothing half-written. Each stage may book its weighings
against a work order (`work_order`: id or number), checked once in `weigh.record`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from core import audit
from core.auth import Actor
from core.db import db
from core.errors import Conflict, Invalid, NotFound
from station import passports, quota, tolerance
from station.models import (
    Package,
    PackageLink,
    PackageState,
    Stage,
    Weighing,
)
from station.services import setup, stock
from station.services.common import grams, kg, package_by_label, writer
from station.services.packaging import make_package, require_state
from station.services.weigh import DEFAULT_TZ, Gross, Subject, TareSpec, record, resolve_tares

CP = tolerance.ControlPoint


@dataclass(frozen=True)
class Output:
    """One sorted output to weigh: the ratio line it is, its gross and its tares."""

    line: str
    gross: Gross
    tares: tuple[TareSpec, ...] = ()


def deliver(
    actor: Actor,
    delivery_id: int,
    packages: list[tuple[Gross, tuple[TareSpec, ...]]],
    *,
    now: datetime,
    tz: str,
    work_order: int | str | None = None,
) -> list[Package]:
    """送料: each package the factory sends is weighed and labelled (no control point: the
    check is at receiving, against the production records)."""
    sid = writer(actor)
    delivery = setup.get_delivery(sid, delivery_id, lock=True)
    if delivery.received_at is not None:
        raise Conflict("送料单已收料，不能再追加包件", {"delivery": "already received"})
    if not packages:
        raise Invalid("请至少称重一个包件", {"packages": "empty"})
    made = []
    for gross, specs in packages:
        tares, _ = resolve_tares(sid, list(specs), now)
        b = quota.net(gross.kg, tares, now)
        package = make_package(
            sid,
            Stage.DELIVER,
            PackageState.DELIVERED,
            grams(b, "net"),
            now,
            tz,
            category_id=delivery.category_id,
            delivery_id=delivery.id,
            factory_id=delivery.factory_id,
        )
        weighing = record(
            actor,
            sid,
            stage=Stage.DELIVER,
            point="",
            gross=gross,
            tares=tares,
            standard_kg=None,
            category_id=delivery.category_id,
            now=now,
            package_id=package.id,
            delivery_id=delivery.id,
            work_order=work_order,
            tz=tz,
            checked=False,
            subject=Subject(vehicle_plate=delivery.vehicle_plate, supplier_id=delivery.factory_id),
        )
        passports.weighed(package, weighing, now)
        made.append(package)
    return made


def receive(
    actor: Actor,
    delivery_id: int,
    gross: Gross,
    tares: list[TareSpec],
    *,
    now: datetime,
    tz: str,
    line: str = "",
    deductions: list[quota.Deduction] | None = None,
    work_order: int | str | None = None,
) -> Weighing:
    """收料 (CP1): the whole delivery on the scale; A from the production records it references
    (none referenced: `no_standard` and an informational alert)."""
    sid = writer(actor)
    delivery = setup.get_delivery(sid, delivery_id, lock=True)
    if delivery.received_at is not None:
        raise Conflict("送料单已收料", {"delivery": "already received"})
    standard = quota.receive_standard(
        [
            quota.ProductionRecord(
                r.reference,
                quota.RecordKind(r.kind.value),
                r.quantity,
                r.unit,
                r.factor,
                r.factor_unit,
            )
            for r in delivery.records
        ]
    )
    pure_tares, _ = resolve_tares(sid, tares, now)
    b = quota.net(gross.kg, pure_tares, now)
    receipt = make_package(
        sid,
        Stage.RECEIVE,
        PackageState.RECEIVED,
        grams(b, "net"),
        now,
        tz,
        category_id=delivery.category_id,
        delivery_id=delivery.id,
        factory_id=delivery.factory_id,
    )
    delivered = db.session.scalars(
        sa.select(Package).where(
            Package.delivery_id == delivery.id, Package.state == PackageState.DELIVERED
        )
    ).all()
    for package in delivered:
        db.session.add(PackageLink(parent_id=package.id, child_id=receipt.id, grams=package.net_g))
        package.state, package.remaining_g = PackageState.CONSUMED, 0
    delivery.received_at = now
    weighing = record(
        actor,
        sid,
        stage=Stage.RECEIVE,
        point=CP.RECEIVE.value,
        gross=gross,
        tares=pure_tares,
        standard_kg=standard,
        category_id=delivery.category_id,
        now=now,
        package_id=receipt.id,
        delivery_id=delivery.id,
        deductions=deductions,
        work_order=work_order,
        tz=tz,
        subject=Subject(
            line=line, vehicle_plate=delivery.vehicle_plate, supplier_id=delivery.factory_id
        ),
    )
    passports.weighed(receipt, weighing, now)
    return weighing


def sort(
    actor: Actor,
    receipt_label: str,
    outputs: list[Output],
    *,
    now: datetime,
    tz: str,
    line: str = "",
    work_order: int | str | None = None,
) -> list[Weighing]:
    """分拣 (CP2): a receipt split by the ratios valid now; each output weighed against
    B_receive × ratio_j, and the total (outputs + residue) against B_receive."""
    sid = writer(actor)
    receipt = package_by_label(sid, receipt_label, lock=True)
    require_state(receipt, PackageState.RECEIVED)
    ratio_set = setup.active_ratios(sid, receipt.category_id, now)
    lines = {line_.label: line_ for line_ in ratio_set.lines}
    pure = [quota.RatioLine(x.label, x.ratio, x.residue) for x in ratio_set.lines]
    standards = quota.sort_standards(kg(receipt.net_g), pure)
    if not outputs:
        raise Invalid("请称重至少一个分拣产出", {"outputs": "empty"})
    seen = set()
    weighings, children = [], []
    for i, output in enumerate(outputs):
        if output.line not in lines:
            raise Invalid(
                "配比中没有该产出：%(line)s", {f"outputs[{i}].line": "unknown"}, line=output.line
            )
        if output.line in seen:
            raise Invalid("产出重复称重", {f"outputs[{i}].line": "duplicate"})
        seen.add(output.line)
        ratio_line = lines[output.line]
        tares, _ = resolve_tares(sid, list(output.tares), now)
        b = quota.net(output.gross.kg, tares, now)
        child = make_package(
            sid,
            Stage.SORT,
            PackageState.SORTED,
            grams(b, "net"),
            now,
            tz,
            category_id=ratio_line.category_id or receipt.category_id,
            material=ratio_line.label,
            factory_id=receipt.factory_id,
        )
        db.session.add(PackageLink(parent_id=receipt.id, child_id=child.id, grams=child.net_g))
        weighings.append(
            record(
                actor,
                sid,
                stage=Stage.SORT,
                point=CP.SORT.value,
                gross=output.gross,
                tares=tares,
                standard_kg=standards[output.line],
                category_id=child.category_id,
                now=now,
                package_id=child.id,
                work_order=work_order,
                tz=tz,
                subject=Subject(line=line, supplier_id=receipt.factory_id),
            )
        )
        children.append((child, weighings[-1]))
    weighed = sum((kg(w.net_g) for w in weighings), Decimal(0))
    weighings.append(
        record(
            actor,
            sid,
            stage=Stage.SORT,
            point=CP.SORT.value,
            total=True,
            gross=Gross(weighed, None, b"", "分拣合计（各产出之和）"),
            tares=[],
            standard_kg=kg(receipt.net_g) - _unweighed_residue(standards, seen, lines),
            category_id=receipt.category_id,
            now=now,
            package_id=receipt.id,
            work_order=work_order,
            tz=tz,
            subject=Subject(line=line, supplier_id=receipt.factory_id),
        )
    )
    receipt.state, receipt.remaining_g = PackageState.CONSUMED, 0
    passports.sorted_out(receipt, children, now)
    return weighings


def _unweighed_residue(standards: dict[str, Decimal], seen: set[str], lines: dict) -> Decimal:
    """A residue/loss line that is not weighed (dust, water) is expected to be missing."""
    return sum(
        (standards[name] for name, line_ in lines.items() if line_.residue and name not in seen),
        Decimal(0),
    )


def bale(
    actor: Actor,
    picks: dict[str, Decimal],
    gross: Gross,
    tares: list[TareSpec],
    *,
    now: datetime,
    tz: str,
    line: str = "",
    work_order: int | str | None = None,
) -> Weighing:
    """打包 (CP3): sorted packages (wholly or in part) pressed into a bale; A = Σ consumed,
    B = bale gross − pallet tare."""
    sid = writer(actor)
    picks = {label.strip().upper(): amount for label, amount in picks.items()}
    if not picks:
        raise Invalid("请扫描要打包的分拣标签", {"picks": "empty"})
    batches, packages = [], {}
    for label in sorted(picks):
        package = package_by_label(sid, label, lock=True)
        require_state(package, PackageState.SORTED)
        packages[package.label] = package
        batches.append(quota.SortedBatch(package.label, package.material, kg(package.remaining_g)))
    materials = {p.material for p in packages.values()}
    if len(materials) > 1:
        raise Invalid("一个包只能打同一种物料", {"picks": "mixed materials"})
    allocation = quota.consume_from(batches, picks, material=materials.pop())
    standard = quota.bale_standard(allocation.consumptions)
    pure_tares, _ = resolve_tares(sid, tares, now)
    b = quota.net(gross.kg, pure_tares, now)
    first = next(iter(packages.values()))
    bale_package = make_package(
        sid,
        Stage.BALE,
        PackageState.BALED,
        grams(b, "net"),
        now,
        tz,
        category_id=first.category_id,
        material=first.material,
        factory_id=first.factory_id,
    )
    taken_from = []
    for c in allocation.consumptions:
        source = packages[c.batch_ref]
        taken = grams(c.kg, "picks")
        taken_from.append((source, taken))
        db.session.add(PackageLink(parent_id=source.id, child_id=bale_package.id, grams=taken))
        source.remaining_g -= taken
        if source.remaining_g == 0:
            source.state = PackageState.CONSUMED
    weighing = record(
        actor,
        sid,
        stage=Stage.BALE,
        point=CP.BALE.value,
        gross=gross,
        tares=pure_tares,
        standard_kg=standard,
        category_id=first.category_id,
        now=now,
        package_id=bale_package.id,
        work_order=work_order,
        tz=tz,
        subject=Subject(line=line, supplier_id=first.factory_id),
    )
    passports.baled(taken_from, bale_package, weighing, now)
    return weighing


def warehouse_in(
    actor: Actor,
    bale_label: str,
    location: str,
    gross: Gross,
    tares: list[TareSpec],
    *,
    now: datetime,
    tz: str = DEFAULT_TZ,
    work_order: int | str | None = None,
) -> Weighing:
    """入库: a bale re-weighed onto a location; it must weigh what it weighed when baled."""
    sid = writer(actor)
    package = package_by_label(sid, bale_label, lock=True)
    require_state(package, PackageState.BALED)
    place = setup.location_by_code(sid, location)
    pure_tares, _ = resolve_tares(sid, tares, now)
    weighing = record(
        actor,
        sid,
        stage=Stage.WAREHOUSE_IN,
        point=Stage.WAREHOUSE_IN.value,
        gross=gross,
        tares=pure_tares,
        standard_kg=kg(package.net_g),
        category_id=package.category_id,
        now=now,
        package_id=package.id,
        work_order=work_order,
        tz=tz,
        subject=Subject(supplier_id=package.factory_id),
    )
    package.state, package.location_id = PackageState.IN_STOCK, place.id
    stock.stored(package, at=now, weighing_id=weighing.id, operator_id=weighing.operator_id)
    passports.stored(package, place.code, weighing, now)
    return weighing


# What a package must still be for its weighing to be redone: nothing downstream used it yet.
REWEIGHABLE = {
    Stage.RECEIVE: PackageState.RECEIVED,
    Stage.BALE: PackageState.BALED,
    Stage.WAREHOUSE_IN: PackageState.IN_STOCK,
}


def reweigh(
    actor: Actor,
    weighing_id: int,
    gross: Gross,
    tares: list[TareSpec],
    *,
    now: datetime,
) -> Weighing:
    """A re-weigh: a new record pointing at the one it corrects (records are never edited),
    checked against the same standard; the package takes the new net weight. Only while
    nothing downstream has used the package yet."""
    sid = writer(actor)
    old = db.session.scalar(
        sa.select(Weighing).where(Weighing.id == weighing_id, Weighing.station_id == sid)
    )
    if old is None:
        raise NotFound("称重记录不存在")
    if old.stage not in REWEIGHABLE or old.total or old.package_id is None:
        raise Conflict("该环节的称重不能复称", {"weighing": f"stage {old.stage.value}"})
    newer = db.session.scalar(sa.select(Weighing.id).where(Weighing.replaces_id == old.id))
    if newer is not None:
        raise Conflict("该记录已被复称，请复称最新的记录", {"weighing": f"replaced by {newer}"})
    package = db.session.scalar(
        sa.select(Package).where(Package.id == old.package_id).with_for_update()
    )
    require_state(package, REWEIGHABLE[old.stage])
    pure_tares, _ = resolve_tares(sid, tares, now)
    new = record(
        actor,
        sid,
        stage=old.stage,
        point=old.control_point,
        gross=gross,
        tares=pure_tares,
        standard_kg=kg(old.standard_g) if old.standard_g is not None else None,
        category_id=old.category_id,
        now=now,
        package_id=package.id,
        delivery_id=old.delivery_id,
        work_order_id=old.work_order_id,
        replaces_id=old.id,
        subject=Subject(line=old.line, vehicle_plate=old.vehicle_plate, supplier_id=old.factory_id),
    )
    if old.stage is not Stage.WAREHOUSE_IN:  # warehouse-in checks the bale, it does not remake it
        package.net_g = package.remaining_g = new.net_g
    audit.record(
        "weighing.reweighed",
        user_id=actor.user_id,
        organization_id=sid,
        target=f"weighing:{old.id}",
        replaced_by=new.id,
        net_g_before=old.net_g,
        net_g_after=new.net_g,
    )
    return new
