"""The demo station's last 30 days: factories' production records and deliveries, receiving on
the weighbridge, sorting, baling, warehouse-in, weekly outbound loads to the demo recycler paid
from its escrow — and a few real anomalies with their alerts in different states.

Everything goes through the station's services with times in the past, so the history obeys
every rule an operator would meet: a 12 % shortfall (tier 2, resolved), a 6 % excess (tier 1,
resolved), a bale typed in by hand while the bench scale was down (tier 1, reason filed and
waiting for approval), three tier-1 shortfalls of one factory in a day (the third raised to
tier 2 by the repeat rule, then escalated to tier 3 when nobody handled it), a truck whose
standard tare had expired (refused, then weighed with a measured tare), a receipt re-weighed, a
stock-take that found a bale 0.6 kg light, and the last days' alerts still open. Deterministic
for a given seed and anchor time; runs once (nothing happens when the station has weighings).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.models import Organization, User
from marketplace.trading import escrow, ledger
from station import alerts as rules
from station import quota
from station.models import (
    Alert,
    Delivery,
    Package,
    PackageState,
    RecordKind,
    Scale,
    Stage,
    TareKind,
    Weighing,
)
from station.services import alerts, outbound, setup, stages, stock
from station.services.common import package_by_label
from station.services.weigh import Gross, TareSpec, manual, tolerance_for

TZ = "Asia/Shanghai"
DAYS = 30
INPUT = "PL-MIXED"
RATIOS = [
    {"label": "高值塑料", "grade": "PL-PP-REGRIND", "ratio": "0.85"},
    {"label": "二类纸", "grade": "PA-MIXED", "ratio": "0.12"},
    {"label": "损耗", "ratio": "0.03", "residue": True},
]
BALE_KG = Decimal(230)  # what the 300 kg bench scale takes with the pallet
PALLET = TareSpec(TareKind.PALLET, "PLT-1210")
PALLET_KG = Decimal(18)
BOX = TareSpec(TareKind.CONTAINER, "BOX-60")
TRUCKS = {"粤S21876": Decimal(4200), "粤S35017": Decimal(4860), "粤S66629": Decimal(5120)}
EXPIRING = "粤S66629"  # its standard tare lapses on day 20; afterwards it is measured
PRICE_FEN_PER_T = 520_000  # 5,200 CNY/t for PP regrind
SHIP_EVERY = 7
# day → what goes wrong that day (the index of the factory's delivery it concerns)
SHORTFALL_DAY, EXCESS_DAY, MANUAL_DAY, REPEAT_DAY, REWEIGH_DAY = 5, 9, 12, 15, 25
EXPIRED_DAY, STOCKTAKE_DAY, ACK_DAY = 22, 20, DAYS - 3


@dataclass
class Station:
    """Who acts, on which scales, for whom."""

    org: Organization
    manager: Actor
    operator: Actor
    approver: Actor
    factories: list[Organization]
    buyer: Organization
    bridge: Scale
    platform: Scale
    bench: Scale


def _station() -> Station | None:
    user = db.session.scalar(sa.select(User).where(User.username == "demo-station"))
    admin = db.session.scalar(sa.select(User).where(User.username == "demo-admin"))
    buyer = db.session.scalar(
        sa.select(Organization).join(User).where(User.username == "demo-recycler")
    )
    if user is None or admin is None or buyer is None:
        return None
    org = user.organization
    scales = {
        s.name_zh: s
        for s in db.session.scalars(sa.select(Scale).where(Scale.organization_id == org.id))
    }
    factories = list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.kind == OrgKind.PRODUCER, Organization.park_id == org.park_id)
            .order_by(Organization.id)
            .limit(3)
        )
    )
    if len(factories) < 3 or not {"收料地磅", "分拣平台秤", "打包台秤"} <= set(scales):
        return None
    return Station(
        org=org,
        manager=Actor(user.id, org.id, OrgKind.STATION, Role.MANAGER),
        operator=Actor(None, org.id, OrgKind.STATION, Role.OPERATOR),  # type: ignore[arg-type]
        approver=Actor(admin.id, admin.organization_id, OrgKind.ADMIN, Role.MANAGER),
        factories=factories,
        buyer=buyer,
        bridge=scales["收料地磅"],
        platform=scales["分拣平台秤"],
        bench=scales["打包台秤"],
    )


def _read(scale: Scale, kg: Decimal) -> Gross:
    """A stable reading of `scale`, rounded to its division, with the frame it came in."""
    e = Decimal(scale.division_g) / 1000
    value = (kg / e).quantize(Decimal(1), ROUND_HALF_UP) * e
    frame = f"{scale.protocol.value}:{scale.id}:{value}".encode()
    return Gross(value.quantize(Decimal("0.001")), scale.id, hashlib.sha256(frame).digest())


def _standing_data(s: Station, start: datetime) -> None:
    op = s.manager
    long_ago = start - timedelta(days=60)
    for plate, tare in TRUCKS.items():
        until = start + timedelta(days=EXPIRED_DAY) if plate == EXPIRING else None
        setup.add_tare(op, TareKind.VEHICLE, plate, tare, long_ago, until)
    setup.add_tare(op, TareKind.CONTAINER, BOX.ref, Decimal("2.5"), long_ago, None)
    setup.add_tare(op, TareKind.PALLET, PALLET.ref, PALLET_KG, long_ago, None)
    setup.add_ratio_set(op, INPUT, RATIOS, long_ago)
    for code, name in (
        ("A-01", "一号库位（高值塑料）"),
        ("A-02", "二号库位"),
        ("B-01", "纸类库位"),
    ):
        setup.add_location(op, code, name)


def _tolerance_kg(s: Station, a: Decimal) -> Decimal:
    """C of a receipt of `a` kg on the weighbridge (to place the anomalies in their tiers)."""
    category = setup.category(INPUT).id
    division = Decimal(s.bridge.division_g) / 1000
    policy = tolerance_for(s.org.id, "receive", category)
    check = quota.check(a, a - Decimal("0.001"), policy, division_kg=division)
    assert check.c is not None
    return check.c


def _receive(
    s: Station, rng: random.Random, day: int, n: int, at: datetime, deviation: Decimal
) -> tuple[Weighing, list[TareSpec]]:
    """One factory's delivery of the day: its production record, the note, two packages
    weighed at the factory gate, and the truck on the weighbridge (B = A + deviation)."""
    factory = s.factories[0 if day == REPEAT_DAY else (day + n) % len(s.factories)]
    local = at.astimezone(ZoneInfo(TZ)).date()
    cases = rng.randrange(36, 48)
    record = setup.add_production_record(
        s.manager,
        station_id=s.org.id,
        factory_id=factory.id,
        kind=RecordKind.OUTPUT,
        reference=f"WO-{local:%m%d}-{n + 1:02d}",
        grade=INPUT,
        quantity=Decimal(cases),
        unit="箱",
        factor=Decimal(25),
        factor_unit="箱",
        record_date=local,
    )
    plate = list(TRUCKS)[(day + n) % len(TRUCKS)]
    delivery = setup.create_delivery(
        s.manager,
        station_id=s.org.id,
        factory_id=factory.id,
        number=f"SL-{local:%Y%m%d}-{n + 1:02d}",
        grade=INPUT,
        record_ids=[record.id],
        vehicle_plate=plate,
        now=at,
    )
    a = Decimal(cases * 25)
    parts = [a / 2 + Decimal("2.5"), a - a / 2 + Decimal("2.5")]
    stages.deliver(
        s.manager,
        delivery.id,
        [(_read(s.platform, kg), (BOX,)) for kg in parts],
        now=at,
        tz=TZ,
    )
    b = a + deviation if deviation else a * Decimal(1 + rng.uniform(-0.008, 0.008))
    tare = [TareSpec(TareKind.VEHICLE, plate)]
    gross = _read(s.bridge, TRUCKS[plate] + b)
    later = at + timedelta(minutes=40)
    if day >= EXPIRED_DAY and plate == EXPIRING:
        try:
            with db.session.begin_nested():  # refused: nothing of it is written
                stages.receive(s.manager, delivery.id, gross, tare, now=later, tz=TZ)
        except quota.ExpiredTare:
            measured = TRUCKS[plate] + Decimal(rng.randrange(-20, 21))
            tare = [TareSpec(TareKind.VEHICLE, plate, measured_kg=measured)]
            gross = _read(s.bridge, measured + b)
    received = stages.receive(s.manager, delivery.id, gross, tare, now=later, tz=TZ, line="一线")
    return received, tare


def _sort_and_bale(
    s: Station, rng: random.Random, receipt_label: str, at: datetime, *, typed: bool = False
) -> list[Package]:
    """Sort a receipt by its ratios, bale the outputs on the bench and store the bales;
    `typed`: the bench scale is down for the first bale, which is typed in by hand."""
    receipt = package_by_label(s.org.id, receipt_label)
    net = Decimal(receipt.net_g) / 1000
    outputs = [
        stages.Output(
            line["label"],
            _read(s.platform, net * Decimal(line["ratio"]) * Decimal(1 + rng.uniform(-0.01, 0.01))),
        )
        for line in RATIOS
        if not line.get("residue")
    ]
    sorted_ = stages.sort(s.manager, receipt.label, outputs, now=at, tz=TZ, line="一线")
    bales = []
    minute = 0
    for weighing in sorted_[:-1]:
        package = db.session.get(Package, weighing.package_id)
        assert package is not None
        while package.remaining_g > 0:
            minute += 6
            take = min(BALE_KG, Decimal(package.remaining_g) / 1000)
            when = at + timedelta(hours=1, minutes=minute)
            gross = _read(s.bench, take + PALLET_KG + Decimal(rng.uniform(-0.2, 0.2)))
            if typed and not bales:
                gross = manual(gross.kg, "打包台秤通讯故障，按磅单手工录入")
            baled = stages.bale(
                s.manager, {package.label: take}, gross, [PALLET], now=when, tz=TZ, line="打包组"
            )
            bale = db.session.get(Package, baled.package_id)
            assert bale is not None
            where = "B-01" if bale.material == "二类纸" else ("A-01", "A-02")[len(bales) % 2]
            reweighed = _read(s.bench, Decimal(bale.net_g) / 1000 + PALLET_KG)  # scale back
            stages.warehouse_in(
                s.manager, bale.label, where, reweighed, [PALLET], now=when + timedelta(minutes=3)
            )
            bales.append(bale)
    return bales


def _ship(s: Station, rng: random.Random, at: datetime) -> None:
    """A week's high-value bales leave on one truck: a plan for them, approved against the
    recycler's escrow (topped up by bank transfer when short), the load, the plan closed."""
    bales = list(
        db.session.scalars(
            sa.select(Package)
            .where(
                Package.station_id == s.org.id,
                Package.state == PackageState.IN_STOCK,
                Package.material == "高值塑料",
            )
            .order_by(Package.id)
        )
    )
    if not bales:
        return
    total = sum((Decimal(b.remaining_g) / 1000 for b in bales), Decimal(0))
    plan = outbound.create_plan(
        s.manager,
        buyer_id=s.buyer.id,
        grade="PL-PP-REGRIND",
        planned_kg=total,
        unit_price_fen_per_t=PRICE_FEN_PER_T,
        now=at,
    )
    needed = outbound.required_fen(plan) * 102 // 100  # a margin for the weighed difference
    short = needed - escrow.balances(s.buyer.id)["available"]
    if short > 0:
        fen = -(-short // 1_000_000) * 1_000_000
        escrow.post(ledger.top_up(s.buyer.id, fen), reference="银行转账（演示）")
    outbound.approve(s.manager, plan.id, now=at)
    plate = "粤S21876"
    outbound.load(
        s.manager,
        plan.id,
        vehicle_plate=plate,
        gross=_read(s.bridge, TRUCKS[plate] + total + Decimal(rng.uniform(-8, 8))),
        vehicle_tare=TareSpec(TareKind.VEHICLE, plate),
        labels=[b.label for b in bales],
        vehicle_capacity_kg=Decimal(30_000),
        now=at + timedelta(minutes=30),
    )
    outbound.close_plan(s.manager, plan.id, now=at + timedelta(hours=1))


def _handle(s: Station, weighing: Weighing, steps: str, at: datetime) -> None:
    """Move the weighing's alert: 'a' acknowledge, 'f' file a reason, 'p' approve."""
    alert = db.session.scalar(sa.select(Alert).where(Alert.weighing_id == weighing.id))
    assert alert is not None
    high = alert.tier >= 2
    handler = s.manager if high else s.operator
    for i, step in enumerate(steps):
        when = at + timedelta(minutes=20 * (i + 1))
        if step == "a":
            alerts.act(handler, alert.id, rules.Action.ACKNOWLEDGE, now=when)
        elif step == "f":
            reason = "已与产废企业核对生产记录，差异原因已查明"
            alerts.act(handler, alert.id, rules.Action.FILE, reason=reason, now=when)
        else:
            approver = s.approver if high else s.manager
            alerts.act(approver, alert.id, rules.Action.APPROVE, now=when)


def _day(s: Station, rng: random.Random, day: int, start: date) -> None:
    morning = datetime.combine(start + timedelta(days=day), time(8, 30), ZoneInfo(TZ))
    c = _tolerance_kg(s, Decimal(1000))
    deliveries = 3 if day == REPEAT_DAY else 2
    for n in range(deliveries):
        at = morning + timedelta(hours=3 * n)
        deviation = Decimal(0)
        if day == SHORTFALL_DAY and n == 0:
            deviation = Decimal(-1000) * Decimal("0.12")
        elif day == EXCESS_DAY and n == 1:
            deviation = Decimal(1000) * Decimal("0.06")
        elif day == REPEAT_DAY or (day in (ACK_DAY, DAYS - 1) and n == 1):
            deviation = -c * Decimal("1.5")  # tier 1 each: |D| / C = 1.5
        received, tare = _receive(s, rng, day, n, at, deviation)
        receipt = db.session.get(Package, received.package_id)
        assert receipt is not None
        if day == REWEIGH_DAY and n == 0:  # the driver moved on the bridge: weighed again
            again = _read(s.bridge, Decimal(received.gross_g) / 1000 + Decimal(20))
            stages.reweigh(s.manager, received.id, again, tare, now=at + timedelta(minutes=50))
        if received.tier:
            steps = {ACK_DAY: "a", DAYS - 1: ""}.get(day, "afp")
            if day == REPEAT_DAY and n == deliveries - 1:
                steps = ""  # the one the repeat rule raised: nobody handles it in time
            _handle(s, received, steps, at + timedelta(hours=1))
        typed = day == MANUAL_DAY and n == 0
        _sort_and_bale(s, rng, receipt.label, at + timedelta(hours=1, minutes=30), typed=typed)
    if day == MANUAL_DAY:
        typed = db.session.scalar(
            sa.select(Weighing).where(
                Weighing.station_id == s.org.id, Weighing.manual, Weighing.stage == Stage.BALE
            )
        )
        assert typed is not None
        _handle(s, typed, "af", morning + timedelta(hours=10))
    if day == REPEAT_DAY + 2:  # the repeat-raised alert's 24 h have passed
        alerts.escalate_due(now=morning)
    if day == STOCKTAKE_DAY:
        paper = db.session.scalar(
            sa.select(Package)
            .where(Package.station_id == s.org.id, Package.state == PackageState.IN_STOCK)
            .where(Package.material == "二类纸")
            .order_by(Package.id)
        )
        if paper is not None:
            counted = Decimal(paper.remaining_g - 600) / 1000
            stock.stocktake(s.manager, paper.label, counted, "月中盘点：包体受潮减重", now=morning)
    if day % SHIP_EVERY == SHIP_EVERY - 1:
        _ship(s, rng, morning + timedelta(hours=9))


def seed_station(*, now: datetime, days: int = DAYS, seed: int = 20261202) -> int:
    """Play the demo station's last `days` days up to yesterday; returns its weighings
    (0 when it has played them before, or the demo cluster is missing). "Before" is told by the
    seed's own delivery notes (`SL-<date>-NN`), so weighings a user made on the demo station
    since do not stop a fresh seed of history."""
    s = _station()
    if s is None:
        return 0
    played = sa.select(Delivery.id).where(
        Delivery.station_id == s.org.id, Delivery.number.like("SL-2%")
    )
    if db.session.scalar(played.limit(1)):
        return 0
    rng = random.Random(seed)
    today = now.astimezone(ZoneInfo(TZ)).date()
    start = today - timedelta(days=days)
    _standing_data(s, datetime.combine(start, time(0), ZoneInfo(TZ)))
    for day in range(days):
        _day(s, rng, day, start)
    db.session.flush()
    return (
        db.session.scalar(
            sa.select(sa.func.count(Weighing.id)).where(Weighing.station_id == s.org.id)
        )
        or 0
    )
