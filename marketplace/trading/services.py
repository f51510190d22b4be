"""Selling a lot: set its sale rules, take bids race-free, close at the deadline, award.

Every bid locks the lot's sale row (SELECT … FOR UPDATE), so bids on one lot are serialised:
the auction rules always see every earlier bid, the anti-sniping deadline moves once per bid,
and closing cannot interleave with a late bid. Deposits (保证金) are held in escrow in the same
transaction as the bid and released to everyone but the winner at close.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from core import audit, auth
from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.models import Site
from core.units import yuan_to_fen
from marketplace.lots.models import Lot, LotStatus
from marketplace.profiles.models import RecyclerProfile
from marketplace.trading import auction, escrow, ledger, lifecycle
from marketplace.trading.eligibility import BuyerFacts, LotFacts, refusal
from marketplace.trading.models import Bid, Sale, Trade


def rules_of(sale: Sale) -> auction.Rules:
    return auction.Rules(
        mode=sale.mode,
        deadline=sale.deadline,
        reserve_fen=sale.reserve_fen,
        fixed_price_fen=sale.fixed_price_fen,
        min_increment_fen=sale.min_increment_fen,
        snipe_window=timedelta(seconds=sale.snipe_window_s),
        extension=timedelta(seconds=sale.extension_s),
    )


def set_sale(actor: Actor, lot_id: int, data: dict[str, Any], *, now: datetime) -> Sale:
    """Set how a listed lot is sold; possible until the first bid."""
    lot = db.session.scalar(sa.select(Lot).where(Lot.id == lot_id).with_for_update())
    if lot is None:
        raise NotFound("批次不存在")
    auth.require_write_org(actor, lot.organization_id, target=f"lot:{lot_id}")
    if lot.status is not LotStatus.LISTED:
        raise Conflict("只有已发布的批次可以设置竞价", {"status": lot.status.value})
    if db.session.scalar(sa.select(Bid.id).where(Bid.lot_id == lot_id).limit(1)):
        raise Conflict("已有出价，不能修改竞价规则", {"lot": "has bids"})
    if data["deadline"] <= now:
        raise Invalid("截止时间必须在未来", {"deadline": "in the past"})
    mode = auction.SaleMode(data["mode"])
    fixed = data.get("fixed_price_yuan_per_t")
    if mode is auction.SaleMode.FIXED and fixed is None:
        raise Invalid("一口价需要标价", {"fixed_price_yuan_per_t": "required for fixed"})
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id)) or Sale(lot_id=lot_id)
    sale.mode = mode
    sale.deadline = data["deadline"]
    sale.reserve_fen = (
        yuan_to_fen(data["reserve_yuan_per_t"])
        if data.get("reserve_yuan_per_t") is not None
        else None
    )
    sale.fixed_price_fen = yuan_to_fen(fixed) if fixed is not None else None
    sale.min_increment_fen = yuan_to_fen(data.get("min_increment_yuan", 10))
    sale.deposit_fen = yuan_to_fen(data.get("deposit_yuan", 0))
    sale.snipe_window_s = int(data.get("snipe_window_min", 5)) * 60
    sale.extension_s = int(data.get("extension_min", 5)) * 60
    db.session.add(sale)
    db.session.flush()
    return sale


def _buyer_facts(org_id: int, now: datetime) -> BuyerFacts | None:
    profile = (
        db.session.execute(
            sa.select(RecyclerProfile)
            .options(joinedload(RecyclerProfile.scope))  # a bid reads the whole licence
            .where(RecyclerProfile.organization_id == org_id)
        )
        .unique()
        .scalar_one_or_none()
    )
    if profile is None:
        return None
    sites = db.session.execute(sa.select(Site.lat, Site.lon).where(Site.organization_id == org_id))
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    awarded = (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Trade.quantity_g), 0)).where(
                Trade.buyer_id == org_id, Trade.created_at >= month_start
            )
        )
        or 0
    )
    return BuyerFacts(
        scope=frozenset(c.code for c in profile.scope),
        hw_codes=frozenset(profile.hw_codes),
        sites=tuple((s.lat, s.lon) for s in sites),
        radius_km=profile.haul_radius_km,
        remaining_capacity_g=profile.capacity_t_per_month * 1_000_000 - int(awarded),
    )


def _lot_facts(lot: Lot) -> LotFacts:
    from marketplace.lots.services import current_version

    version = current_version(lot)
    return LotFacts(
        family=lot.family_code,
        grade=lot.category.code,
        hw_codes=frozenset(version.hw_codes),
        lat=lot.lat,
        lon=lot.lon,
        quantity_g=lot.quantity_g,
    )


def _bids(lot_id: int) -> list[Bid]:
    return list(db.session.scalars(sa.select(Bid).where(Bid.lot_id == lot_id).order_by(Bid.id)))


def _as_rule_bids(bids: list[Bid]) -> list[auction.Bid]:
    return [
        auction.Bid(b.organization_id, b.amount_fen, b.placed_at, b.id, b.max_fen) for b in bids
    ]


def place_bid(
    actor: Actor,
    lot_id: int,
    amount_yuan: Any,
    max_yuan: Any = None,
    *,
    now: datetime,
    key: str | None = None,
) -> Bid:
    """A recycler bids; refused with the rule that refuses it, and nothing written."""
    if (
        key is not None
        and (
            done := db.session.scalar(
                sa.select(Bid).where(
                    Bid.organization_id == actor.org_id, Bid.idempotency_key == key
                )
            )
        )
        is not None
    ):
        return done
    if actor.org_kind is not OrgKind.RECYCLER:
        raise Forbidden("只有回收利用企业可以出价")
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id).with_for_update())
    if sale is None:
        raise NotFound("该批次未开放竞价")
    lot = db.session.get(Lot, lot_id, options=[joinedload(Lot.category)])
    if lot.status is not LotStatus.LISTED or sale.closed_at is not None:
        raise Conflict("批次不在竞价中", {"status": lot.status.value})
    if lot.organization_id == actor.org_id:
        raise Conflict("不能对本组织的批次出价", {"lot": "own lot"})
    why = refusal(_lot_facts(lot), _buyer_facts(actor.org_id, now))
    if why is not None:
        raise Conflict("不符合出价资格：%(rule)s", {why.rule: why.detail}, rule=why.rule)
    amount = yuan_to_fen(amount_yuan)
    ceiling = yuan_to_fen(max_yuan) if max_yuan is not None else None
    existing = _bids(lot_id)
    candidate = auction.Bid(actor.org_id, amount, now, 0, ceiling)
    auction.check_bid(
        rules_of(sale), _as_rule_bids(existing), candidate, now=now, deadline=sale.deadline
    )
    if sale.deposit_fen and not any(b.organization_id == actor.org_id for b in existing):
        escrow.post(
            ledger.hold(actor.org_id, sale.deposit_fen),
            reference=f"deposit lot:{lot_id}",
            user_id=actor.user_id,
        )
    bid = Bid(
        lot_id=lot_id,
        organization_id=actor.org_id,
        user_id=actor.user_id,
        amount_fen=amount,
        max_fen=ceiling,
        lot_version=lot.version,
        placed_at=now,
        idempotency_key=key,
    )
    db.session.add(bid)
    sale.deadline = auction.extended(rules_of(sale), sale.deadline, now)
    db.session.flush()
    if sale.mode is auction.SaleMode.FIXED:
        close_sale(lot_id, now=now, force=True)
    return bid


def close_sale(lot_id: int, *, now: datetime, force: bool = False) -> Sale:
    """Close a sale whose deadline has passed: award the winner or expire the lot."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id).with_for_update())
    if sale is None:
        raise NotFound("该批次未开放竞价")
    if sale.closed_at is not None:
        return sale
    if now < sale.deadline and not force:
        raise Conflict("竞价尚未截止", {"deadline": sale.deadline.isoformat()})
    lot = db.session.get(Lot, lot_id)
    bids = _bids(lot_id)
    outcome = auction.close(rules_of(sale), _as_rule_bids(bids))
    sale.closed_at, sale.outcome = now, outcome.reason
    if outcome.winner_id is not None:
        lot.status = lifecycle.check(lot.status, LotStatus.AWARDED)
        winning = max(
            (b for b in bids if b.organization_id == outcome.winner_id),
            key=lambda b: (max(b.amount_fen, b.max_fen or 0), -b.id),
        )
        db.session.add(
            Trade(
                lot_id=lot.id,
                buyer_id=outcome.winner_id,
                seller_id=lot.organization_id,
                price_fen_per_t=outcome.price_fen,
                quantity_g=lot.quantity_g,
                lot_version=winning.lot_version,
                created_at=now,
            )
        )
        audit.record(
            "trade.awarded",
            organization_id=lot.organization_id,
            target=f"lot:{lot.id}",
            buyer=outcome.winner_id,
            price_fen_per_t=outcome.price_fen,
        )
    else:
        lot.status = lifecycle.check(lot.status, LotStatus.EXPIRED)
    if sale.deposit_fen:
        for org in sorted({b.organization_id for b in bids} - {outcome.winner_id}):
            escrow.post(ledger.release(org, sale.deposit_fen), reference=f"deposit lot:{lot_id}")
    db.session.flush()
    return sale


