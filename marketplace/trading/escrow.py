"""The escrow ledger on the database: post balanced entries under row locks, idempotently.

Accounts are locked in a fixed order (organisation, bucket) with SELECT … FOR UPDATE so two
movements on one account serialise without deadlocks; the pure `ledger.apply` refuses an
overdraft before anything is written, and a CHECK constraint refuses it again in the database.
A replayed idempotency key returns the entry it first created and moves no money.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core import audit
from core.auth import Actor
from core.db import db
from marketplace.trading import ledger
from marketplace.trading.models import LedgerAccount, LedgerEntry, LedgerPosting


def _ensure(accounts: list[ledger.Account]) -> None:
    for org, bucket in accounts:
        if db.session.get(LedgerAccount, (org, bucket)) is None:
            try:
                with db.session.begin_nested():
                    db.session.add(LedgerAccount(organization_id=org, bucket=bucket, balance_fen=0))
            except IntegrityError:
                pass  # created concurrently: fine, we lock it next


def _lock(accounts: list[ledger.Account]) -> dict[ledger.Account, LedgerAccount]:
    _ensure(accounts)
    rows = db.session.scalars(
        sa.select(LedgerAccount)
        .where(sa.tuple_(LedgerAccount.organization_id, LedgerAccount.bucket).in_(accounts))
        .order_by(LedgerAccount.organization_id, LedgerAccount.bucket)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {(r.organization_id, r.bucket): r for r in rows}


def _by_key(key: str) -> LedgerEntry | None:
    return db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def post(
    entry: ledger.Entry, *, reference: str = "", key: str | None = None, user_id: int | None = None
) -> LedgerEntry:
    """Write `entry` (or return the one `key` already wrote); the caller commits."""
    if key is not None and (existing := _by_key(key)) is not None:
        return existing
    accounts = sorted({acc for acc, _ in entry.postings if acc != ledger.EXTERNAL})
    try:
        with db.session.begin_nested():
            rows = _lock(accounts)
            after = ledger.apply({acc: rows[acc].balance_fen for acc in accounts}, entry)
            for acc in accounts:
                rows[acc].balance_fen = after[acc]
            row = LedgerEntry(
                kind=entry.kind, reference=reference[:80], idempotency_key=key, created_by=user_id
            )
            row.postings = [
                LedgerPosting(
                    organization_id=None if acc == ledger.EXTERNAL else acc[0],
                    bucket=acc[1],
                    amount_fen=amount,
                )
                for acc, amount in entry.postings
            ]
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        if key is not None and (existing := _by_key(key)) is not None:
            return existing  # the same key won a race: one effect
        raise
    return row


def payout(actor: Actor, amount_fen: int, reference: str, key: str | None = None) -> LedgerEntry:
    """Money leaves the platform to the organisation's bank account, from what is available
    (held money is never paid out). The operator's bank transfer follows this entry."""
    entry = post(
        ledger.payout(actor.org_id, amount_fen),
        reference=reference,
        key=f"payout:{actor.org_id}:{key}" if key else None,
        user_id=actor.user_id,
    )
    audit.record(
        "escrow.payout",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"organization:{actor.org_id}",
        entry=entry.id,
        fen=amount_fen,
    )
    return entry


def balances(org_id: int) -> dict[str, int]:
    """An organisation's `available` and `held` balances in fen."""
    rows = db.session.scalars(
        sa.select(LedgerAccount).where(LedgerAccount.organization_id == org_id)
    )
    result = {"available": 0, "held": 0}
    result.update({r.bucket: r.balance_fen for r in rows})
    return result


def entries(org_id: int, limit: int = 50) -> list[LedgerEntry]:
    """The newest entries touching an organisation."""
    ids = sa.select(LedgerPosting.entry_id).where(LedgerPosting.organization_id == org_id)
    stmt = (
        sa.select(LedgerEntry)
        .where(LedgerEntry.id.in_(ids))
        .order_by(LedgerEntry.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
