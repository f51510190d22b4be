"""Trained model versions and the impressions (shown lists) they produced."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db
from core.time import utcnow

# Where a list was shown. Buyer-facing surfaces are exposures the next training learns from;
# the producer's lot page shows buyers to the seller, which the buyer never saw.
SURFACES = ("home", "digest", "invite", "api", "lot-page", "seed")
BUYER_FACING = ("home", "digest", "invite", "api", "seed")


class ModelVersion(db.Model):
    """One trained recommender: counts it learnt from, offline metrics, its file, active or not.

    The file lives in the content-addressed store under `sha256`, so a version can never be
    replaced in place and every impression's `model_version_id` names exactly what ranked it.
    """

    __tablename__ = "recommender_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    n_lots: Mapped[int] = mapped_column(default=0)
    n_buyers: Mapped[int] = mapped_column(default=0)
    n_exposures: Mapped[int] = mapped_column(default=0)
    n_bids: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    metrics_source: Mapped[str] = mapped_column(sa.String(16), default="")  # holdout | synthetic
    sha256: Mapped[str] = mapped_column(sa.String(64))
    format_version: Mapped[int] = mapped_column(default=0)
    sklearn_version: Mapped[str] = mapped_column(sa.String(20), default="")
    active: Mapped[bool] = mapped_column(default=False, index=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))

    def __repr__(self) -> str:
        return f"<ModelVersion v{self.version}{' active' if self.active else ''}>"


class Impression(db.Model):
    """One item of one shown list: which buyer and lot, where, at which position and score.

    `model_version_id` is the model that ranked the list (NULL with `method="fallback"`: no
    model yet, feasible and nearest first). `clicked_at` is set when the recycler opens the lot
    from the list; whether it bid comes from the bids table when training.
    """

    __tablename__ = "recommender_impressions"
    __table_args__ = (
        sa.Index("ix_recommender_impressions_buyer_lot", "buyer_org_id", "lot_id"),
        sa.CheckConstraint("position >= 0", name="position_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    shown_to_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    surface: Mapped[str] = mapped_column(sa.String(16))
    position: Mapped[int]
    score: Mapped[float]
    method: Mapped[str] = mapped_column(sa.String(10))  # model | fallback
    model_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recommender_models.id"), index=True
    )
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Impression {self.surface} buyer={self.buyer_org_id} lot={self.lot_id}>"
