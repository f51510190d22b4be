"""The stock ledger's writers: 入库 and 出库 append a movement per package (called by the
stages and outbound services in their transaction), and a stock-take (盘点) records what a
bale was found to hold as a signed adjustment (盘盈 + / 盘亏 −)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.auth import Actor
from core.db import db
from core.errors import Invalid
from station.models import Package, PackageState, StockMove
from station.services.common import grams, package_by_label, writer


def _move(package: Package, kind: str, grams_: int, at: datetime, **values: object) -> StockMove:
    if package.location_id is None:
        raise Invalid("包不在任何库位", {"location": "package not stored"})
    move = StockMove(
        station_id=package.station_id,
        location_id=package.location_id,
        package_id=package.id,
        category_id=package.category_id,
        material=package.material,
        kind=kind,
        grams=grams_,
        at=at,
        **values,
    )
    db.session.add(move)
    return move


def stored(package: Package, *, at: datetime, weighing_id: int, operator_id: int | None) -> None:
    """入库: the package's remaining weight enters its (just set) location."""
    _move(package, "in", package.remaining_g, at, weighing_id=weighing_id, operator_id=operator_id)


def shipped(package: Package, *, at: datetime, weighing_id: int, operator_id: int | None) -> None:
    """出库: what the package still held leaves its location (call before it is zeroed)."""
    _move(package, "out", package.remaining_g, at, weighing_id=weighing_id, operator_id=operator_id)


def stocktake(
    actor: Actor, label: str, counted_kg: Decimal, reason: str, *, now: datetime
) -> StockMove:
    """盘点: a stored package found to hold `counted_kg`; the difference is an adjustment and
    the package holds the counted weight from now on. A reason is required."""
    sid = writer(actor)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise Invalid("盘点调整必须说明原因", {"reason": "required"})
    package = package_by_label(sid, label, lock=True)
    if package.state is not PackageState.IN_STOCK:
        raise Invalid("标签 %(label)s 不在库", {"label": "not in stock"}, label=label)
    counted = grams(counted_kg, "counted_kg")
    if counted < 0:
        raise Invalid("盘点重量不能为负", {"counted_kg": "not negative"})
    if counted == package.remaining_g:
        raise Invalid("盘点重量与账面相同，无需调整", {"counted_kg": "no difference"})
    move = _move(
        package,
        "adjust",
        counted - package.remaining_g,
        now,
        reason=reason[:200],
        operator_id=actor.user_id,
    )
    package.remaining_g = counted
    db.session.flush()
    return move
