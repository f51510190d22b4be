"""The dashboard's own tables: the versioned emission-factor table and what organisations report
monthly (value added, virgin and recycled input, station capacity), which no other table holds."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db
from core.time import utcnow
from marketplace.dispatch.models import PickupRequest, RouteStop
from marketplace.lots.models import Lot
from marketplace.trading.models import Sale, Trade
from station.models.flow import Weighing


class DashboardFactor(db.Model):
    """One emission factor of one edition; a dashboard reads one `version` only."""

    __tablename__ = "dashboard_factors"
    __table_args__ = (sa.UniqueConstraint("version", "key", name="version_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120))
    material: Mapped[str] = mapped_column(sa.String(120), default="")
    kind: Mapped[str] = mapped_column(sa.String(12))  # recycling | transport
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 5))
    unit: Mapped[str] = mapped_column(sa.String(20))  # kg CO2e/t | kg CO2e/km
    laden: Mapped[str] = mapped_column(sa.String(20), default="")
    version: Mapped[str] = mapped_column(sa.String(20))
    source: Mapped[str] = mapped_column(sa.Text)
    source_table: Mapped[str] = mapped_column(sa.Text, default="")
    valid_from: Mapped[date]


class OrgMonthReport(db.Model):
    """An organisation's monthly figures the platform cannot observe (填报): value added for
    generation intensity, virgin and recycled input for substitution, a station's capacity."""

    __tablename__ = "dashboard_org_reports"
    __table_args__ = (sa.UniqueConstraint("organization_id", "month", name="org_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    month: Mapped[date]  # first day of the month
    value_added_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    virgin_input_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    recycled_input_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    capacity_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    prior_stock_utilised_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The dashboard reads every source by period; these indexes on other modules' tables are the
# dashboard's (migration 0021), declared here so the owning models stay as they are and
# autogenerate still agrees with the migrations. Without them each request scanned the million
# station weighings and every trade.
PERIOD_INDEXES = (
    sa.Index("ix_station_weighings_created_at", Weighing.created_at),
    sa.Index("ix_station_weighings_replaces_id", Weighing.replaces_id),
    sa.Index("ix_station_weighings_factory_time", Weighing.factory_id, Weighing.created_at),
    sa.Index("ix_trades_created_at", Trade.created_at),
    sa.Index("ix_trades_delivered_at", Trade.delivered_at),
    sa.Index("ix_trades_settled_at", Trade.settled_at),
    sa.Index("ix_trades_closed_at", Trade.closed_at),
    sa.Index("ix_lots_listed_at", Lot.listed_at),
    sa.Index("ix_sales_closed_at", Sale.closed_at),
    sa.Index("ix_dispatch_stops_request_id", RouteStop.request_id),
    sa.Index("ix_dispatch_requests_trade_id", PickupRequest.trade_id),
)


class _WeighingSums:
    """What a weighing summary row sums: the readings of one stage, result and family."""

    stage: Mapped[str] = mapped_column(sa.String(20))
    result: Mapped[str] = mapped_column(sa.String(12))
    family: Mapped[str] = mapped_column(sa.String(40), default="")
    count: Mapped[int]
    net_g: Mapped[int] = mapped_column(sa.BigInteger)
    deduction_g: Mapped[int] = mapped_column(sa.BigInteger)


class WeighingDay(_WeighingSums, db.Model):
    """The station weighings of one local day summed by station, factory, stage, result and
    material family: what the weighing indicators read instead of the million readings.

    Rebuilt a whole day at a time from `station_weighings` (`summary.refresh`), so a row is
    always exactly the grouped readings of its day; a re-weighed reading is left out (its
    replacement counts), as on the drill-down.
    """

    __tablename__ = "dashboard_weighing_days"
    __table_args__ = (
        sa.Index("ix_dashboard_weighing_days_station_day", "station_id", "day"),
        sa.Index("ix_dashboard_weighing_days_factory_day", "factory_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)  # Asia/Shanghai calendar day
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    factory_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))


class ClusterWeighingDay(_WeighingSums, db.Model):
    """`WeighingDay` summed over every station and factory: the whole cluster's day in a few
    dozen rows (stage × result × family), for the cluster-wide figures and trends."""

    __tablename__ = "dashboard_cluster_weighing_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)


class WeighingOrgDay(db.Model):
    """The organisations that weighed on a day, as station or as delivering factory: what
    participation reads (a few hundred rows a day instead of the summary's thousands)."""

    __tablename__ = "dashboard_weighing_org_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)


class SummaryDay(db.Model):
    """How many base rows a summarised day held when it was last rebuilt: a commit that arrives
    after a later one (ids out of order) changes today's count, so it is not missed."""

    __tablename__ = "dashboard_summary_days"

    source: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    base_count: Mapped[int]


class SummaryMark(db.Model):
    """The highest base id a summary has taken in (the watermark of incremental refreshes)."""

    __tablename__ = "dashboard_summary_marks"

    source: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
