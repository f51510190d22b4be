"""Bidding through the API: rules named, deposits held and released, awards, escrow."""

from datetime import timedelta

import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from marketplace.lots.models import Lot, LotStatus
from marketplace.trading.models import Bid, LedgerAccount, Sale, Trade
from tests.marketplace.trading.conftest import licensed_recycler, open_sale


def bid(client, user, lot, amount, **extra):
    headers = dict(user.headers)
    if "key" in extra:
        headers["Idempotency-Key"] = extra.pop("key")
    return client.post(
        f"/api/v1/lots/{lot['id']}/bids",
        json={"amount_yuan_per_t": amount, **extra},
        headers=headers,
    )


def force_deadline(lot_id):
    sale = db.session.scalar(sa.select(Sale).where(Sale.lot_id == lot_id))
    sale.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_ascending_auction_to_award(client, producer, listed, buyers) -> None:
    open_sale(client, producer, listed, reserve_yuan_per_t="1500")
    a, b, c = buyers
    assert bid(client, a, listed, "1400").status_code == 201
    low = bid(client, b, listed, "1405")
    assert low.status_code == 422
    assert low.json["error"]["fields"] == {"amount": "below increment"}
    assert bid(client, b, listed, "1600", max_yuan_per_t="1800").status_code == 201
    assert bid(client, c, listed, "1700").status_code == 201
    force_deadline(listed["id"])
    closed = client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    assert closed.status_code == 200, closed.json
    trade = db.session.scalar(sa.select(Trade))
    assert trade.buyer_id == b.organization_id
    assert trade.price_fen_per_t == 171_000  # c's 1700 + one 10-yuan increment
    assert trade.lot_version == 1
    assert db.session.get(Lot, listed["id"]).status is LotStatus.AWARDED
    again = bid(client, a, listed, "2000")
    assert again.status_code == 409


def test_eligibility_names_the_rule(client, producer, listed, buyers, catalogue) -> None:
    open_sale(client, producer, listed)
    plastics = licensed_recycler("塑料厂", 22.9, 113.9, families=("PL",))
    far = licensed_recycler("韶关", 24.8, 113.6)
    small = licensed_recycler("小厂", 23.0, 113.6, capacity=1)  # 1 t/month < 12.5 t
    expectations = {plastics: "licence_scope", far: "haul_radius", small: "capacity"}
    for user, rule in expectations.items():
        response = bid(client, user, listed, "1500")
        assert response.status_code == 409, response.json
        assert rule in response.json["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0


def test_no_bidding_on_own_or_unlisted_lots(client, producer, listed, buyers) -> None:
    response = client.post(
        f"/api/v1/lots/{listed['id']}/bids",
        json={"amount_yuan_per_t": "1"},
        headers=producer.headers,
    )
    assert response.status_code == 403  # producers cannot bid at all
    no_sale = bid(client, buyers[0], listed, "1500")
    assert no_sale.status_code == 404


def test_deposit_is_held_and_released(client, producer, listed, buyers, admin) -> None:
    open_sale(client, producer, listed, deposit_yuan="500")
    a, b, _ = buyers
    refused = bid(client, a, listed, "1500")
    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"amount": "insufficient available balance"}
    for user in (a, b):
        top = client.post(
            "/api/v1/escrow/top-ups",
            headers={**admin.headers, "Idempotency-Key": f"bank-{user.id}"},
            json={
                "organization_id": user.organization_id,
                "amount_yuan": "800",
                "reference": "银行到账",
            },
        )
        assert top.status_code == 201, top.json
    assert bid(client, a, listed, "1500").status_code == 201
    assert bid(client, b, listed, "1510").status_code == 201
    assert bid(client, a, listed, "1520").status_code == 201  # one deposit per bidder
    mine = client.get("/api/v1/escrow", headers=a.headers).json
    assert (mine["available_yuan"], mine["held_yuan"]) == ("300.00", "500.00")
    force_deadline(listed["id"])
    client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    loser = client.get("/api/v1/escrow", headers=b.headers).json
    assert (loser["available_yuan"], loser["held_yuan"]) == ("800.00", "0.00")
    winner = client.get("/api/v1/escrow", headers=a.headers).json
    assert winner["held_yuan"] == "500.00"  # kept until settlement
    assert all(r.balance_fen >= 0 for r in db.session.scalars(sa.select(LedgerAccount)))


