"""A trade after the award: pickup under fund supervision, delivery on the weighbridge, the
dispute window, settlement, cancellation and refunds.

Fund supervision: a pickup is scheduled only while the buyer's escrow covers the pre-settlement
amount (price × expected quantity); the check and the reservation (a hold) are one transaction
under the account lock, so two pickups cannot both spend the same money. Settlement pays the
seller from the buyer's held money on the weighed (moisture-adjusted) quantity, less any agreed
deduction, and releases the rest; if the weighed quantity costs more than was reserved, the
difference must be available.

After delivery the buyer has a dispute window (fixed on the trade when delivery is recorded).
Within it the buyer may settle at once (waiving a claim) or open a dispute; when it passes
without a dispute the `trading.settle_due` job settles the trade, so a seller is never left
waiting on a silent buyer.

Cancelling before pickup releases the buyer's money, except that a buyer who walks away from
its award forfeits its deposit (保证金) to the seller — the reason deposits exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core import audit, auth
from core.auth import Actor
from core.db import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from marketplace import passports
from marketplace.lots.models import Lot, LotStatus
from marketplace.trading import announce, escrow, ledger, lifecycle
from marketplace.trading.models import Sale, Trade, TradeStatus
from marketplace.trading.settlement import amount_fen, payable_fen

DEFAULT_DISPUTE_WINDOW = timedelta(hours=72)


def get_trade(actor: Actor, trade_id: int, *, lock: bool = False) -> Trade:
    """A trade its buyer, its seller and cluster readers may see; locked for a change."""
    stmt = sa.select(Trade).where(Trade.id == trade_id)
    trade = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if trade is None:
        raise NotFound("成交记录不存在")
    if actor.org_id not in (trade.buyer_id, trade.seller_id):
        auth.require_read_org(actor, trade.seller_id, target=f"trade:{trade_id}")
    return trade


def lock_trade(actor: Actor, trade_id: int) -> Trade:
    """The trade, row-locked for a change by one of its parties (or the platform)."""
    trade = get_trade(actor, trade_id, lock=True)
    if actor.org_id not in (trade.buyer_id, trade.seller_id):
        auth.require_write_org(actor, trade.seller_id, target=f"trade:{trade_id}")
    return trade


def _require_buyer(actor: Actor, trade: Trade) -> None:
    if actor.org_id != trade.buyer_id and not actor.is_admin:
        raise Forbidden("只有买方可以执行此操作")


def advance(trade: Trade, target: TradeStatus) -> None:
    """Move the trade and its lot together, by the lot lifecycle table (409 naming the moves)."""
    lifecycle.check(LotStatus(trade.status.value), LotStatus(target.value))
    lot = db.session.get(Lot, trade.lot_id)
    lot.status = lifecycle.check(lot.status, LotStatus(target.value))
    trade.status = target


def deposit_held(trade: Trade) -> int:
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == trade.lot_id))
    return sale.deposit_fen if sale is not None else 0


def held_for(trade: Trade) -> int:
    """The buyer's money held for this trade: its deposit until pickup is scheduled, then the
    whole reservation (which includes the deposit)."""
    if trade.status is TradeStatus.AWARDED:
        return deposit_held(trade)
    return trade.reserved_fen


def schedule_pickup(actor: Actor, trade_id: int, *, now: datetime) -> Trade:
    """Fund supervision: reserve price × expected quantity from the buyer, or refuse the pickup."""
    trade = lock_trade(actor, trade_id)
    advance(trade, TradeStatus.SCHEDULED)
    deposit = deposit_held(trade)
    needed = amount_fen(trade.price_fen_per_t, trade.quantity_g) - deposit
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
    trade.reserved_fen = max(needed, 0) + deposit
    announce.pickup_scheduled(trade, now)
    return trade


def confirm_pickup(actor: Actor, trade_id: int, *, now: datetime) -> Trade:
    trade = lock_trade(actor, trade_id)
    advance(trade, TradeStatus.PICKED_UP)
    passports.picked_up(trade, now)
    return trade


def confirm_delivery(
    actor: Actor,
    trade_id: int,
    net_g: int,
    measured_moisture: Decimal | None,
    contract_moisture: Decimal | None,
    *,
    now: datetime,
    window: timedelta = DEFAULT_DISPUTE_WINDOW,
) -> Trade:
    """The buyer records the weighbridge net weight (and moisture for paper) on arrival; the
    dispute window starts now."""
    trade = lock_trade(actor, trade_id)
    if actor.org_id != trade.buyer_id:
        auth.require_write_org(actor, trade.buyer_id, target=f"trade:{trade_id}")
    advance(trade, TradeStatus.DELIVERED)
    trade.net_g = net_g
    trade.measured_moisture_pct = measured_moisture
    trade.contract_moisture_pct = contract_moisture
    trade.delivered_at, trade.dispute_until = now, now + window
    passports.delivered(trade, now)
    return trade


def payable(trade: Trade) -> int:
    """What the weighed delivery costs before any deduction, in fen."""
    lot = db.session.get(Lot, trade.lot_id)
    return payable_fen(
        trade.price_fen_per_t,
        trade.net_g or 0,
        lot.family_code,
        trade.measured_moisture_pct,
        trade.contract_moisture_pct,
    )


def settle_with(trade: Trade, deduction_fen: int, *, now: datetime, user_id: int | None) -> Trade:
    """Pay the seller the weighed amount less `deduction_fen`; release the rest to the buyer.
    The caller has locked the trade and moved it to SETTLED."""
    owed = max(payable(trade) - deduction_fen, 0)
    if owed > trade.reserved_fen:
        extra = owed - trade.reserved_fen
        escrow.post(ledger.hold(trade.buyer_id, extra), reference=f"trade:{trade.id}")
        trade.reserved_fen += extra
    if owed:
        escrow.post(
            ledger.settle(trade.buyer_id, trade.seller_id, owed),
            reference=f"trade:{trade.id}",
            user_id=user_id,
        )
    if trade.reserved_fen > owed:
        escrow.post(
            ledger.release(trade.buyer_id, trade.reserved_fen - owed),
            reference=f"trade:{trade.id}",
        )
    trade.settled_fen, trade.settled_at, trade.reserved_fen = owed, now, 0
    trade.deduction_fen = min(deduction_fen, payable(trade))
    announce.settled(trade, now)
    audit.record(
        "trade.settled",
        user_id=user_id,
        organization_id=trade.buyer_id,
        target=f"trade:{trade.id}",
        fen=owed,
        deduction_fen=trade.deduction_fen,
    )
    return trade


def settle(actor: Actor, trade_id: int, *, now: datetime) -> Trade:
    """The buyer accepts the delivery as weighed and pays (waiving a dispute)."""
    trade = lock_trade(actor, trade_id)
    _require_buyer(actor, trade)
    if trade.status is TradeStatus.DISPUTED:
        raise Conflict("争议处理中，结算等待争议了结", {"status": "disputed: settles with it"})
    advance(trade, TradeStatus.SETTLED)
    return settle_with(trade, 0, now=now, user_id=actor.user_id)


def settle_due(*, now: datetime) -> list[int]:
    """Settle every delivered trade whose dispute window has passed without a dispute.

    Each trade settles in its own savepoint: a buyer whose escrow cannot cover a heavier
    delivery stays delivered (and is retried next run) without holding up the others.
    """
    due = db.session.scalars(
        sa.select(Trade.id)
        .where(Trade.status == TradeStatus.DELIVERED, Trade.dispute_until <= now)
        .order_by(Trade.dispute_until)
    ).all()
    settled = []
    for trade_id in due:
        try:
            with db.session.begin_nested():
                trade = db.session.scalar(
                    sa.select(Trade).where(Trade.id == trade_id).with_for_update()
                )
                if trade.status is not TradeStatus.DELIVERED:
                    continue  # settled or disputed since we looked
                advance(trade, TradeStatus.SETTLED)
                settle_with(trade, 0, now=now, user_id=None)
            settled.append(trade_id)
        except Conflict:
            continue
    return settled


def cancel(actor: Actor, trade_id: int, reason: str, *, now: datetime) -> Trade:
    """Call off a trade before pickup. A buyer who cancels forfeits its deposit to the seller;
    a seller's or the platform's cancellation releases all of the buyer's money."""
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise Invalid("请说明取消原因（2–200 字）", {"reason": "2–200 characters"})
    trade = lock_trade(actor, trade_id)
    held = held_for(trade)
    advance(trade, TradeStatus.CANCELLED)
    forfeit = deposit_held(trade) if actor.org_id == trade.buyer_id else 0
    forfeit = min(forfeit, held)
    if forfeit:
        escrow.post(
            ledger.settle(trade.buyer_id, trade.seller_id, forfeit),
            reference=f"forfeit trade:{trade.id}",
            user_id=actor.user_id,
        )
    if held > forfeit:
        escrow.post(ledger.release(trade.buyer_id, held - forfeit), reference=f"trade:{trade.id}")
    trade.reserved_fen = 0
    trade.cancelled_at, trade.cancelled_by, trade.cancel_reason = now, actor.org_id, reason
    audit.record(
        "trade.cancelled",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"trade:{trade.id}",
        forfeit_fen=forfeit,
        reason=reason,
    )
    return trade


def refund(actor: Actor, trade_id: int, amount: int, reason: str, *, now: datetime) -> Trade:
    """The platform returns part of a settled trade's money from the seller to the buyer (a
    quality problem found after settlement, a court order); never more than was paid."""
    if not actor.is_admin:
        raise Forbidden("需要平台管理员权限")
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= 200:
        raise Invalid("请说明退款原因（2–200 字）", {"reason": "2–200 characters"})
    trade = lock_trade(actor, trade_id)
    if trade.status not in (TradeStatus.SETTLED, TradeStatus.CLOSED):
        raise Conflict("只有已结算的成交可以退款", {"status": trade.status.value})
    left = (trade.settled_fen or 0) - trade.refunded_fen
    if amount > left:
        raise Invalid(
            "退款不能超过已付金额（剩余 %(fen)s 分）",
            {"amount_yuan": "above what was paid"},
            fen=left,
        )
    escrow.post(
        ledger.refund(trade.seller_id, trade.buyer_id, amount),
        reference=f"refund trade:{trade.id}",
        user_id=actor.user_id,
    )
    trade.refunded_fen += amount
    audit.record(
        "trade.refunded",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"trade:{trade.id}",
        fen=amount,
        reason=reason,
    )
    return trade
