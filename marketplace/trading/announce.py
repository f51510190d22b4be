"""What trading tells the parties (in the app, by e-mail, to their webhooks), in one place.

Each function publishes one event through `marketplace.notify` inside the caller's transaction,
so a refused step announces nothing. Messages are msgids filled when shown; payloads carry ids
and amounts as strings (yuan with two decimals, kg with three) for ERP/MES receivers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.i18n import N_
from core.units import fen_to_yuan
from marketplace.lots.models import Lot
from marketplace.notify import publish
from marketplace.trading.models import Certificate, Dispute, Trade


def _lot(lot: Lot) -> str:
    return f"#{lot.id} {lot.title}"


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen):,}"


def _trade_payload(trade: Trade) -> dict[str, object]:
    return {
        "trade_id": trade.id,
        "lot_id": trade.lot_id,
        "buyer_id": trade.buyer_id,
        "seller_id": trade.seller_id,
        "status": trade.status.value,
        "price_yuan_per_t": str(fen_to_yuan(trade.price_fen_per_t)),
        "quantity_kg": str(Decimal(trade.quantity_g) / 1000),
    }


def outbid(lot: Lot, org_id: int, standing_fen: int, now: datetime) -> None:
    publish(
        "bid.outbid",
        [org_id],
        message=N_("您在批次 %(lot)s 的出价已被超过，当前价 %(price)s 元/吨。"),
        params={"lot": _lot(lot), "price": _yuan(standing_fen)},
        link=f"/lots/{lot.id}",
        payload={"lot_id": lot.id, "standing_yuan_per_t": str(fen_to_yuan(standing_fen))},
        now=now,
    )


def deposit(lot: Lot, org_id: int, fen: int, *, held: bool, now: datetime) -> None:
    publish(
        "deposit.held" if held else "deposit.released",
        [org_id],
        message=N_("批次 %(lot)s 的保证金 %(amount)s 元已冻结。")
        if held
        else N_("批次 %(lot)s 的保证金 %(amount)s 元已释放。"),
        params={"lot": _lot(lot), "amount": _yuan(fen)},
        link=f"/lots/{lot.id}",
        payload={"lot_id": lot.id, "amount_yuan": str(fen_to_yuan(fen))},
        now=now,
    )


def awarded(trade: Trade, lot: Lot, now: datetime) -> None:
    publish(
        "trade.awarded",
        [trade.buyer_id, trade.seller_id],
        message=N_("批次 %(lot)s 已成交：%(price)s 元/吨。"),
        params={"lot": _lot(lot), "price": _yuan(trade.price_fen_per_t)},
        link=f"/trades/{trade.id}",
        payload=_trade_payload(trade),
        now=now,
    )


def pickup_scheduled(trade: Trade, now: datetime) -> None:
    publish(
        "pickup.scheduled",
        [trade.buyer_id, trade.seller_id],
        message=N_("成交 #%(trade)s 已安排提货，买方资金 %(amount)s 元已冻结。"),
        params={"trade": trade.id, "amount": _yuan(trade.reserved_fen)},
        link=f"/trades/{trade.id}",
        payload={**_trade_payload(trade), "reserved_yuan": str(fen_to_yuan(trade.reserved_fen))},
        now=now,
    )


def dispute_opened(trade: Trade, dispute: Dispute, now: datetime) -> None:
    publish(
        "dispute.opened",
        [trade.seller_id, trade.buyer_id],
        message=N_("成交 #%(trade)s 有争议：买方申请扣款 %(amount)s 元，请在平台答复。"),
        params={"trade": trade.id, "amount": _yuan(dispute.claim_fen)},
        link=f"/trades/{trade.id}",
        payload={
            **_trade_payload(trade),
            "dispute_id": dispute.id,
            "kind": dispute.kind.value,
            "claim_yuan": str(fen_to_yuan(dispute.claim_fen)),
        },
        now=now,
    )


def dispute_resolved(trade: Trade, dispute: Dispute, now: datetime) -> None:
    publish(
        "dispute.resolved",
        [trade.seller_id, trade.buyer_id],
        message=N_("成交 #%(trade)s 的争议已处理。"),
        params={"trade": trade.id},
        link=f"/trades/{trade.id}",
        payload={
            **_trade_payload(trade),
            "dispute_id": dispute.id,
            "dispute_status": dispute.status.value,
            "deduction_yuan": str(fen_to_yuan(dispute.decided_fen or 0)),
        },
        now=now,
    )


def settled(trade: Trade, now: datetime) -> None:
    publish(
        "trade.settled",
        [trade.buyer_id, trade.seller_id],
        message=N_("成交 #%(trade)s 已结算 %(amount)s 元。"),
        params={"trade": trade.id, "amount": _yuan(trade.settled_fen or 0)},
        link=f"/trades/{trade.id}",
        payload={
            **_trade_payload(trade),
            "settled_yuan": str(fen_to_yuan(trade.settled_fen or 0)),
            "deduction_yuan": str(fen_to_yuan(trade.deduction_fen)),
            "net_kg": str(Decimal(trade.net_g or 0) / 1000),
        },
        now=now,
    )


def certificate_issued(trade: Trade, cert: Certificate, now: datetime) -> None:
    publish(
        "certificate.issued",
        [trade.buyer_id, trade.seller_id],
        message=N_("成交 #%(trade)s 的再生资源回收利用证明 %(number)s 已签发。"),
        params={"trade": trade.id, "number": cert.number},
        link=f"/certificates/{cert.code}",
        payload={
            **_trade_payload(trade),
            "certificate": cert.number,
            "sha256": cert.sha256,
            "url_path": f"/certificates/{cert.code}",
        },
        now=now,
    )
