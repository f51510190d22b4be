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
from core.models import Organization, Site
from core.units import yuan_to_fen
from marketplace import passports
from marketplace.lots import services as lots
from marketplace.lots.models import Lot, LotStatus
from marketplace.profiles.models import RecyclerProfile
from marketplace.trading import announce, auction, escrow, ledger, lifecycle
from marketplace.trading.eligibility import BuyerFacts, LotFacts, refusal
from marketplace.trading.models import Bid, Sale, Trade, TradeStatus

SEALED = (auction.SaleMode.SEALED_FIRST, auction.SaleMode.SEALED_SECOND)


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


def buyer_facts(org_id: int, now: datetime) -> BuyerFacts | None:
    """A recycler's eligibility facts (licence, sites, radius, remaining capacity), or None
    without a licence on file; service requests for disposal check contractors with them too."""
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
                Trade.buyer_id == org_id,
                Trade.created_at >= month_start,
                Trade.status != TradeStatus.CANCELLED,  # a called-off trade frees its capacity
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


def lot_facts(lot: Lot) -> LotFacts:
    """What eligibility needs to know about a lot (its current archive version)."""
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
    why = refusal(lot_facts(lot), buyer_facts(actor.org_id, now))
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
        announce.deposit(lot, actor.org_id, sale.deposit_fen, held=True, now=now)
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
    if sale.mode is auction.SaleMode.ASCENDING:
        _announce_outbid(sale, lot, existing, bid, now)
    if sale.mode is auction.SaleMode.FIXED:
        close_sale(lot_id, now=now, force=True)
    return bid


def _announce_outbid(sale: Sale, lot: Lot, before: list[Bid], bid: Bid, now: datetime) -> None:
    """Tell whoever lost the lead, or the new bidder when a proxy kept the lead from it."""
    rules = rules_of(sale)
    was = auction.standing(rules, _as_rule_bids(before)).leader_id
    now_leading = auction.standing(rules, _as_rule_bids([*before, bid]))
    if now_leading.leader_id != bid.organization_id:
        announce.outbid(lot, bid.organization_id, now_leading.price_fen or 0, now)
    elif was is not None and was != bid.organization_id:
        announce.outbid(lot, was, now_leading.price_fen or 0, now)


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
        winning = max(
            (b for b in bids if b.organization_id == outcome.winner_id),
            key=lambda b: (max(b.amount_fen, b.max_fen or 0), -b.id),
        )
        _award(lot, winning, outcome.price_fen, now=now)
    else:
        lot.status = lifecycle.check(lot.status, LotStatus.EXPIRED)
    _release_deposits(sale, lot, bids, outcome.winner_id, now)
    db.session.flush()
    return sale


def _award(lot: Lot, winning: Bid, price_fen: int, *, now: datetime) -> Trade:
    """The trade: price per tonne, buyer, seller, the archive version bid on, the quantity."""
    lot.status = lifecycle.check(lot.status, LotStatus.AWARDED)
    trade = Trade(
        lot_id=lot.id,
        buyer_id=winning.organization_id,
        seller_id=lot.organization_id,
        price_fen_per_t=price_fen,
        quantity_g=lot.quantity_g,
        lot_version=winning.lot_version,
        created_at=now,
    )
    db.session.add(trade)
    db.session.flush()
    passports.awarded(trade, lot, now)
    announce.awarded(trade, lot, now)
    audit.record(
        "trade.awarded",
        organization_id=lot.organization_id,
        target=f"lot:{lot.id}",
        trade=trade.id,
        buyer=winning.organization_id,
        price_fen_per_t=price_fen,
    )
    return trade


def _release_deposits(
    sale: Sale, lot: Lot, bids: list[Bid], winner_id: int | None, now: datetime
) -> None:
    if sale.deposit_fen:
        for org in sorted({b.organization_id for b in bids} - {winner_id}):
            escrow.post(
                ledger.release(org, sale.deposit_fen), reference=f"deposit lot:{sale.lot_id}"
            )
            announce.deposit(lot, org, sale.deposit_fen, held=False, now=now)


def _seller_sale(actor: Actor, lot_id: int, now: datetime) -> tuple[Sale, Lot]:
    """The open sale of the seller's listed lot, locked."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id).with_for_update())
    lot = db.session.get(Lot, lot_id)
    if sale is None or lot is None:
        raise NotFound("该批次未开放竞价")
    auth.require_write_org(actor, lot.organization_id, target=f"lot:{lot_id}")
    if sale.closed_at is not None or lot.status is not LotStatus.LISTED:
        raise Conflict("批次不在竞价中", {"status": lot.status.value})
    return sale, lot


def _offer(sale: Sale, lot_id: int, bid_id: int, now: datetime) -> tuple[Bid, list[Bid]]:
    if sale.mode is not auction.SaleMode.OFFERS:
        raise Conflict("只有议价方式可以由卖方选择报价", {"mode": sale.mode.value})
    if now >= sale.deadline:
        raise Conflict("竞价已截止", {"deadline": "closed"})
    bids = _bids(lot_id)
    chosen = next((b for b in bids if b.id == bid_id), None)
    if chosen is None:
        raise NotFound("报价不存在")
    rejected = {b.id for b in bids if b.decision == "rejected"}
    auction.acceptable_offer(_as_rule_bids(bids), _as_rule_bids([chosen])[0], rejected)
    return chosen, bids


def accept_offer(actor: Actor, lot_id: int, bid_id: int, *, now: datetime) -> Trade:
    """The seller accepts a buyer's latest offer: the trade is made at that offer."""
    sale, lot = _seller_sale(actor, lot_id, now)
    chosen, bids = _offer(sale, lot_id, bid_id, now)
    chosen.decision, chosen.decided_at = "accepted", now
    sale.closed_at, sale.outcome = now, "offer accepted"
    trade = _award(lot, chosen, chosen.amount_fen, now=now)
    _release_deposits(sale, lot, bids, chosen.organization_id, now)
    db.session.flush()
    return trade


