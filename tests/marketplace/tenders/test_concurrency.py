"""Race tests on the real PostgreSQL: twenty simultaneous "choose" clicks, simultaneous quotes."""

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Conflict
from marketplace.tenders import awards, services
from marketplace.tenders.models import ServiceAward, ServiceQuote, ServiceRequest
from tests.marketplace.tenders.conftest import carrier_user, publish, quote
from tests.marketplace.trading.test_concurrency import postgres_only, run_together

__all__ = ["postgres_only"]  # the fixture, used by name below
N = 20


def test_twenty_concurrent_choices_make_exactly_one_award(
    app, postgres_only, client, producer, catalogue
) -> None:
    rid = publish(client, producer)["id"]
    carriers = [carrier_user(f"c{i}") for i in range(4)]
    quote_ids = [quote(client, c, rid, str(100 + i)).json["id"] for i, c in enumerate(carriers)]
    actor = Actor(producer.id, producer.organization_id, OrgKind.PRODUCER, Role.OPERATOR)
    from core.time import utcnow

    outcomes = run_together(
        app, lambda i: awards.choose(actor, rid, quote_ids[i % 4], now=utcnow()).id, n=N
    )
    won = [o for o in outcomes if isinstance(o, int)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in outcomes if not isinstance(o, int)), outcomes
    db.session.expire_all()
    award = db.session.scalar(sa.select(ServiceAward))
    assert db.session.scalar(sa.select(sa.func.count(ServiceAward.id))) == 1
    assert award.id == won[0]
    assert db.session.get(ServiceRequest, rid).status.value == "awarded"


def test_concurrent_revisions_of_one_provider_each_go_lower(
    app, postgres_only, client, producer, catalogue
) -> None:
    """Quotes lock the request: ten revisions sent at once are serialised, none lost or equal."""
    rid = publish(client, producer)["id"]
    carrier = carrier_user()
    actor = Actor(carrier.id, carrier.organization_id, OrgKind.LOGISTICS, Role.OPERATOR)
    from datetime import timedelta

    from core.time import utcnow

    today = utcnow().date()
    data = {
        "basis": "per_tonne",
        "earliest_date": today + timedelta(days=3),
        "valid_until": today + timedelta(days=10),
    }
    outcomes = run_together(
        app,
        lambda i: (
            services.submit_quote(actor, rid, {**data, "price_yuan": str(200 - i)}, now=utcnow()).id
        ),
        n=10,
    )
    accepted = [o for o in outcomes if isinstance(o, int)]
    assert accepted
    rows = db.session.scalars(
        sa.select(ServiceQuote)
        .where(ServiceQuote.request_id == rid)
        .order_by(ServiceQuote.revision)
    ).all()
    assert sorted(r.id for r in rows) == sorted(accepted)
    assert [r.revision for r in rows] == list(range(1, len(rows) + 1))
    totals = [r.total_fen for r in rows]
    assert totals == sorted(totals, reverse=True)
    assert len(set(totals)) == len(totals)  # each strictly below the one before
