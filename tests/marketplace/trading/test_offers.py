"""Offers (议价): hidden from other buyers, each raising its own, the seller accepts or rejects;
withdrawing a lot ends its sale and releases every deposit."""

import sqlalchemy as sa

from core.db import db
from marketplace.lots.models import Lot, LotStatus
from marketplace.trading.models import Sale, Trade
from tests.marketplace.trading.conftest import open_sale
from tests.marketplace.trading.test_trades import top_up
from tests.marketplace.trading.test_trading_api import bid, force_deadline


def offers_sale(client, producer, lot, **rules):
    return open_sale(client, producer, lot, mode="offers", reserve_yuan_per_t="1500", **rules)


def test_offers_are_private_and_each_buyer_raises_its_own(client, producer, listed, buyers):
    offers_sale(client, producer, listed)
    a, b, _ = buyers
    assert bid(client, a, listed, "1550").status_code == 201
    low = bid(client, b, listed, "1400")
    assert low.status_code == 422
    assert low.json["error"]["fields"] == {"amount": "below the reserve"}
    assert bid(client, b, listed, "1520").status_code == 201  # below a's: fine, offers are private
    same = bid(client, a, listed, "1550")
    assert same.status_code == 422
    assert same.json["error"]["fields"] == {"amount": "not above your last offer"}
    proxy = bid(client, a, listed, "1560", max_yuan_per_t="1600")
    assert proxy.status_code == 422
    seen_by_b = client.get(f"/api/v1/lots/{listed['id']}/bids", headers=b.headers).json
    assert {x["organization_id"] for x in seen_by_b} == {b.organization_id}
    seen_by_seller = client.get(f"/api/v1/lots/{listed['id']}/bids", headers=producer.headers).json
    assert len(seen_by_seller) == 2
    state = client.get(f"/api/v1/lots/{listed['id']}/sale", headers=a.headers).json
    assert (state["position"], state["standing_yuan_per_t"], state["n_bids"]) == (
        "pending",
        None,
        2,
    )


def test_seller_accepts_an_offer_and_the_trade_is_at_that_price(
    client, producer, listed, buyers, admin
):
    offers_sale(client, producer, listed, deposit_yuan="500")
    a, b, _ = buyers
    for user in (a, b):
        top_up(client, admin, user.organization_id, "1000", f"dep-{user.id}")
    first = bid(client, a, listed, "1550").json
    bid(client, a, listed, "1580")
    offer_b = bid(client, b, listed, "1600").json
    path = f"/api/v1/lots/{listed['id']}/bids"
    stale = client.post(f"{path}/{first['id']}/accept", headers=producer.headers)
    assert stale.status_code == 409
    assert stale.json["error"]["fields"] == {"bid": "superseded by a later offer"}
    assert client.post(f"{path}/{offer_b['id']}/accept", headers=a.headers).status_code == 403
    accepted = client.post(f"{path}/{offer_b['id']}/accept", headers=producer.headers)
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["price_yuan_per_t"] == "1600.00"
    assert accepted.json["buyer_id"] == b.organization_id
    assert db.session.get(Lot, listed["id"]).status is LotStatus.AWARDED
    # the loser's deposit is back, the winner's stays held
    assert client.get("/api/v1/escrow", headers=a.headers).json["held_yuan"] == "0.00"
    assert client.get("/api/v1/escrow", headers=b.headers).json["held_yuan"] == "500.00"
    again = client.post(f"{path}/{offer_b['id']}/accept", headers=producer.headers)
    assert again.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(Trade.id))) == 1


def test_rejected_offer_can_be_raised_and_deadline_without_acceptance_expires(
    client, producer, listed, buyers
):
    offers_sale(client, producer, listed)
    a = buyers[0]
    offer = bid(client, a, listed, "1510").json
    path = f"/api/v1/lots/{listed['id']}/bids/{offer['id']}"
    rejected = client.post(f"{path}/reject", headers=producer.headers)
    assert rejected.status_code == 200
    assert rejected.json["decision"] == "rejected"
    assert client.post(f"{path}/accept", headers=producer.headers).status_code == 409
    state = client.get(f"/api/v1/lots/{listed['id']}/sale", headers=a.headers).json
    assert state["position"] == "rejected"
    assert bid(client, a, listed, "1560").status_code == 201
    force_deadline(listed["id"])
    late = client.post(f"{path}/accept", headers=producer.headers)
    assert late.status_code == 409
    closed = client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    assert closed.json["outcome"] == "no offer accepted"
    assert db.session.get(Lot, listed["id"]).status is LotStatus.EXPIRED


def test_withdrawing_a_lot_ends_its_sale_and_releases_deposits(
    client, producer, listed, buyers, admin
):
    open_sale(client, producer, listed, deposit_yuan="300")
    a, b, _ = buyers
    for user in (a, b):
        top_up(client, admin, user.organization_id, "300", f"w-{user.id}")
    assert bid(client, a, listed, "1500").status_code == 201
    assert bid(client, b, listed, "1600").status_code == 201
    assert client.get("/api/v1/escrow", headers=a.headers).json["held_yuan"] == "300.00"
    gone = client.post(f"/api/v1/lots/{listed['id']}/withdraw", headers=producer.headers)
    assert gone.status_code == 200, gone.json
    for user in (a, b):
        mine = client.get("/api/v1/escrow", headers=user.headers).json
        assert (mine["available_yuan"], mine["held_yuan"]) == ("300.00", "0.00")
    sale = db.session.scalar(sa.select(Sale))
    assert sale.outcome == "withdrawn by the seller"
    assert bid(client, a, listed, "1700").status_code == 409
