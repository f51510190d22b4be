"""Race tests on the real PostgreSQL: 50 simultaneous bidders, 50 simultaneous holds."""

import itertools
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.errors import DomainError
from core.time import utcnow
from marketplace.trading import auction, escrow, ledger, services
from marketplace.trading.models import Bid, LedgerAccount, Trade
from tests.marketplace.trading.conftest import licensed_recycler, open_sale

N = 50


@pytest.fixture
def postgres_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("race tests need the real PostgreSQL (SQLite serialises all writers)")


def run_together(app, work, n=N):
    """Run `work(i)` in n threads released at once, each in its own app context and session."""
    barrier = threading.Barrier(n)
    outcomes: list = [None] * n

    def worker(i):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[i] = work(i)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                outcomes[i] = err
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes


def test_fifty_concurrent_bidders_lose_nothing_and_one_wins(
    app, postgres_only, client, producer, listed
) -> None:
    open_sale(client, producer, listed, min_increment_yuan="1")
    bidders = [licensed_recycler(f"b{i}", 23.04, 113.58) for i in range(N)]
    actors = [Actor(u.id, u.organization_id, OrgKind.RECYCLER, Role.MANAGER) for u in bidders]
    lot_id = listed["id"]

    outcomes = run_together(
        app, lambda i: services.place_bid(actors[i], lot_id, 1000 + 10 * i, now=utcnow()).id
    )
    accepted = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(accepted) + len(refused) == N
    assert accepted
    stored = db.session.scalars(sa.select(Bid).where(Bid.lot_id == lot_id).order_by(Bid.id)).all()
    assert sorted(b.id for b in stored) == sorted(accepted)  # every accepted bid is there
    for earlier, later in itertools.pairwise(stored):  # in order, each beat the last
        assert later.amount_fen >= earlier.amount_fen + 100
    sale = services.rules_of(db.session.scalar(sa.select(services.Sale)))
    db.session.expire_all()
    run_together(
        app, lambda i: services.close_sale(lot_id, now=utcnow() + timedelta(hours=2)), n=10
    )
    trades = db.session.scalars(sa.select(Trade)).all()
    assert len(trades) == 1
    assert trades[0].buyer_id == stored[-1].organization_id
    assert (
        auction.close(
            sale, [auction.Bid(b.organization_id, b.amount_fen, b.placed_at, b.id) for b in stored]
        ).winner_id
        == trades[0].buyer_id
    )


def test_fifty_concurrent_holds_never_overdraw(app, postgres_only) -> None:
    from tests.factories import make_org

    org_id = make_org(OrgKind.RECYCLER).id  # a plain int: threads must not touch this session
    db.session.commit()
    escrow.post(ledger.top_up(org_id, 1_000))
    db.session.commit()
    outcomes = run_together(app, lambda i: escrow.post(ledger.hold(org_id, 100)).id)
    assert sum(isinstance(o, int) for o in outcomes) == 10, [type(o).__name__ for o in outcomes]
    rows = {
        r.bucket: r.balance_fen
        for r in db.session.scalars(
            sa.select(LedgerAccount).where(LedgerAccount.organization_id == org_id)
        )
    }
    assert rows == {"available": 0, "held": 1_000}


def test_the_same_key_from_fifty_threads_moves_money_once(app, postgres_only) -> None:
    from tests.factories import make_org

    org_id = make_org(OrgKind.RECYCLER).id
    db.session.commit()
    outcomes = run_together(
        app, lambda i: escrow.post(ledger.top_up(org_id, 500), key="bank-ref-1").id
    )
    assert len({o for o in outcomes if isinstance(o, int)}) == 1
    assert all(isinstance(o, int) for o in outcomes)  # every replay answered with one entry
    assert escrow.balances(org_id)["available"] == 500
