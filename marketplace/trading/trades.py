"""A trade after the award: pickup under fund supervision, delivery on the weighbridge, settlement.

Fund supervision: a pickup is scheduled only while the buyer's escrow covers the pre-settlement
amount (price × expected quantity); the check and the reservation (a hold) are one transaction
under the account lock, so two pickups cannot both spend the same money. Settlement pays the
seller from the buyer's held money on the weighed (moisture-adjusted) quantity and releases the
rest; if the weighed quantity costs more than was reserved, the difference must be available.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from core import audit, auth
from core.auth import Actor
from core.db import db
from core.errors import Conflict, NotFound
from marketplace.lots.models import Lot, LotStatus
from marketplace.trading import escrow, ledger, lifecycle
from marketplace.trading.models import Sale, Trade, TradeStatus
from marketplace.trading.settlement import amount_fen, payable_fen

NEXT = {
    TradeStatus.AWARDED: TradeStatus.SCHEDULED,
    TradeStatus.SCHEDULED: TradeStatus.PICKED_UP,
    TradeStatus.PICKED_UP: TradeStatus.DELIVERED,
    TradeStatus.DELIVERED: TradeStatus.SETTLED,
}


def _trade(actor: Actor, trade_id: int) -> Trade:
    trade = db.session.scalar(sa.select(Trade).where(Trade.id == trade_id).with_for_update())
    if trade is None:
        raise NotFound("成交记录不存在")
    if actor.org_id not in (trade.buyer_id, trade.seller_id) and not actor.is_admin:
        auth.require_read_org(actor, trade.seller_id, target=f"trade:{trade_id}")
    if actor.is_government:
        auth.require_write_org(actor, trade.seller_id, target=f"trade:{trade_id}")
    return trade


def _advance(trade: Trade, target: TradeStatus) -> None:
    if NEXT.get(trade.status) is not target:
        raise Conflict(
            "成交状态为“%(status)s”，不能变为“%(target)s”",
            {
                "status": f"allowed: {NEXT[trade.status].value}"
                if trade.status in NEXT
                else "allowed: —"
            },
            status=trade.status.value,
            target=target.value,
        )
    lot = db.session.get(Lot, trade.lot_id)
    lot.status = lifecycle.check(lot.status, LotStatus(target.value))
    trade.status = target


def deposit_held(trade: Trade) -> int:
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == trade.lot_id))
    return sale.deposit_fen if sale is not None else 0


def schedule_pickup(actor: Actor, trade_id: int, *, now: datetime) -> Trade:
    """Fund supervision: reserve price × expected quantity from the buyer, or refuse the pickup."""
    trade = _trade(actor, trade_id)
    _advance(trade, TradeStatus.SCHEDULED)
    needed = amount_fen(trade.price_fen_per_t, trade.quantity_g) - deposit_held(trade)
    if needed > 0:
        if escrow.balances(trade.buyer_id)["available"] < needed:
            raise Conflict(
                "买方托管余额不足，暂停提货（需 %(fen)s 分）",
                {"escrow": "buyer balance below the pre-settlement amount"},
                fen=needed,
            )
        escrow.post(
            ledger.hold(trade.buyer_id, needed),
            reference=f"trade:{trade.id}",
            user_id=actor.user_id,
        )
    trade.reserved_fen = max(needed, 0) + deposit_held(trade)
    return trade


def confirm_pickup(actor: Actor, trade_id: int, *, now: datetime) -> Trade:
    trade = _trade(actor, trade_id)
    _advance(trade, TradeStatus.PICKED_UP)
    return trade


def confirm_delivery(
    actor: Actor,
    trade_id: int,
    net_g: int,
    measured_moisture: Decimal | None,
    contract_moisture: Decimal | None,
    *,
    now: datetime,
) -> Trade:
    """The buyer records the weighbridge net weight (and moisture for paper) on arrival."""
    trade = _trade(actor, trade_id)
    if actor.org_id != trade.buyer_id:
        auth.require_write_org(actor, trade.buyer_id, target=f"trade:{trade_id}")
    _advance(trade, TradeStatus.DELIVERED)
    trade.net_g = net_g
    trade.measured_moisture_pct = measured_moisture
    trade.contract_moisture_pct = contract_moisture
    return trade


def settle(actor: Actor, trade_id: int, *, now: datetime) -> Trade:
    """Pay the seller on the weighed quantity; release what was reserved beyond it."""
    trade = _trade(actor, trade_id)
    _advance(trade, TradeStatus.SETTLED)
    lot = db.session.get(Lot, trade.lot_id)
    payable = payable_fen(
        trade.price_fen_per_t,
        trade.net_g or 0,
        lot.family_code,
        trade.measured_moisture_pct,
        trade.contract_moisture_pct,
    )
    if payable > trade.reserved_fen:
        extra = payable - trade.reserved_fen
        escrow.post(ledger.hold(trade.buyer_id, extra), reference=f"trade:{trade.id}")
        trade.reserved_fen += extra
    if payable:
        escrow.post(
            ledger.settle(trade.buyer_id, trade.seller_id, payable),
            reference=f"trade:{trade.id}",
            user_id=actor.user_id,
        )
    if trade.reserved_fen > payable:
        escrow.post(
            ledger.release(trade.buyer_id, trade.reserved_fen - payable),
            reference=f"trade:{trade.id}",
        )
    trade.settled_fen, trade.settled_at, trade.reserved_fen = payable, now, 0
    audit.record(
        "trade.settled",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"trade:{trade.id}",
        fen=payable,
    )
    return trade
