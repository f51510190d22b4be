"""The demo's recommender: the history's shown lists, then one trained model version.

The demo's 90 days of trading left bids but no impressions (the platform had no recommender
then). What the demo recyclers could see was the market itself, so each historical lot with
bids counts as shown to every recycler that could take it (nearest first, `surface="seed"`):
the bidders are the positives, the others who could have bid the negatives. Then a model is
trained on them like any other version. Idempotent: nothing happens once a version exists.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

import matching
from core.db import db
from core.errors import DomainError
from marketplace.lots.models import Lot
from marketplace.recommend import adapter, training
from marketplace.recommend.models import Impression, ModelVersion
from marketplace.trading.models import Bid


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
            .where(Lot.id.in_(bid_lots))
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
