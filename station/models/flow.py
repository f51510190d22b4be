"""What moves through a station: production records, delivery notes, labelled packages and
their lineage, every weighing with its quota check, deductions, and work orders.

Weighings are records, never edited: a re-weigh is a new row pointing at the one it replaces
(`replaces_id`), and the ORM refuses an UPDATE of a weighing (see `station.models.guard`).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.catalogue import Category
from core.db import UTCDateTime, db
from core.enums import enum_column
from core.time import utcnow


class Stage(enum.StrEnum):
    """The six stages every kilogram passes, in order."""

    DELIVER = "deliver"  # 送料
    RECEIVE = "receive"  # 收料
    SORT = "sort"  # 分拣
    BALE = "bale"  # 打包
    WAREHOUSE_IN = "warehouse_in"  # 入库
    WAREHOUSE_OUT = "warehouse_out"  # 出库


class RecordKind(enum.StrEnum):
    """How a production record gives waste: plan × base weight, output × yield per case,
    handover quantity × loss ratio."""

    PLAN = "plan"
    OUTPUT = "output"
    HANDOVER = "handover"


class ProductionRecord(db.Model):
    """A factory's production data that sets what it should deliver (the CP1 standard)."""

    __tablename__ = "station_production_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    factory_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind))
    reference: Mapped[str] = mapped_column(sa.String(40))  # 生产工单 / 交接单 number
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(16, 3))
    unit: Mapped[str] = mapped_column(sa.String(12))  # 件, 箱, kg …
    factor: Mapped[Decimal] = mapped_column(sa.Numeric(16, 6))  # kg of waste per unit, or ratio
    factor_unit: Mapped[str] = mapped_column(sa.String(12))  # the unit the factor is per
    record_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ProductionRecord {self.reference} {self.kind}>"


delivery_records = sa.Table(
    "station_delivery_records",
    db.metadata,
    sa.Column("delivery_id", sa.ForeignKey("station_deliveries.id"), primary_key=True),
    sa.Column("record_id", sa.ForeignKey("station_production_records.id"), primary_key=True),
)


