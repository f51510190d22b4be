"""Sales (how a lot is sold), bids, trades, and the escrow ledger's tables."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, db
from core.enums import enum_column
from core.time import utcnow
from marketplace.lots.models import Lot
from marketplace.trading.auction import SaleMode
from marketplace.trading.ledger import Kind


class Sale(db.Model):
    """The sale rules of a listed lot and, once closed, how it ended."""

    __tablename__ = "sales"
    __table_args__ = (
        sa.CheckConstraint("min_increment_fen > 0", name="increment_positive"),
        sa.CheckConstraint("deposit_fen >= 0", name="deposit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), unique=True)
    mode: Mapped[SaleMode] = mapped_column(enum_column(SaleMode, length=16))
    reserve_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    fixed_price_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_increment_fen: Mapped[int] = mapped_column(sa.BigInteger, default=1_000)
    deposit_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    snipe_window_s: Mapped[int] = mapped_column(default=300)
    extension_s: Mapped[int] = mapped_column(default=300)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(80), default="")

    lot: Mapped[Lot] = relationship()

    def __repr__(self) -> str:
        return f"<Sale lot={self.lot_id} {self.mode}>"


class Bid(db.Model):
    """A bid on the archive version it was placed on.

    Its amount and version never change. In an offers sale the seller's answer (accepted or
    rejected) is recorded on it once; nothing else is ever written to a bid after it is placed.
    """

    __tablename__ = "bids"
    __table_args__ = (
        sa.UniqueConstraint("organization_id", "idempotency_key", name="org_key"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    max_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    lot_version: Mapped[int]
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80))
    decision: Mapped[str | None] = mapped_column(sa.String(10))  # "accepted" | "rejected"
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Bid {self.id} lot={self.lot_id} {self.amount_fen}>"


class TradeStatus(enum.StrEnum):
    AWARDED = "awarded"
    SCHEDULED = "scheduled"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    DISPUTED = "disputed"
    SETTLED = "settled"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Trade(db.Model):
    """An award: at most one per lot (a unique constraint as the second line of defence)."""

    __tablename__ = "trades"
    __table_args__ = (
        sa.CheckConstraint("reserved_fen >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("deduction_fen >= 0", name="deduction_not_negative"),
        sa.CheckConstraint("refunded_fen >= 0", name="refunded_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), unique=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    seller_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    price_fen_per_t: Mapped[int] = mapped_column(sa.BigInteger)
    quantity_g: Mapped[int] = mapped_column(sa.BigInteger)
    lot_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[TradeStatus] = mapped_column(
        enum_column(TradeStatus), default=TradeStatus.AWARDED
    )
    reserved_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    contract_moisture_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    net_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    measured_moisture_pct: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    settled_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fixed when delivery is recorded, so a later change of the window rule changes no trade.
    dispute_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deduction_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    end_use_kind: Mapped[str | None] = mapped_column(sa.String(16))
    end_use: Mapped[str | None] = mapped_column(sa.String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    lot: Mapped[Lot] = relationship()

    def __repr__(self) -> str:
        return f"<Trade lot={self.lot_id} buyer={self.buyer_id} {self.status}>"


class LedgerAccount(db.Model):
    """An organisation's `available` or `held` balance; never negative (CHECK)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (sa.CheckConstraint("balance_fen >= 0", name="not_negative"),)

    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), primary_key=True
    )
    bucket: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    balance_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.organization_id}/{self.bucket} {self.balance_fen}>"


class LedgerEntry(db.Model):
    """One balanced movement; with its postings, append-only."""

    __tablename__ = "ledger_entries"
    __table_args__ = (sa.UniqueConstraint("idempotency_key", name="key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(enum_column(Kind))
    reference: Mapped[str] = mapped_column(sa.String(80), default="")
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    postings: Mapped[list[LedgerPosting]] = relationship(order_by="LedgerPosting.id")

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} {self.kind}>"


class LedgerPosting(db.Model):
    """One side of an entry; `organization_id` NULL is the outside world (external)."""

    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_entries.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id"), index=True
    )
    bucket: Mapped[str] = mapped_column(sa.String(10))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<LedgerPosting {self.organization_id}/{self.bucket} {self.amount_fen}>"


class DisputeKind(enum.StrEnum):
    QUALITY = "quality"  # 质量扣款: contamination, moisture, wrong grade
    WEIGHT = "weight"  # 重量差异: the buyer's weighbridge disagrees
    OTHER = "other"


class DisputeStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the seller
    CONTESTED = "contested"  # the seller disagrees; the platform decides
    ACCEPTED = "accepted"  # the seller accepted the claim; settled with it
    RESOLVED = "resolved"  # the platform decided; settled (or cancelled) with its decision


class Dispute(db.Model):
    """A buyer's claim on arrival; at most one per trade, and settlement waits for it."""

    __tablename__ = "disputes"
    __table_args__ = (
        sa.CheckConstraint("claim_fen > 0", name="claim_positive"),
        sa.CheckConstraint("decided_fen IS NULL OR decided_fen >= 0", name="decided_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    kind: Mapped[DisputeKind] = mapped_column(enum_column(DisputeKind))
    claim_fen: Mapped[int] = mapped_column(sa.BigInteger)
    claimed_net_g: Mapped[int | None] = mapped_column(sa.BigInteger)
    description: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[DisputeStatus] = mapped_column(
        enum_column(DisputeStatus), default=DisputeStatus.OPEN
    )
    opened_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seller_note: Mapped[str] = mapped_column(sa.String(500), default="")
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # the deduction settled with
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    evidence: Mapped[list[DisputeEvidence]] = relationship(order_by="DisputeEvidence.id")

    def __repr__(self) -> str:
        return f"<Dispute trade={self.trade_id} {self.status}>"


class DisputeEvidence(db.Model):
    """A photo or document backing a claim (weighbridge ticket, lab result), by SHA-256."""

    __tablename__ = "dispute_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(sa.ForeignKey("disputes.id"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(60))
    size_bytes: Mapped[int]
    filename: Mapped[str] = mapped_column(sa.String(200))
    uploaded_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<DisputeEvidence {self.sha256[:12]}>"


class Certificate(db.Model):
    """A certificate of recycling (再生资源回收利用证明) for a closed trade.

    `body` is the certificate's content frozen at issue; `sha256` is the SHA-256 of its RFC 8785
    canonical JSON, printed on the page and the PDF, so anyone holding a copy can check that the
    platform still shows the same content. The `code` makes the public URL unguessable.
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    trade_id: Mapped[int] = mapped_column(sa.ForeignKey("trades.id"), unique=True)
    number: Mapped[str] = mapped_column(sa.String(24), unique=True)
    code: Mapped[str] = mapped_column(sa.String(24), unique=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[dict] = mapped_column(sa.JSON)
    sha256: Mapped[str] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<Certificate {self.number}>"
