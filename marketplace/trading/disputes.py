"""Disputes (争议): a buyer's claim on arrival, the seller's answer, the platform's decision.

Within the trade's dispute window the buyer claims a deduction — quality (contamination,
moisture, wrong grade) or weight (its weighbridge disagrees) — with a description and evidence.
The trade waits (delivered → disputed). The seller accepts the claim, and the trade settles with
that deduction at once; or contests it, and the platform operator decides: a deduction between
zero and the whole amount (settled with it), or cancelling the trade when the material goes back
(the buyer's money is released). One dispute per trade; every step is audited.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core import audit
from core.auth import Actor
from core.db import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.storage import BlobStore
from marketplace.lots import evidence as uploads
from marketplace.lots.models import EvidenceKind
from marketplace.trading import announce, escrow, ledger
from marketplace.trading.models import (
    Dispute,
    DisputeEvidence,
    DisputeKind,
    DisputeStatus,
    Trade,
    TradeStatus,
)
from marketplace.trading.trades import advance, get_trade, lock_trade, payable, settle_with

MAX_EVIDENCE = 10


def open_dispute(
    actor: Actor,
    trade_id: int,
    kind: DisputeKind,
    claim_fen: int,
    description: str,
    *,
    claimed_net_g: int | None = None,
    now: datetime,
) -> Dispute:
    """The buyer claims a deduction within the dispute window; settlement waits."""
    trade = lock_trade(actor, trade_id)
    if actor.org_id != trade.buyer_id:
        raise Forbidden("只有买方可以提出争议")
    if trade.status is not TradeStatus.DELIVERED:
        raise Conflict("只有已到货、未结算的成交可以提出争议", {"status": trade.status.value})
    if trade.dispute_until is None or now > trade.dispute_until:
        raise Conflict(
            "争议期已过（截止 %(until)s）",
            {"window": "closed"},
            until=trade.dispute_until.isoformat() if trade.dispute_until else "—",
        )
    owed = payable(trade)
    if claim_fen > owed:
        raise Invalid(
            "扣款不能超过应付金额（%(fen)s 分）", {"claim_yuan": "above the amount due"}, fen=owed
        )
    if kind is DisputeKind.WEIGHT and claimed_net_g is None:
        raise Invalid("重量争议需填写买方过磅净重", {"claimed_net_kg": "required for weight"})
    advance(trade, TradeStatus.DISPUTED)
    dispute = Dispute(
        trade_id=trade.id,
        kind=kind,
        claim_fen=claim_fen,
        claimed_net_g=claimed_net_g,
        description=description,
        opened_by=actor.user_id,
        opened_at=now,
    )
    db.session.add(dispute)
    db.session.flush()
    announce.dispute_opened(trade, dispute, now)
    audit.record(
        "dispute.opened",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"trade:{trade.id}",
        claim_fen=claim_fen,
        kind=kind.value,
    )
    return dispute


def get_dispute(actor: Actor, dispute_id: int, *, lock: bool = False) -> tuple[Dispute, Trade]:
    stmt = sa.select(Dispute).where(Dispute.id == dispute_id)
    dispute = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if dispute is None:
        raise NotFound("争议不存在")
    return dispute, get_trade(actor, dispute.trade_id, lock=lock)


def add_evidence(
    actor: Actor,
    dispute_id: int,
    data: bytes,
    filename: str,
    blobs: BlobStore,
    *,
    now: datetime,
) -> DisputeEvidence:
    """A photo or document (weighbridge ticket, lab result) from either party while it is open."""
    dispute, trade = get_dispute(actor, dispute_id, lock=True)
    if actor.org_id not in (trade.buyer_id, trade.seller_id):
        raise Forbidden("只有买卖双方可以补充证据")
    if dispute.status not in (DisputeStatus.OPEN, DisputeStatus.CONTESTED):
        raise Conflict("争议已了结，不能再补充证据", {"status": dispute.status.value})
    if len(dispute.evidence) >= MAX_EVIDENCE:
        raise Conflict("每个争议最多 %(n)d 份证据", {"file": "too many"}, n=MAX_EVIDENCE)
    sha, content_type = uploads.store(blobs, EvidenceKind.LAB_REPORT, data)
    item = DisputeEvidence(
        dispute_id=dispute.id,
        sha256=sha,
        content_type=content_type,
        size_bytes=len(data),
        filename=(filename or "evidence")[:200],
        uploaded_by=actor.user_id,
        uploaded_at=now,
    )
    db.session.add(item)
    db.session.flush()
    return item


def accept(actor: Actor, dispute_id: int, note: str, *, now: datetime) -> Dispute:
    """The seller accepts the claim: the trade settles with the claimed deduction."""
    dispute, trade = get_dispute(actor, dispute_id, lock=True)
    if actor.org_id != trade.seller_id:
        raise Forbidden("只有卖方可以答复争议")
    if dispute.status is not DisputeStatus.OPEN:
        raise Conflict("争议已答复", {"status": dispute.status.value})
    dispute.status, dispute.seller_note, dispute.responded_at = DisputeStatus.ACCEPTED, note, now
    dispute.decided_fen, dispute.decided_by, dispute.decided_at = (
        dispute.claim_fen,
        actor.user_id,
        now,
    )
    advance(trade, TradeStatus.SETTLED)
    settle_with(trade, dispute.claim_fen, now=now, user_id=actor.user_id)
    announce.dispute_resolved(trade, dispute, now)
    return dispute


def contest(actor: Actor, dispute_id: int, note: str, *, now: datetime) -> Dispute:
    """The seller disagrees; the platform operator will decide."""
    dispute, trade = get_dispute(actor, dispute_id, lock=True)
    if actor.org_id != trade.seller_id:
        raise Forbidden("只有卖方可以答复争议")
    if dispute.status is not DisputeStatus.OPEN:
        raise Conflict("争议已答复", {"status": dispute.status.value})
    if len((note or "").strip()) < 2:
        raise Invalid("请说明不同意的理由", {"note": "required to contest"})
    dispute.status, dispute.seller_note, dispute.responded_at = DisputeStatus.CONTESTED, note, now
    audit.record(
        "dispute.contested",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"trade:{trade.id}",
    )
    return dispute


def resolve(
    actor: Actor,
    dispute_id: int,
    *,
    deduction_fen: int | None,
    cancel: bool,
    note: str,
    now: datetime,
) -> Dispute:
    """The platform decides a contested (or unanswered) dispute: settle with a deduction, or
    cancel the trade and release the buyer's money when the material is returned."""
    if not actor.is_admin:
        raise Forbidden("需要平台管理员权限")
    dispute, trade = get_dispute(actor, dispute_id, lock=True)
    if dispute.status not in (DisputeStatus.OPEN, DisputeStatus.CONTESTED):
        raise Conflict("争议已了结", {"status": dispute.status.value})
    if len((note or "").strip()) < 2:
        raise Invalid("请写明裁决理由", {"note": "required"})
    if cancel == (deduction_fen is not None):
        raise Invalid(
            "请选择扣款金额或取消成交（二选一）", {"deduction_yuan": "give a deduction or cancel"}
        )
    if deduction_fen is not None and deduction_fen > payable(trade):
        raise Invalid("扣款不能超过应付金额", {"deduction_yuan": "above the amount due"})
    dispute.status, dispute.decision_note = DisputeStatus.RESOLVED, note
    dispute.decided_by, dispute.decided_at = actor.user_id, now
    if cancel:
        advance(trade, TradeStatus.CANCELLED)
        if trade.reserved_fen:
            escrow.post(
                ledger.release(trade.buyer_id, trade.reserved_fen), reference=f"trade:{trade.id}"
            )
        trade.reserved_fen = 0
        trade.cancelled_at, trade.cancelled_by, trade.cancel_reason = now, actor.org_id, note[:200]
    else:
        dispute.decided_fen = deduction_fen
        advance(trade, TradeStatus.SETTLED)
        settle_with(trade, deduction_fen or 0, now=now, user_id=actor.user_id)
    announce.dispute_resolved(trade, dispute, now)
    audit.record(
        "dispute.resolved",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"trade:{trade.id}",
        deduction_fen=deduction_fen,
        cancelled=cancel,
    )
    return dispute


def for_actor(actor: Actor, limit: int = 200) -> list[tuple[Dispute, Trade]]:
    """Disputes my organisation is party to (every one for the platform and cluster readers)."""
    stmt = (
        sa.select(Dispute, Trade)
        .join(Trade, Trade.id == Dispute.trade_id)
        .order_by(Dispute.id.desc())
        .limit(limit)
    )
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(sa.or_(Trade.buyer_id == actor.org_id, Trade.seller_id == actor.org_id))
    return [(d, t) for d, t in db.session.execute(stmt)]