class Delivery(db.Model):
    """A delivery note (送料单): what a factory sends, referencing its production records."""

    __tablename__ = "station_deliveries"
    __table_args__ = (sa.UniqueConstraint("station_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    factory_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    vehicle_plate: Mapped[str] = mapped_column(sa.String(16), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    records: Mapped[list[ProductionRecord]] = relationship(secondary=delivery_records)
    category: Mapped[Category] = relationship()

    def __repr__(self) -> str:
        return f"<Delivery {self.number}>"


class PackageState(enum.StrEnum):
    DELIVERED = "delivered"  # labelled at the factory, on its way
    RECEIVED = "received"  # weighed in at the station (a receipt)
    SORTED = "sorted"  # an output of sorting, waiting to be baled
    BALED = "baled"  # a bale, not yet stored
    IN_STOCK = "in_stock"  # stored at a location
    CONSUMED = "consumed"  # wholly used by a later stage
    SHIPPED = "shipped"  # left on an outbound load


class Package(db.Model):
    """Anything that carries a Code39 label: a delivered package, a receipt, a sorted output,
    a bale. `remaining_g` tracks partial consumption by the next stage."""

    __tablename__ = "station_packages"
    __table_args__ = (sa.CheckConstraint("remaining_g >= 0", name="remaining_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    label: Mapped[str] = mapped_column(sa.String(40), unique=True)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    state: Mapped[PackageState] = mapped_column(enum_column(PackageState), index=True)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    material: Mapped[str] = mapped_column(sa.String(60), default="")  # the ratio line's label
    net_g: Mapped[int] = mapped_column(sa.BigInteger)
    remaining_g: Mapped[int] = mapped_column(sa.BigInteger)
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_deliveries.id"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_locations.id"))
    factory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    category: Mapped[Category | None] = relationship()

    def __repr__(self) -> str:
        return f"<Package {self.label} {self.state}>"


class PackageLink(db.Model):
    """Lineage: `grams` of the parent went into the child (a split at sorting, a merge at
    baling, a delivered package into its receipt)."""

    __tablename__ = "station_package_links"

    parent_id: Mapped[int] = mapped_column(sa.ForeignKey("station_packages.id"), primary_key=True)
    # indexed: the reports walk lineage from a child back to what it came from
    child_id: Mapped[int] = mapped_column(
        sa.ForeignKey("station_packages.id"), primary_key=True, index=True
    )
    grams: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<PackageLink {self.parent_id}→{self.child_id} {self.grams} g>"


class WorkOrder(db.Model):
    """A stage's task for a shift and a line, with the people assigned to it."""

    __tablename__ = "station_work_orders"
    __table_args__ = (sa.UniqueConstraint("station_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    line: Mapped[str] = mapped_column(sa.String(20))  # 产线 / 班组
    shift: Mapped[str] = mapped_column(sa.String(10))  # 白班 / 夜班
    work_date: Mapped[date]
    assignees: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # user ids
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<WorkOrder {self.number} {self.stage}>"


class Weighing(db.Model):
    """One weighing (or a stage's total check) with its quota check: A, B, C, D and the result.

    Immutable once written. `raw_sha256` is the SHA-256 of the scale frame it was read from
    (empty for a manual entry, which carries a reason instead).
    """

    __tablename__ = "station_weighings"
    __table_args__ = (
        sa.Index("ix_station_weighings_station_time", "station_id", "created_at"),
        sa.CheckConstraint("manual = false OR manual_reason <> ''", name="manual_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    stage: Mapped[Stage] = mapped_column(enum_column(Stage))
    control_point: Mapped[str] = mapped_column(sa.String(16), default="")
    total: Mapped[bool] = mapped_column(default=False)  # a stage's total, not a scale reading
    package_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_packages.id"), index=True)
    delivery_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_deliveries.id"))
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_work_orders.id"))
    scale_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_scales.id"))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))
    factory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    manual: Mapped[bool] = mapped_column(default=False)
    manual_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    gross_g: Mapped[int] = mapped_column(sa.BigInteger)
    tares: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    net_g: Mapped[int] = mapped_column(sa.BigInteger)  # B
    standard_g: Mapped[int | None] = mapped_column(sa.BigInteger)  # A
    tolerance_g: Mapped[int | None] = mapped_column(sa.BigInteger)  # C on D's side
    deviation_g: Mapped[int | None] = mapped_column(sa.BigInteger)  # D = B − A
    result: Mapped[str] = mapped_column(sa.String(12))  # normal / anomaly / no_standard
    sign: Mapped[str] = mapped_column(sa.String(10), default="")  # shortfall / excess / exact
    ratio_x: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 4))  # |D| / C
    tier: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    raw_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    vehicle_plate: Mapped[str] = mapped_column(sa.String(16), default="")
    line: Mapped[str] = mapped_column(sa.String(20), default="")
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("station_weighings.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deductions: Mapped[list[Deduction]] = relationship(order_by="Deduction.id")
    package: Mapped[Package | None] = relationship()
    work_order: Mapped[WorkOrder | None] = relationship()

    def __repr__(self) -> str:
        return f"<Weighing {self.id} {self.stage} {self.result}>"


class Deduction(db.Model):
    """扣水 / 扣杂: recorded beside the weighing, never netted into B (so it hides no shortfall)."""

    __tablename__ = "station_deductions"
    __table_args__ = (sa.CheckConstraint("grams > 0", name="grams_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    weighing_id: Mapped[int] = mapped_column(sa.ForeignKey("station_weighings.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # moisture / impurity
    grams: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(200))

    def __repr__(self) -> str:
        return f"<Deduction {self.kind} {self.grams} g>"


@sa.event.listens_for(Weighing, "before_update")
def _never_edited(mapper: object, connection: object, target: Weighing) -> None:
    """A weighing is a record: a correction is a re-weigh that points at it, never an edit."""
    raise RuntimeError(f"station weighings are never edited (weighing {target.id})")
