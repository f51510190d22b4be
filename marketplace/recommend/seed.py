"""The demo's recommender: the history's shown lists, then one trained model version.

The demo's 90 days of trading left bids but no impressions (the platform had no recommender
then). What the demo recyclers could see was the market itself, so each historical lot with
bids, and each lot listed for at least `PASSED_OVER` (bid on or not), counts as shown to every
recycler that could take it (nearest first, `surface="seed"`): the bidders are the positives,
the others who could have bid the negatives. Without the lots nobody bid on, nearly every
exposure would be a bid and every probability would read 99 %. Then a model is trained on them
like any other version. Idempotent: nothing happens once a version exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

import matching
from core.db import db
from core.errors import DomainError
from marketplace.lots.models import Lot
from marketplace.recommend import adapter, training
from marketplace.recommend.models import Impression, ModelVersion
from marketplace.trading.models import Bid

PASSED_OVER = timedelta(days=3)  # a lot this long on the market without a bid was passed over


def seed_recommender(*, now: datetime) -> int:
    """Record the history's exposures and train version 1; returns its version (0: skipped)."""
    if db.session.scalar(sa.select(ModelVersion.id).limit(1)) is not None:
        return 0
    buyers = adapter.buyers(now)
    if not buyers:
        return 0
    bid_lots = sa.select(Bid.lot_id).distinct()
    rows = list(
        db.session.scalars(
            sa.select(Lot)
            .options(joinedload(Lot.category))
            .where(sa.or_(Lot.id.in_(bid_lots), Lot.listed_at <= now - PASSED_OVER))
            .order_by(Lot.id)
        )
    )
    table = matching.BuyerTable(buyers)
    for row, lot in zip(rows, adapter.lots(rows), strict=True):
        idx, dist = table.feasible_for(lot)
        for pos, o in enumerate(sorted(range(len(idx)), key=lambda i: dist[i])):
            org = int(table.buyers[int(idx[o])].id)
            db.session.add(
                Impression(
                    buyer_org_id=org,
                    lot_id=row.id,
                    shown_to_org_id=org,
                    surface="seed",
                    position=pos,
                    score=0.0,
                    method="fallback",
                    shown_at=row.listed_at or row.created_at,
                )
            )
    db.session.flush()
    try:
        with db.session.begin_nested():
            version = training.train(now, lambda *a, **k: None)
    except DomainError:
        return 0  # too little history: the demo shows the labelled fallback
    return version.version
