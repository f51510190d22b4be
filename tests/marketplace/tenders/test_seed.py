"""The demo's service tenders: history with ratings, open requests with quotes, deterministic."""

from datetime import UTC, datetime

import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind
from core.models import Organization
from marketplace.seed.services import seed_demo
from marketplace.seed.tenders import seed_tenders
from marketplace.tenders.lifecycle import ServiceStatus
from marketplace.tenders.models import ServiceAward, ServiceQuote, ServiceRating, ServiceRequest
from tests.conftest import empty_database

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def snapshot() -> list[tuple]:
    """Ids differ between runs on PostgreSQL (sequences go on); compare what users see."""
    quotes = db.session.scalars(sa.select(ServiceQuote).order_by(ServiceQuote.id))
    ratings = db.session.scalars(sa.select(ServiceRating).order_by(ServiceRating.id))
    return [(q.created_at, q.organization.legal_name, q.revision, q.total_fen) for q in quotes] + [
        (r.award.request.created_at, r.award.provider.legal_name, r.stars) for r in ratings
    ]


def test_demo_tenders_cover_every_stage(app, demo) -> None:
    made = seed_tenders(now=NOW)
    db.session.commit()
    requests = db.session.scalars(sa.select(ServiceRequest)).all()
    assert made == len(requests) >= 10
    by_status = {s: [r for r in requests if r.status is s] for s in ServiceStatus}
    assert len(by_status[ServiceStatus.COMPLETED]) >= 5
    assert by_status[ServiceStatus.AWARDED]
    open_now = [r for r in by_status[ServiceStatus.OPEN] if r.deadline > NOW]
    assert len(open_now) >= 3
    assert {r.kind.value for r in requests} == {"transport", "disposal"}
    rated = db.session.scalars(sa.select(ServiceRating.provider_id).distinct()).all()
    assert len(rated) >= 3  # several providers have a record to weigh
    assert db.session.scalar(sa.select(sa.func.max(ServiceQuote.revision))) >= 2
    assert db.session.scalar(sa.select(sa.func.count(ServiceAward.id))) == len(
        by_status[ServiceStatus.COMPLETED]
    ) + len(by_status[ServiceStatus.AWARDED])
    carriers = db.session.scalar(
        sa.select(sa.func.count(Organization.id)).where(Organization.kind == OrgKind.LOGISTICS)
    )
    assert carriers == 3
    assert seed_tenders(now=NOW) == 0  # once only


def test_demo_tenders_are_deterministic(app, demo) -> None:
    seed_tenders(now=NOW)
    db.session.commit()
    first = snapshot()
    db.session.remove()
    with db.engine.begin() as conn:
        empty_database(conn)
    seed_demo()
    seed_tenders(now=NOW)
    db.session.commit()
    assert snapshot() == first
