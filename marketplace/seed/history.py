"""Ninety days of demo trading history, played through the real services with past times.

Each week producers list lots of their declared waste; licensed recyclers within reach bid in
open, sealed, fixed-price and offers sales; sales close at their deadlines; trades are funded,
picked up, weighed on delivery, settled (a few after a dispute, accepted or decided by the
platform; a few cancelled) and closed with their end use, which issues a certificate. Prices
follow a trend per grade (paper falling through the autumn, steel and aluminium firming), so the
price index has something to show. Everything obeys the rules a user would meet, because it goes
through the same functions. Deterministic for a seed and an anchor time; runs once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.models import Organization, Site, User
from core.storage import BlobStore
from marketplace.lots import services as lots
from marketplace.lots.models import EvidenceKind, Lot
from marketplace.profiles.models import RecyclerProfile, WasteStream
from marketplace.seed.market import PRICE_YUAN_PER_T, photo
from marketplace.seed.services import DEMO_USERS
from marketplace.trading import certificates, disputes, escrow, ledger, services, trades
from marketplace.trading.certificates import EndUse
from marketplace.trading.eligibility import refusal
from marketplace.trading.models import DisputeKind, Trade, TradeStatus
from marketplace.trading.settlement import amount_fen

# (price factor at the start, at the end) of the 90 days, per grade.
TREND = {
    "PA-OCC": (1.08, 0.92),
    "PA-CORR-EDGE": (1.05, 0.94),
    "PL-PP-REGRIND": (0.99, 1.01),
    "PL-PE-FILM": (1.02, 0.97),
    "FE-HMS": (0.94, 1.05),
    "FE-STAMP": (0.95, 1.04),
    "NF-AL-PROFILE": (0.97, 1.06),
}
END_USES = {
    "PA": (EndUse.RECYCLING, "制浆造纸：生产AA级瓦楞原纸"),
    "PL": (EndUse.RECYCLING, "清洗造粒后用于注塑周转箱"),
    "FE": (EndUse.RECYCLING, "电炉炼钢原料"),
    "NF": (EndUse.RECYCLING, "熔炼再生铝锭（ADC12）"),
}
MODES = (["ascending"] * 6) + ["sealed_second", "sealed_first", "fixed", "offers"]


@dataclass
class Market:
    """Who can sell what, and who may buy it."""

    sellers: dict[str, list[tuple[Actor, Site]]]
    buyers: list[Actor]
    admin: Actor


def _actor(org: Organization) -> Actor:
    return Actor(user_id=None, org_id=org.id, org_kind=org.kind, role=Role.MANAGER)  # type: ignore[arg-type]


def _market() -> Market | None:
    sellers: dict[str, list[tuple[Actor, Site]]] = {}
    streams = db.session.execute(
        sa.select(WasteStream, Organization)
        .join(Organization, Organization.id == WasteStream.organization_id)
        .where(Organization.kind == OrgKind.PRODUCER)
        .order_by(WasteStream.id)
    )
    for stream, org in streams:
        if stream.category.code in TREND:
            site = db.session.scalar(
                sa.select(Site).where(Site.organization_id == org.id).order_by(Site.id)
            )
            if site is not None:
                sellers.setdefault(stream.category.code, []).append((_actor(org), site))
    buyers = [
        _actor(p.organization)
        for p in db.session.scalars(sa.select(RecyclerProfile).order_by(RecyclerProfile.id))
    ]
    admin = db.session.scalar(
        sa.select(Organization).where(Organization.kind == OrgKind.ADMIN).order_by(Organization.id)
    )
    if not sellers or not buyers or admin is None:
        return None
    return Market(sellers, buyers, _actor(admin))


def _eligible(lot: Lot, buyers: list[Actor], at: datetime) -> list[Actor]:
    facts = services.lot_facts(lot)
    return [b for b in buyers if refusal(facts, services.buyer_facts(b.org_id, at)) is None]


def _fund(buyer: Actor, needed_fen: int, key: str) -> None:
    """A bank transfer in whole 10,000 CNY, when the buyer's escrow is short."""
    short = needed_fen - escrow.balances(buyer.org_id)["available"]
    if short > 0:
        fen = -(-short // 1_000_000) * 1_000_000
        escrow.post(ledger.top_up(buyer.org_id, fen), reference="银行转账（演示）", key=key)


def _list(
    rng: random.Random,
    seller: Actor,
    site: Site,
    grade: str,
    price: int,
    at: datetime,
    blobs: BlobStore,
) -> Lot:
    tonnes = Decimal(str(round(rng.uniform(2, 18), 1)))
    data = {
        "site_id": site.id,
        "grade": grade,
        "title": f"{grade} 历史批次 {at:%m%d}",
        "description": "演示历史数据。",
        "quantity_t": tonnes,
        "quantity_basis": "weighbridge",
        "form": "bale" if grade.startswith("PA") else "loose",
        "loading": ["forklift"],
        "hw_codes": [],
        "ask_yuan_per_t": Decimal(price),
        "properties": [],
        "composition": [],
    }
    from marketplace.lots.schemas import ArchiveSchema

    lot = lots.create_lot(seller, ArchiveSchema().load(_jsonable(data)), now=at)
    if rng.random() < 0.5:
        lots.add_evidence(
            seller,
            lot.id,
            EvidenceKind.PHOTO,
            photo(rng, grade[:2], grade),
            "现场照片.jpg",
            {},
            blobs,
            now=at,
        )
    lots.publish_lot(seller, lot.id, now=at)
    return lot


def _jsonable(data: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()}


def _sell(
    rng: random.Random, m: Market, lot: Lot, seller: Actor, price: int, at: datetime
) -> datetime:
    """Open a sale, take bids from eligible buyers, close it; returns when it closed."""
    mode = rng.choice(MODES)
    deadline = at + timedelta(days=2, hours=rng.randint(0, 20))
    services.set_sale(
        seller,
        lot.id,
        {
            "mode": mode,
            "deadline": deadline,
            "reserve_yuan_per_t": Decimal(int(price * 0.93)),
            "fixed_price_yuan_per_t": Decimal(price) if mode == "fixed" else None,
            "min_increment_yuan": Decimal(10),
            "deposit_yuan": Decimal(rng.choice([0, 0, 500])),
        },
        now=at,
    )
    bidders = _eligible(lot, m.buyers, at)
    rng.shuffle(bidders)
    moment = at
    offers = []
    for buyer in bidders[: rng.randint(1, 4)]:
        _fund(buyer, 1_000_000, f"demo-history-deposit-{lot.id}-{buyer.org_id}")
        moment += timedelta(hours=rng.uniform(1, 10))
        if moment >= deadline:
            break
        amount = price if mode == "fixed" else int(price * rng.uniform(0.94, 1.04))
        try:
            with db.session.begin_nested():
                offers.append(services.place_bid(buyer, lot.id, amount, now=moment))
        except DomainError:
            continue  # refused (below the standing price, already bought): as in life
        if mode == "fixed":
            return moment
    if mode == "offers" and offers:
        best = max(offers, key=lambda b: b.amount_fen)
        services.accept_offer(seller, lot.id, best.id, now=moment + timedelta(hours=1))
        return moment + timedelta(hours=1)
    services.close_sale(lot.id, now=deadline + timedelta(minutes=1))
    return deadline + timedelta(minutes=1)


def _fulfil(
    rng: random.Random, m: Market, trade: Trade, seller: Actor, at: datetime, now: datetime
) -> None:
    """Pickup to certificate, stopping wherever the present is."""
    buyer = next(b for b in m.buyers if b.org_id == trade.buyer_id)
    if rng.random() < 0.05:
        trades.cancel(buyer, trade.id, "产线临时停产，取消本次采购", now=at + timedelta(hours=5))
        return
    steps = at + timedelta(days=rng.uniform(1, 3))
    if steps > now:
        return
    _fund(buyer, amount_fen(trade.price_fen_per_t, trade.quantity_g), f"demo-history-{trade.id}")
    trades.schedule_pickup(seller, trade.id, now=steps)
    if (steps := steps + timedelta(days=rng.uniform(1, 2))) > now:
        return
    trades.confirm_pickup(seller, trade.id, now=steps)
    if (steps := steps + timedelta(hours=6)) > now:
        return
    net = int(trade.quantity_g * rng.uniform(0.97, 1.01))
    paper = trade.lot.family_code == "PA"
    trades.confirm_delivery(
        buyer,
        trade.id,
        net,
        Decimal(str(round(rng.uniform(10, 14.5), 1))) if paper else None,
        Decimal(12) if paper else None,
        now=steps,
    )
    if rng.random() < 0.12:
        _dispute(rng, m, trade, buyer, seller, steps, now)
    elif (steps := steps + timedelta(days=rng.uniform(1, 3))) <= now:
        _fund(buyer, trades.payable(trade), f"demo-history-final-{trade.id}")
        trades.settle(buyer, trade.id, now=steps)
    if trade.status is TradeStatus.SETTLED and rng.random() < 0.85:
        closing = trade.settled_at + timedelta(days=rng.randint(2, 7))
        if closing <= now:
            kind, text = END_USES[trade.lot.family_code]
            certificates.close(buyer, trade.id, kind, text, now=closing, tz="Asia/Shanghai")


def _dispute(
    rng: random.Random,
    m: Market,
    trade: Trade,
    buyer: Actor,
    seller: Actor,
    at: datetime,
    now: datetime,
) -> None:
    opened = at + timedelta(hours=8)
    if opened > now:
        return
    claim = max(100, trades.payable(trade) // rng.choice([20, 30, 50]))
    dispute = disputes.open_dispute(
        buyer, trade.id, DisputeKind.QUALITY, claim, "到货杂质偏高，超过合同约定的 2%", now=opened
    )
    answered = opened + timedelta(days=1)
    if answered > now:
        return  # still waiting for the seller: an open dispute in the demo
    _fund(buyer, trades.payable(trade), f"demo-history-final-{trade.id}")
    if rng.random() < 0.6:
        disputes.accept(seller, dispute.id, "认可，按申请扣款", now=answered)
        return
    disputes.contest(seller, dispute.id, "出厂前已分拣，杂质不超标，有照片为证", now=answered)
    decided = answered + timedelta(days=2)
    if decided <= now:
        disputes.resolve(
            m.admin,
            dispute.id,
            deduction_fen=claim // 2,
            cancel=False,
            note="双方证据各有依据，按申请金额的一半扣款",
            now=decided,
        )


def _demo_seller(market: Market) -> dict[str, tuple[Actor, Site]]:
    """The demo producer's (actor, site) for each traded grade it produces."""
    username = DEMO_USERS["p01"][0]
    org_id = db.session.scalar(sa.select(User.organization_id).where(User.username == username))
    return {
        grade: pair
        for grade, pairs in market.sellers.items()
        for pair in pairs
        if pair[0].org_id == org_id
    }


def seed_history(
    blobs: BlobStore, *, now: datetime, days: int = 90, per_week: int = 8, seed: int = 20261201
) -> int:
    """Play `days` of trading up to `now`; returns how many trades were made (0 if any exist)."""
    if db.session.scalar(sa.select(Trade.id).limit(1)) is not None:
        return 0
    market = _market()
    if market is None:
        return 0
    rng = random.Random(seed)
    start = now - timedelta(days=days)
    weeks = -(-days // 7)
    made = 0
    listed: dict[str, int] = {}
    demo = _demo_seller(market)
    for week in range(weeks):
        for _ in range(per_week):
            grade = rng.choice(sorted(g for g in TREND if g in market.sellers))
            seller, site = rng.choice(market.sellers[grade])
            listed[grade] = listed.get(grade, 0) + 1
            if grade in demo and listed[grade] % 2:
                # the producer people sign in as sells every other lot of its grades, so its
                # own trades, certificates, indicators and ESG summary have a history to show
                seller, site = demo[grade]
            first, last = TREND[grade]
            factor = first + (last - first) * week / max(weeks - 1, 1)
            price = int(PRICE_YUAN_PER_T[grade] * factor * rng.uniform(0.98, 1.02))
            at = start + timedelta(days=week * 7 + rng.uniform(0, 6))
            if at > now - timedelta(days=3):
                continue  # its sale would still be open: the current market has those
            lot = _list(rng, seller, site, grade, price, at, blobs)
            closed = _sell(rng, market, lot, seller, price, at)
            trade = db.session.scalar(sa.select(Trade).where(Trade.lot_id == lot.id))
            if trade is not None:
                made += 1
                _fulfil(rng, market, trade, seller, closed, now)
    db.session.flush()
    return made
