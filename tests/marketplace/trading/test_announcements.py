"""Trading tells the parties: outbid, deposits held and released, award, pickup, dispute,
settlement and certificate reach the in-app notifications, and a buyer's ERP webhook receives
the award signed (a real HTTP receiver on 127.0.0.1)."""

import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from marketplace.notify import delivery
from marketplace.notify.models import Notification
from tests.marketplace.trading.conftest import open_sale
from tests.marketplace.trading.test_certificates import END_USE
from tests.marketplace.trading.test_fulfilment import delivered
from tests.marketplace.trading.test_trades import top_up
from tests.marketplace.trading.test_trading_api import bid, force_deadline


def events_of(org_id):
    return [
        (n.event, n.link)
        for n in db.session.scalars(
            sa.select(Notification)
            .where(Notification.organization_id == org_id)
            .order_by(Notification.id)
        )
    ]


def test_bidding_announces_deposits_outbid_and_the_award(client, producer, listed, buyers, admin):
    a, b, _ = buyers
    for user in (a, b):
        top_up(client, admin, user.organization_id, "500", f"n-{user.id}")
    open_sale(client, producer, listed, deposit_yuan="200")
    assert bid(client, a, listed, "1500").status_code == 201
    assert bid(client, b, listed, "1600").status_code == 201
    lot = f"/lots/{listed['id']}"
    assert events_of(a.organization_id) == [("deposit.held", lot), ("bid.outbid", lot)]
    outbid = db.session.scalar(sa.select(Notification).where(Notification.event == "bid.outbid"))
    assert outbid.params["price"] == "1,600.00"
    # a proxy defends the lead: the new bidder hears at once that it is not leading
    assert bid(client, a, listed, "1700", max_yuan_per_t="2000").status_code == 201
    assert bid(client, b, listed, "1710").status_code == 201
    assert events_of(b.organization_id)[-1] == ("bid.outbid", lot)
    force_deadline(listed["id"])
    client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    assert ("deposit.released", lot) in events_of(b.organization_id)
    awarded = [e for e in events_of(a.organization_id) if e[0] == "trade.awarded"]
    assert len(awarded) == 1
    assert awarded[0][1].startswith("/trades/")
    assert [e for e, _ in events_of(producer.organization_id)] == ["trade.awarded"]


def test_fulfilment_announces_each_step_and_a_webhook_receives_it(
    webhook_app, client, producer, listed, buyers, admin, receiver_factory
):
    buyer = buyers[0]
    receiver = receiver_factory(statuses=[200] * 10)
    created = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": ["trade.awarded", "trade.settled"]},
        headers=buyer.headers,
    )
    assert created.status_code == 201, created.json
    receiver.secret = created.json["secret"]
    trade_id, path = delivered(client, producer, listed, buyer, admin)
    client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={"kind": "quality", "claim_yuan": "100", "description": "杂质超过约定"},
    )
    dispute = db.session.scalar(sa.text("SELECT id FROM disputes"))
    client.post(f"/api/v1/disputes/{dispute}/accept", headers=producer.headers, json={})
    client.post(f"{path}/close", headers=buyer.headers, json=END_USE)
    seller_events = [e for e, _ in events_of(producer.organization_id)]
    assert seller_events == [
        "trade.awarded",
        "pickup.scheduled",
        "dispute.opened",
        "trade.settled",
        "dispute.resolved",
        "certificate.issued",
    ]
    report = delivery.deliver_due(now=lambda: utcnow())
    assert report.delivered == 2
    events = [r.headers["X-Huanlian-Event"] for r in receiver.requests]
    assert events == ["trade.awarded", "trade.settled"]
    assert all(r.verified for r in receiver.requests)
    settled = receiver.requests[1].json["data"]
    assert (settled["trade_id"], settled["settled_yuan"], settled["deduction_yuan"]) == (
        trade_id,
        "19900.00",
        "100.00",
    )