def close_due(*, now: datetime) -> list[int]:
    """Close every sale past its deadline; returns the lot ids closed."""
    due = db.session.scalars(
        sa.select(Sale.lot_id)
        .where(Sale.closed_at.is_(None), Sale.deadline <= now)
        .order_by(Sale.deadline)
    ).all()
    for lot_id in due:
        close_sale(lot_id, now=now)
    return list(due)


def visible_bids(actor: Actor, lot_id: int) -> list[Bid]:
    """Sealed bids stay hidden from other bidders until close; sellers and readers see all."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id))
    lot = db.session.get(Lot, lot_id)
    if sale is None or lot is None:
        raise NotFound("该批次未开放竞价")
    bids = _bids(lot_id)
    if auth.can_read_org(actor, lot.organization_id):
        return bids
    sealed = sale.mode in (auction.SaleMode.SEALED_FIRST, auction.SaleMode.SEALED_SECOND)
    if sealed and sale.closed_at is None:
        return [b for b in bids if b.organization_id == actor.org_id]
    return bids


def cleared(grade: str | None = None, tz: str = "Asia/Shanghai") -> list[Any]:
    """Settled trades as index inputs (weeks in the cluster's local time)."""
    from core.catalogue import Category
    from core.time import to_local
    from marketplace.trading.index import Cleared
    from marketplace.trading.models import TradeStatus

    stmt = (
        sa.select(Trade, Category.code)
        .join(Lot, Lot.id == Trade.lot_id)
        .join(Category, Category.id == Lot.category_id)
        .where(Trade.status == TradeStatus.SETTLED, Trade.settled_fen > 0)
    )
    if grade:
        stmt = stmt.where(Category.code == grade)
    return [
        Cleared(
            code,
            to_local(t.settled_at, tz).date(),
            t.price_fen_per_t,
            t.settled_fen * 1_000_000 // t.price_fen_per_t,
        )
        for t, code in db.session.execute(stmt)
    ]


def latest_index(grade: str, tz: str = "Asia/Shanghai") -> Any:
    """The most recent weekly index point of a grade, or None before its first settled trade."""
    from marketplace.trading.index import weekly

    points = weekly(cleared(grade, tz))
    return points[-1] if points else None


def sale_box(actor: Actor, lot: Lot) -> dict[str, Any]:
    """What the lot page shows about its sale: rules, standing price (never for sealed bids
    before close), and how many bids there are."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot.id))
    if sale is None:
        return {"sale": None, "standing": None, "n_bids": 0}
    bids = _bids(lot.id)
    standing = (
        auction.standing(rules_of(sale), _as_rule_bids(bids))
        if sale.mode is auction.SaleMode.ASCENDING
        else None
    )
    return {"sale": sale, "standing": standing, "n_bids": len(bids)}