def test_idempotent_bid_and_top_up(client, producer, listed, buyers, admin) -> None:
    open_sale(client, producer, listed)
    first = bid(client, buyers[0], listed, "1500", key="k-1")
    second = bid(client, buyers[0], listed, "1500", key="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 1
    body = {"organization_id": buyers[1].organization_id, "amount_yuan": "100", "reference": "x"}
    headers = {**admin.headers, "Idempotency-Key": "bank-77"}
    assert client.post("/api/v1/escrow/top-ups", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/escrow/top-ups", json=body, headers=headers).status_code == 201
    assert (
        client.get("/api/v1/escrow", headers=buyers[1].headers).json["available_yuan"] == "100.00"
    )


def test_sealed_bids_are_hidden_until_close(client, producer, listed, buyers) -> None:
    open_sale(client, producer, listed, mode="sealed_second", reserve_yuan_per_t="1000")
    a, b, _ = buyers
    bid(client, a, listed, "1500")
    bid(client, b, listed, "1700")
    seen_by_a = client.get(f"/api/v1/lots/{listed['id']}/bids", headers=a.headers).json
    assert [x["organization_id"] for x in seen_by_a] == [a.organization_id]
    assert len(client.get(f"/api/v1/lots/{listed['id']}/bids", headers=producer.headers).json) == 2
    force_deadline(listed["id"])
    client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    assert db.session.scalar(sa.select(Trade.price_fen_per_t)) == 150_000
    assert len(client.get(f"/api/v1/lots/{listed['id']}/bids", headers=a.headers).json) == 2


def test_closing_early_is_refused_and_no_bids_expire_the_lot(client, producer, listed) -> None:
    open_sale(client, producer, listed)
    early = client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    assert early.status_code == 409
    force_deadline(listed["id"])
    client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    assert db.session.get(Lot, listed["id"]).status is LotStatus.EXPIRED


def test_sale_rules_are_validated(client, producer, listed) -> None:
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    bad = client.put(
        f"/api/v1/lots/{listed['id']}/sale",
        json={"mode": "ascending", "deadline": past},
        headers=producer.headers,
    )
    assert bad.status_code == 422
    assert "deadline" in bad.json["error"]["fields"]
    fixed = client.put(
        f"/api/v1/lots/{listed['id']}/sale",
        json={"mode": "fixed", "deadline": (utcnow() + timedelta(days=1)).isoformat()},
        headers=producer.headers,
    )
    assert fixed.status_code == 422
    assert "fixed_price_yuan_per_t" in fixed.json["error"]["fields"]


def test_due_sales_close_by_job_and_cli(app, client, producer, listed, buyers) -> None:
    from core import jobs

    open_sale(client, producer, listed)
    bid(client, buyers[0], listed, "1500")
    force_deadline(listed["id"])
    row = jobs.create("trading.close_due")
    db.session.commit()
    jobs.execute(row.id)
    db.session.expire_all()
    assert db.session.get(jobs.Job, row.id).result == {"closed": [listed["id"]]}
    assert db.session.get(Lot, listed["id"]).status is LotStatus.AWARDED
    output = app.test_cli_runner().invoke(args=["trading", "close-due"]).output
    assert "closed 0 sale(s)" in output


def test_celery_beat_closes_sales_every_minute_and_settles_due_trades(monkeypatch) -> None:
    from marketplace import create_app

    monkeypatch.setenv("SECRET_KEY", "k")
    celery = create_app({"BROKER_URL": "redis://127.0.0.1:6379/15"}).extensions["celery"]
    close = celery.conf.beat_schedule["trading.close_due"]
    assert close["schedule"] == 60.0
    assert close["args"] == ("trading.close_due",)
    assert close["task"] in celery.tasks
    assert celery.conf.beat_schedule["trading.settle_due"]["args"] == ("trading.settle_due",)