def reject_offer(actor: Actor, lot_id: int, bid_id: int, *, now: datetime) -> Bid:
    """The seller declines an offer; the buyer may offer again, higher."""
    sale, _ = _seller_sale(actor, lot_id, now)
    chosen, _ = _offer(sale, lot_id, bid_id, now)
    chosen.decision, chosen.decided_at = "rejected", now
    return chosen


def withdraw(actor: Actor, lot_id: int, *, now: datetime) -> Lot:
    """Take a draft or listed lot off the market; an open sale ends with it and every deposit
    held for it is released."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id).with_for_update())
    lot = lots.withdraw_lot(actor, lot_id, now=now)
    if sale is not None and sale.closed_at is None:
        sale.closed_at, sale.outcome = now, "withdrawn by the seller"
        _release_deposits(sale, lot, _bids(lot_id), None, now)
    return lot


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
    """Sealed bids stay hidden from other bidders until close, offers always; sellers and
    cluster readers see all."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id))
    lot = db.session.get(Lot, lot_id)
    if sale is None or lot is None:
        raise NotFound("该批次未开放竞价")
    bids = _bids(lot_id)
    if auth.can_read_org(actor, lot.organization_id):
        return bids
    if sale.mode is auction.SaleMode.OFFERS or (sale.mode in SEALED and sale.closed_at is None):
        return [b for b in bids if b.organization_id == actor.org_id]
    return bids


def sale_box(actor: Actor, lot: Lot) -> dict[str, Any]:
    """What the lot page shows about its sale: rules, the live state, and the bids the actor
    may see (with the bidders' names for the seller)."""
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot.id))
    if sale is None:
        return {"sale": None, "state": None, "bids": [], "bidder_names": {}}
    bids = visible_bids(actor, lot.id)
    names = {}
    if auth.can_read_org(actor, lot.organization_id):  # the seller sees who bid
        ids = {b.organization_id for b in bids}
        names = dict(
            db.session.execute(
                sa.select(Organization.id, Organization.legal_name).where(Organization.id.in_(ids))
            )
            .tuples()
            .all()
        )
    return {"sale": sale, "state": sale_state(actor, sale), "bids": bids, "bidder_names": names}


def bids_received(lot_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For a seller's list of lots: how many bids each has, and the highest amount bid."""
    if not lot_ids:
        return {}
    rows = db.session.execute(
        sa.select(Bid.lot_id, sa.func.count(Bid.id), sa.func.max(Bid.amount_fen))
        .where(Bid.lot_id.in_(lot_ids))
        .group_by(Bid.lot_id)
    )
    return {lot_id: (n, top) for lot_id, n, top in rows}


def sale_state(actor: Actor, sale: Sale) -> dict[str, Any]:
    """The state a bidder watches without reloading: deadline (it moves on late bids), number
    of bids, the standing price of an open auction (never a sealed bid or an offer before its
    time), and where the actor stands."""
    bids = _bids(sale.lot_id)
    rules = rules_of(sale)
    standing = (
        auction.standing(rules, _as_rule_bids(bids))
        if sale.mode is auction.SaleMode.ASCENDING
        else None
    )
    mine = [b for b in bids if b.organization_id == actor.org_id]
    if not mine:
        position = "none"
    elif sale.mode is auction.SaleMode.ASCENDING:
        position = "leading" if standing and standing.leader_id == actor.org_id else "outbid"
    elif sale.mode is auction.SaleMode.OFFERS:
        position = mine[-1].decision or "pending"
    else:
        position = "placed"
    if sale.closed_at is not None:
        trade = db.session.scalar(sa.select(Trade).where(Trade.lot_id == sale.lot_id))
        if trade is not None and mine:
            position = "won" if trade.buyer_id == actor.org_id else "lost"
    price = standing.price_fen if standing else None
    return {
        "lot_id": sale.lot_id,
        "mode": sale.mode.value,
        "deadline": sale.deadline,
        "closed": sale.closed_at is not None,
        "outcome": sale.outcome,
        "n_bids": len(bids),
        "standing_fen": price,
        "min_next_fen": (price + sale.min_increment_fen) if price is not None else sale.reserve_fen,
        "my_best_fen": max((b.amount_fen for b in mine), default=None),
        "my_max_fen": max((b.max_fen or 0 for b in mine), default=None) or None,
        "position": position,
    }


def my_bids(actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """The lots my organisation has bid on, newest first, each with its live state."""
    lot_ids = db.session.scalars(
        sa.select(Bid.lot_id)
        .where(Bid.organization_id == actor.org_id)
        .group_by(Bid.lot_id)
        .order_by(sa.func.max(Bid.id).desc())
        .limit(limit)
    ).all()
    if not lot_ids:
        return []
    sales = {
        s.lot_id: s for s in db.session.scalars(sa.select(Sale).where(Sale.lot_id.in_(lot_ids)))
    }
    found = {lot.id: lot for lot in db.session.scalars(sa.select(Lot).where(Lot.id.in_(lot_ids)))}
    return [
        {"lot": found[i], "sale": sales[i], "state": sale_state(actor, sales[i])}
        for i in lot_ids
        if i in sales
    ]
