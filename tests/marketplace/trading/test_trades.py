"""After the award: fund supervision before pickup, delivery on the weighbridge, settlement."""

from decimal import Decimal

import sqlalchemy as sa

from core.db import db
from marketplace.lots.models import Lot, LotStatus
from marketplace.trading.models import LedgerAccount, Trade
from marketplace.trading.settlement import amount_fen, payable_fen
from tests.marketplace.trading.conftest import open_sale
from tests.marketplace.trading.test_trading_api import bid, force_deadline


def awarded(client, producer, listed, buyer):
    open_sale(client, producer, listed)
    assert bid(client, buyer, listed, "1600").status_code == 201
    force_deadline(listed["id"])
    client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    return db.session.scalar(sa.select(Trade.id))


def top_up(client, admin, org_id, yuan, key):
    response = client.post(
        "/api/v1/escrow/top-ups",
        json={"organization_id": org_id, "amount_yuan": yuan, "reference": "银行到账"},
        headers={**admin.headers, "Idempotency-Key": key},
    )
    assert response.status_code == 201, response.json


def test_settlement_amounts_are_exact() -> None:
    assert amount_fen(160_000, 12_500_000) == 2_000_000  # 12.5 t × 1600 CNY/t = 20,000 CNY
    assert amount_fen(1, 500_000) == 1  # half a fen rounds up
    # paper at 15 % moisture against a 12 % contract: 12 t settles as 11.590909 t
    assert payable_fen(160_000, 12_000_000, "PA", Decimal(15), Decimal(12)) == 1_854_545


def test_pickup_waits_for_funds_then_settles(client, producer, listed, buyers, admin) -> None:
    buyer = buyers[0]
    trade_id = awarded(client, producer, listed, buyer)
    path = f"/api/v1/trades/{trade_id}"
    blocked = client.post(f"{path}/schedule", headers=producer.headers)
    assert blocked.status_code == 409
    assert "escrow" in blocked.json["error"]["fields"]
    top_up(client, admin, buyer.organization_id, "19999.99", "a")  # one fen short
    assert client.post(f"{path}/schedule", headers=producer.headers).status_code == 409
    top_up(client, admin, buyer.organization_id, "0.01", "b")  # equal passes
    scheduled = client.post(f"{path}/schedule", headers=producer.headers)
    assert scheduled.status_code == 200, scheduled.json
    assert scheduled.json["reserved_yuan"] == "20000.00"
    assert client.get("/api/v1/escrow", headers=buyer.headers).json["held_yuan"] == "20000.00"

    early = client.post(f"{path}/settle", headers=buyer.headers)
    assert early.status_code == 409
    assert early.json["error"]["fields"] == {"status": "allowed: cancelled, picked_up"}
    assert client.post(f"{path}/picked-up", headers=producer.headers).status_code == 200
    delivered = client.post(
        f"{path}/delivered",
        headers=buyer.headers,
        json={"net_kg": "12000", "measured_moisture_pct": "15", "contract_moisture_pct": "12"},
    )
    assert delivered.status_code == 200, delivered.json
    settled = client.post(f"{path}/settle", headers=buyer.headers)
    assert settled.status_code == 200, settled.json
    assert settled.json["settled_yuan"] == "18545.45"
    seller = client.get("/api/v1/escrow", headers=producer.headers).json
    assert seller["available_yuan"] == "18545.45"
    mine = client.get("/api/v1/escrow", headers=buyer.headers).json
    assert (mine["available_yuan"], mine["held_yuan"]) == ("1454.55", "0.00")
    assert db.session.get(Lot, listed["id"]).status is LotStatus.SETTLED
    total = db.session.scalar(sa.select(sa.func.sum(LedgerAccount.balance_fen)))
    assert total == 2_000_000  # everything topped up is still somewhere


def test_only_the_buyer_records_delivery(client, producer, listed, buyers, admin) -> None:
    trade_id = awarded(client, producer, listed, buyers[0])
    top_up(client, admin, buyers[0].organization_id, "20000", "c")
    client.post(f"/api/v1/trades/{trade_id}/schedule", headers=producer.headers)
    client.post(f"/api/v1/trades/{trade_id}/picked-up", headers=producer.headers)
    stranger = client.post(
        f"/api/v1/trades/{trade_id}/delivered", headers=buyers[1].headers, json={"net_kg": "1"}
    )
    assert stranger.status_code == 403
    bad = client.post(
        f"/api/v1/trades/{trade_id}/delivered", headers=buyers[0].headers, json={"net_kg": "-5"}
    )
    assert bad.status_code == 422
    assert "net_kg" in bad.json["error"]["fields"]
    listed_trades = client.get("/api/v1/trades", headers=buyers[1].headers).json
    assert listed_trades == []


def test_settled_trades_make_the_price_index(client, producer, listed, buyers, admin) -> None:
    from tests.marketplace.conftest import archive

    buyer = buyers[0]
    trade_id = awarded(client, producer, listed, buyer)
    top_up(client, admin, buyer.organization_id, "20000", "idx")
    path = f"/api/v1/trades/{trade_id}"
    client.post(f"{path}/schedule", headers=producer.headers)
    client.post(f"{path}/picked-up", headers=producer.headers)
    client.post(f"{path}/delivered", headers=buyer.headers, json={"net_kg": "12500"})
    client.post(f"{path}/settle", headers=buyer.headers)
    points = client.get("/api/v1/price-index?grade=PA-OCC", headers=buyer.headers).json
    assert [(p["price_yuan_per_t"], p["volume_t"], p["n_trades"]) for p in points] == [
        ("1600.00", "12.5", 1)
    ]
    other = client.post(
        "/api/v1/lots",
        json=archive(producer.site.id, ask_yuan_per_t="1680"),
        headers=producer.headers,
    ).json
    assert other["index"]["price_yuan_per_t"] == "1600.00"
    assert other["index"]["ask_ratio"] == 1.05
    assert client.get("/api/v1/price-index?grade=PL-PP-REGRIND", headers=buyer.headers).json == []
