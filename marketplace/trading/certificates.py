"""Closing a trade with its end use, and the certificate of recycling (再生资源回收利用证明).

After settlement the buyer states what the material became (the end use); the trade closes and
a certificate is issued: quantity, category, seller, buyer, end use, dates, and the SHA-256 of
every piece of evidence behind it (the lot's photos, lab reports and compliance documents, and
any dispute evidence). The certificate's content is frozen at issue and fingerprinted with the
SHA-256 of its RFC 8785 canonical JSON, so a copy (the PDF, a printout) can be checked against
the platform's public page at any time.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime
from decimal import Decimal
from typing import Any

import rfc8785
import sqlalchemy as sa

from core import audit
from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.errors import Forbidden, Invalid, NotFound
from core.models import Organization
from core.time import to_local
from marketplace import passports
from marketplace.lots.models import Evidence, Lot, LotVersion
from marketplace.trading import announce
from marketplace.trading.models import Certificate, Dispute, DisputeEvidence, Trade, TradeStatus
from marketplace.trading.trades import advance, lock_trade


class EndUse(enum.StrEnum):
    """What the material became, in the terms of the Solid Waste Law (综合利用 / 处置)."""

    RECYCLING = "recycling"  # 再生利用：作为原料生产新产品
    REUSE = "reuse"  # 直接再使用
    ENERGY = "energy"  # 能量回收
    DISPOSAL = "disposal"  # 无害化处置


def close(
    actor: Actor, trade_id: int, kind: EndUse, description: str, *, now: datetime, tz: str
) -> Certificate:
    """The buyer confirms the end use: the trade closes and its certificate is issued."""
    description = (description or "").strip()
    if not 2 <= len(description) <= 200:
        raise Invalid("请填写最终用途（2–200 字）", {"end_use": "2–200 characters"})
    trade = lock_trade(actor, trade_id)
    if actor.org_id != trade.buyer_id and not actor.is_admin:
        raise Forbidden("只有买方可以确认最终用途")
    advance(trade, TradeStatus.CLOSED)
    trade.end_use_kind, trade.end_use, trade.closed_at = kind.value, description, now
    passports.closed(trade, now)
    return issue(trade, now=now, tz=tz)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _kg(grams: int | None) -> str | None:
    return str((Decimal(grams) / 1000).quantize(Decimal("0.001"))) if grams is not None else None


def _party(org_id: int) -> dict[str, str]:
    org = db.session.get(Organization, org_id)
    return {"name": org.legal_name, "uscc": org.uscc}


def body_of(trade: Trade, number: str, issued_at: datetime) -> dict[str, Any]:
    """The certificate's content: plain JSON values only, so its canonical form is stable."""
    lot = db.session.get(Lot, trade.lot_id)
    version = db.session.scalar(
        sa.select(LotVersion).where(
            LotVersion.lot_id == lot.id, LotVersion.number == trade.lot_version
        )
    )
    category = db.session.get(Category, version.category_id)
    lot_evidence = db.session.scalars(  # exactly the archive version the trade was made on
        sa.select(Evidence).where(Evidence.id.in_(version.evidence_ids or [])).order_by(Evidence.id)
    )
    dispute_evidence = db.session.scalars(
        sa.select(DisputeEvidence)
        .join(Dispute, Dispute.id == DisputeEvidence.dispute_id)
        .where(Dispute.trade_id == trade.id)
        .order_by(DisputeEvidence.id)
    )
    evidence = [
        {"kind": e.kind.value, "filename": e.filename, "sha256": e.sha256} for e in lot_evidence
    ] + [{"kind": "dispute", "filename": e.filename, "sha256": e.sha256} for e in dispute_evidence]
    return {
        "number": number,
        "issued_at": _iso(issued_at),
        "trade_id": trade.id,
        "lot": {"id": lot.id, "version": trade.lot_version, "title": version.title},
        "category": {"code": category.code, "name": category.name_zh, "name_en": category.name_en},
        "hazardous": bool(version.hazardous),
        "hw_codes": sorted(version.hw_codes or []),
        "net_kg": _kg(trade.net_g),
        "seller": _party(trade.seller_id),
        "buyer": _party(trade.buyer_id),
        "end_use": {"kind": trade.end_use_kind, "description": trade.end_use},
        "dates": {
            "awarded": _iso(trade.created_at),
            "delivered": _iso(trade.delivered_at),
            "settled": _iso(trade.settled_at),
            "closed": _iso(trade.closed_at),
        },
        "evidence": evidence,
    }


def fingerprint(body: dict[str, Any]) -> str:
    """SHA-256 of the RFC 8785 canonical JSON of a certificate body."""
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def issue(trade: Trade, *, now: datetime, tz: str) -> Certificate:
    number = f"HLRC-{to_local(now, tz).year}-{trade.id:06d}"
    body = body_of(trade, number, now)
    cert = Certificate(
        trade_id=trade.id,
        number=number,
        code=secrets.token_hex(8),
        issued_at=now,
        body=body,
        sha256=fingerprint(body),
    )
    db.session.add(cert)
    db.session.flush()
    announce.certificate_issued(trade, cert, now)
    audit.record(
        "certificate.issued",
        organization_id=trade.buyer_id,
        target=f"trade:{trade.id}",
        number=number,
        sha256=cert.sha256,
    )
    return cert


def by_code(code: str) -> Certificate:
    """A certificate by its public code: anyone holding the link (or the QR) may read it."""
    cert = (
        db.session.scalar(sa.select(Certificate).where(Certificate.code == code))
        if len(code) <= 24
        else None
    )
    if cert is None:
        raise NotFound("证明不存在")
    return cert


def for_actor(actor: Actor, limit: int = 200) -> list[Certificate]:
    """Certificates of trades my organisation bought or sold (all for cluster readers)."""
    stmt = (
        sa.select(Certificate)
        .join(Trade, Trade.id == Certificate.trade_id)
        .order_by(Certificate.id.desc())
        .limit(limit)
    )
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(sa.or_(Trade.buyer_id == actor.org_id, Trade.seller_id == actor.org_id))
    return list(db.session.scalars(stmt))
