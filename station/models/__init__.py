"""Station tables: configuration, what moves through the six stages, alerts, outbound sales."""

from station.models.alerts import Alert
from station.models.config import (
    Location,
    RatioLine,
    RatioSet,
    Scale,
    ScaleProtocol,
    StandardTare,
    TareKind,
    TolerancePolicy,
)
from station.models.flow import (
    Deduction,
    Delivery,
    Package,
    PackageLink,
    PackageState,
    ProductionRecord,
    RecordKind,
    Stage,
    Weighing,
    WorkOrder,
    delivery_records,
)
from station.models.outbound import OutboundLoad, OutboundPlan
from station.models.stock import StockMove

__all__ = [
    "Alert",
    "Deduction",
    "Delivery",
    "Location",
    "OutboundLoad",
    "OutboundPlan",
    "Package",
    "PackageLink",
    "PackageState",
    "ProductionRecord",
    "RatioLine",
    "RatioSet",
    "RecordKind",
    "Scale",
    "ScaleProtocol",
    "Stage",
    "StandardTare",
    "StockMove",
    "TareKind",
    "TolerancePolicy",
    "Weighing",
    "WorkOrder",
    "delivery_records",
]
