"""A month of a busy station for the station benchmark: standing data through the services,
then 30 days × ~2,000 weighings bulk-loaded with Core executemany.

Going around the services is on purpose (60,000 weighings through `stages` take minutes; the
"record" section times that path on its own). The rows are what the services write for the
same flow: per receipt, two packages delivered and weighed at the gate, the receipt (CP1), two
sorted outputs and the sort total (CP2), four bales (CP3) stored on a location (入库 with its
ledger move), and weekly outbound loads taking the high-value bales out (the ledger's out
moves); about 2 % of the checks are anomalies with their alerts. Ids are assigned here so the
lineage needs no RETURNING round trips; the sequences are moved past them afterwards.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = "Asia/Shanghai"
UNIT_WEIGHINGS = 14  # weighings per receipt: 2 + 1 + 3 + 4 + 4
SHARES = (("高值塑料", "PL-PP-REGRIND", Decimal("0.85")), ("二类纸", "PA-MIXED", Decimal("0.12")))


@dataclass
class Bench:
    """What the set-up made: the station, its actor, scale, location and factories."""

    station_id: int
    actor: Any
    scale_id: int
    location_ids: list[int]
    factory_ids: list[int]
    buyer_id: int
    record_id: int
    first_day: Any
    days: int
    counts: dict[str, int] = field(default_factory=dict)


def set_up(app: Any, *, factories: int, first_day: Any, days: int, seed: int = 12) -> Bench:
    """Reference data, a station with its standing data (through the services), factories
    (`seed` for their credit codes: another seeding in the same database needs its own)."""
    from core import uscc
    from core.auth import Actor
    from core.db import db
    from core.enums import OrgKind, Role
    from core.models import Organization
    from marketplace.seed.services import seed_reference_data
    from station.models import RecordKind, Scale, ScaleProtocol, TareKind
    from station.services import setup

    rng = random.Random(seed)
    with app.app_context():
        seed_reference_data()

        def org(kind: OrgKind, name: str) -> Organization:
            row = Organization(
                kind=kind,
                legal_name=name,
                uscc=uscc.generate("441900", rng),
                address="广东省东莞市长安镇",
                division_code="441900",
                lat=22.8,
                lon=113.8,
            )
            db.session.add(row)
            return row

        station = org(OrgKind.STATION, "基准回收站")
        buyer = org(OrgKind.RECYCLER, "基准回收利用企业")
        plants = [org(OrgKind.PRODUCER, f"基准产废企业{i:02d}") for i in range(factories)]
        db.session.flush()
        actor = Actor(None, station.id, OrgKind.STATION, Role.MANAGER)  # type: ignore[arg-type]
        since = datetime.combine(first_day, time(0), ZoneInfo(TZ)) - timedelta(days=30)
        setup.add_tare(actor, TareKind.VEHICLE, "粤S12345", Decimal(4200), since, None)
        setup.add_tare(actor, TareKind.PALLET, "PLT-1210", Decimal(18), since, None)
        setup.add_ratio_set(
            actor,
            "PL-MIXED",
            [
                {"label": "高值塑料", "grade": "PL-PP-REGRIND", "ratio": "0.85"},
                {"label": "二类纸", "grade": "PA-MIXED", "ratio": "0.12"},
                {"label": "损耗", "ratio": "0.03", "residue": True},
            ],
            since,
        )
        locations = [setup.add_location(actor, f"A-{i:02d}", f"库位{i}").id for i in (1, 2, 3)]
        scale = Scale(
            organization_id=station.id,
            name_zh="收料地磅",
            protocol=ScaleProtocol.XK3190,
            port="/dev/ttyUSB0",
            capacity_kg=60_000,
            division_g=100,
        )
        db.session.add(scale)
        record = setup.add_production_record(
            actor,
            station_id=station.id,
            factory_id=plants[0].id,
            kind=RecordKind.OUTPUT,
            reference="WO-BENCH",
            grade="PL-MIXED",
            quantity=Decimal(400),
            unit="箱",
            factor=Decimal("2.5"),
            factor_unit="箱",
            record_date=first_day,
        )
        db.session.commit()
        return Bench(
            station.id,
            actor,
            scale.id,
            locations,
            [p.id for p in plants],
            buyer.id,
            record.id,
            first_day,
            days,
        )


def delivery_note(bench: Bench, number: str, *, now: Any, vehicle_plate: str = "") -> Any:
    """An open delivery note (送料单) from the first factory against its production record,
    through the service (inside an app context; the caller commits)."""
    from station.services import setup

    return setup.create_delivery(
        bench.actor,
        station_id=bench.station_id,
        factory_id=bench.factory_ids[0],
        number=number,
        grade="PL-MIXED",
        record_ids=[bench.record_id],
        vehicle_plate=vehicle_plate,
        now=now,
    )


class _Rows:
    """Rows per table with ids handed out here, flushed in batches (parents first). Every
    row of a table carries the same keys (executemany needs that): the defaults fill in."""

    ORDER = ("deliveries", "packages", "links", "weighings", "alerts", "moves")
    DEFAULTS: dict[str, dict[str, Any]] = {
        "packages": dict.fromkeys(("category_id", "delivery_id", "location_id", "factory_id"))
        | {"material": ""},
        "weighings": dict.fromkeys(
            ("package_id", "delivery_id", "category_id", "factory_id", "standard_g", "ratio_x")
        )
        | dict.fromkeys(("tolerance_g", "deviation_g"))
        | {"total": False, "manual": False, "manual_reason": "", "tares": []},
        "moves": {"weighing_id": None, "reason": ""},
    }

    def __init__(self, conn: sa.Connection, tables: dict[str, sa.Table], start: int) -> None:
        self.conn, self.tables = conn, tables
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in self.ORDER}
        self.next_id = dict.fromkeys(self.ORDER, start)
        self.counts = dict.fromkeys(self.ORDER, 0)

    def add(self, name: str, **row: Any) -> int:
        if name != "links":
            row["id"] = self.next_id[name]
            self.next_id[name] += 1
        row = self.DEFAULTS.get(name, {}) | row
        self.rows[name].append(row)
        self.counts[name] += 1
        return row.get("id", 0)

    def flush(self) -> None:
        for name in self.ORDER:
            if self.rows[name]:
                self.conn.execute(sa.insert(self.tables[name]), self.rows[name])
                self.rows[name] = []


def load(app: Any, bench: Bench, *, per_day: int, seed: int = 6) -> dict[str, int]:
    """Bulk-load `bench.days` days of about `per_day` weighings; returns row counts."""
    from core.catalogue import Category
    from core.db import db
    from station import labels
    from station.models import (
        Alert,
        Delivery,
        Package,
        PackageLink,
        PackageState,
        Stage,
        StockMove,
        Weighing,
    )

    rng = random.Random(seed)
    tables = {
        "deliveries": Delivery.__table__,
        "packages": Package.__table__,
        "links": PackageLink.__table__,
        "weighings": Weighing.__table__,
        "alerts": Alert.__table__,
        "moves": StockMove.__table__,
    }
    zone = ZoneInfo(TZ)
    with app.app_context():
        codes = dict(db.session.execute(sa.select(Category.code, Category.id)).all())
        with db.engine.begin() as conn:
            rows = _Rows(conn, tables, 1_000_000)  # far above what the set-up wrote
            in_stock: list[tuple[int, int, int, int]] = []  # bale, grams, location, category
            sid = bench.station_id

            def weigh(stage: Stage, at: datetime, net: int, a: int | None, **extra: Any) -> int:
                c = None if a is None else max(2_000, a * 2 // 100)
                anomaly = a is not None and rng.random() < 0.02
                b = net if not anomaly or a is None else a - 3 * c  # a shortfall of 3 C
                d = None if a is None else b - a
                result = "normal" if a is None or abs(d) <= c else "anomaly"
                wid = rows.add(
                    "weighings",
                    station_id=sid,
                    stage=stage,
                    control_point=stage.value if a is not None else "",
                    scale_id=bench.scale_id,
                    gross_g=b + 18_000,
                    net_g=b,
                    standard_g=a,
                    tolerance_g=c,
                    deviation_g=d,
                    result=result,
                    sign=""
                    if d is None
                    else ("shortfall" if d < 0 else "excess" if d else "exact"),
                    ratio_x=None if d is None else Decimal(abs(d)) / Decimal(c),
                    tier=2 if result == "anomaly" else 0,
                    raw_sha256=f"{rng.getrandbits(256):064x}",
                    created_at=at,
                    **extra,
                )
                if result == "anomaly":
                    rows.add(
                        "alerts",
                        station_id=sid,
                        weighing_id=wid,
                        tier=2,
                        base_tier=2,
                        reason="tolerance",
                        state="open",
                        opened_at=at,
                        due_at=at + timedelta(hours=24),
                    )
                return wid

            sequence: dict[tuple[Stage, Any], int] = {}

            def package(stage: Stage, state: PackageState, grams: int, at: datetime, **extra: Any):
                day = at.astimezone(zone).date()  # labels as the services draw them
                seq = sequence[(stage, day)] = sequence.get((stage, day), 0) + 1
                return rows.add(
                    "packages",
                    station_id=sid,
                    label=labels.label_id(f"ST{sid:02d}", stage.value, day, seq),
                    stage=stage,
                    state=state,
                    net_g=grams,
                    remaining_g=grams if state is not PackageState.CONSUMED else 0,
                    created_at=at,
                    **extra,
                )

            units = max(1, per_day // UNIT_WEIGHINGS)
            for day in range(bench.days):
                local = bench.first_day + timedelta(days=day)
                opening = datetime.combine(local, time(8), zone).astimezone(UTC)
                for u in range(units):
                    at = opening + timedelta(seconds=u * 12 * 3600 // units)
                    factory = bench.factory_ids[u % len(bench.factory_ids)]
                    mixed = codes["PL-MIXED"]
                    number = f"SL{day:02d}{u:04d}"
                    did = rows.add(
                        "deliveries",
                        station_id=sid,
                        factory_id=factory,
                        number=number,
                        category_id=mixed,
                        vehicle_plate="粤S12345",
                        created_at=at,
                        received_at=at,
                    )
                    a = rng.randrange(800, 1200) * 1000
                    common = {"factory_id": factory, "category_id": mixed}
                    parts = [a // 2, a - a // 2]
                    delivered = []
                    for grams in parts:
                        pid = package(
                            Stage.DELIVER,
                            PackageState.CONSUMED,
                            grams,
                            at,
                            delivery_id=did,
                            **common,
                        )
                        weigh(Stage.DELIVER, at, grams, None, package_id=pid, **common)
                        delivered.append((pid, grams))
                    b = a + rng.randrange(-8000, 8000)
                    receipt = package(
                        Stage.RECEIVE, PackageState.CONSUMED, b, at, delivery_id=did, **common
                    )
                    for pid, grams in delivered:
                        rows.add("links", parent_id=pid, child_id=receipt, grams=grams)
                    weigh(Stage.RECEIVE, at, b, a, package_id=receipt, delivery_id=did, **common)
                    later = at + timedelta(minutes=30)
                    outputs = []
                    for label, code, share in SHARES:
                        std = int(b * share)
                        net = std + rng.randrange(-3000, 3000)
                        cat = codes[code]
                        pid = package(
                            Stage.SORT,
                            PackageState.CONSUMED,
                            net,
                            later,
                            material=label,
                            factory_id=factory,
                            category_id=cat,
                        )
                        rows.add("links", parent_id=receipt, child_id=pid, grams=net)
                        weigh(
                            Stage.SORT, later, net, std, package_id=pid, factory_id=factory,
                            category_id=cat,
                        )  # fmt: skip
                        outputs.append((pid, net, label, cat))
                    weighed = sum(o[1] for o in outputs)
                    weigh(
                        Stage.SORT, later, weighed, int(b * Decimal("0.97")), total=True,
                        manual=True, manual_reason="分拣合计", package_id=receipt, **common,
                    )  # fmt: skip
                    baled_at = later + timedelta(minutes=30)
                    for k, (pid, net, label, cat) in enumerate(outputs):
                        pieces = 3 if k == 0 else 1
                        for j in range(pieces):
                            take = net // pieces if j < pieces - 1 else net - net // pieces * j
                            location = bench.location_ids[(u + j) % len(bench.location_ids)]
                            bale = package(
                                Stage.BALE,
                                PackageState.IN_STOCK,
                                take,
                                baled_at,
                                material=label,
                                factory_id=factory,
                                category_id=cat,
                                location_id=location,
                            )
                            rows.add("links", parent_id=pid, child_id=bale, grams=take)
                            extra = {"package_id": bale, "factory_id": factory, "category_id": cat}
                            weigh(Stage.BALE, baled_at, take, take, **extra)
                            wid = weigh(Stage.WAREHOUSE_IN, baled_at, take, take, **extra)
                            rows.add(
                                "moves",
                                station_id=sid,
                                location_id=location,
                                package_id=bale,
                                category_id=cat,
                                material=label,
                                kind="in",
                                grams=take,
                                weighing_id=wid,
                                at=baled_at,
                            )
                            if k == 0:
                                in_stock.append((bale, take, location, cat))
                if day % 7 == 6:  # the week's high-value bales leave
                    leave = opening + timedelta(hours=12, minutes=30)
                    for bale, grams, location, cat in in_stock:
                        rows.add(
                            "moves",
                            station_id=sid,
                            location_id=location,
                            package_id=bale,
                            category_id=cat,
                            material="高值塑料",
                            kind="out",
                            grams=grams,
                            at=leave,
                        )
                    shipped = [b[0] for b in in_stock]
                    in_stock = []
                    rows.flush()
                    conn.execute(
                        sa.update(Package.__table__)
                        .where(Package.__table__.c.id.in_(shipped))
                        .values(state=PackageState.SHIPPED, remaining_g=0, location_id=None)
                    )
                rows.flush()
            if conn.dialect.name == "postgresql":
                for name in _Rows.ORDER:
                    if name != "links":
                        table = tables[name].name
                        conn.execute(
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"
                            )
                        )
        return dict(rows.counts)
