"""After the award: cancellation and deposit forfeit, the dispute window, disputes answered and
decided, settlement by itself when the window passes, refunds and payouts."""

import io
from datetime import timedelta

import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from marketplace.lots.models import Lot, LotStatus
from marketplace.trading import trades
from marketplace.trading.models import LedgerAccount, Trade, TradeStatus
from tests.marketplace.conftest import png_bytes
from tests.marketplace.trading.conftest import open_sale
from tests.marketplace.trading.test_trades import top_up
from tests.marketplace.trading.test_trading_api import bid, force_deadline


def won(client, producer, listed, buyer, admin, *, deposit="0", fund="20000"):
    """An awarded 12.5 t OCC trade at 1600 CNY/t (20,000 CNY), the buyer funded."""
    top_up(client, admin, buyer.organization_id, fund, f"fund-{buyer.id}")
    open_sale(client, producer, listed, deposit_yuan=deposit)
    assert bid(client, buyer, listed, "1600").status_code == 201
    force_deadline(listed["id"])
    client.post(f"/api/v1/lots/{listed['id']}/close", headers=producer.headers)
    return db.session.scalar(sa.select(Trade.id))


def delivered(client, producer, listed, buyer, admin, net_kg="12500", **kw):
    trade_id = won(client, producer, listed, buyer, admin, **kw)
    path = f"/api/v1/trades/{trade_id}"
    assert client.post(f"{path}/schedule", headers=producer.headers).status_code == 200
    assert client.post(f"{path}/picked-up", headers=producer.headers).status_code == 200
    done = client.post(f"{path}/delivered", headers=buyer.headers, json={"net_kg": net_kg})
    assert done.status_code == 200, done.json
    return trade_id, path


def escrow_of(client, user):
    mine = client.get("/api/v1/escrow", headers=user.headers).json
    return mine["available_yuan"], mine["held_yuan"]


def total_money():
    return db.session.scalar(sa.select(sa.func.sum(LedgerAccount.balance_fen)))


def test_buyer_who_walks_away_forfeits_its_deposit(client, producer, listed, buyers, admin):
    buyer = buyers[0]
    trade_id = won(client, producer, listed, buyer, admin, deposit="1000")
    assert escrow_of(client, buyer) == ("19000.00", "1000.00")
    path = f"/api/v1/trades/{trade_id}"
    assert client.post(f"{path}/schedule", headers=producer.headers).status_code == 200
    assert escrow_of(client, buyer) == ("0.00", "20000.00")
    short = client.post(f"{path}/cancel", headers=buyer.headers, json={"reason": "x"})
    assert short.status_code == 422
    assert "reason" in short.json["error"]["fields"]
    gone = client.post(
        f"{path}/cancel", headers=buyer.headers, json={"reason": "产线停产，不再需要"}
    )
    assert gone.status_code == 200, gone.json
    assert gone.json["status"] == "cancelled"
    assert escrow_of(client, buyer) == ("19000.00", "0.00")
    assert escrow_of(client, producer) == ("1000.00", "0.00")
    assert db.session.get(Lot, listed["id"]).status is LotStatus.CANCELLED
    assert total_money() == 2_000_000


def test_seller_cancellation_releases_everything_and_late_cancel_is_refused(
    client, producer, listed, buyers, admin
):
    buyer = buyers[0]
    trade_id = won(client, producer, listed, buyer, admin, deposit="1000")
    path = f"/api/v1/trades/{trade_id}"
    gone = client.post(f"{path}/cancel", headers=producer.headers, json={"reason": "货物受潮报废"})
    assert gone.status_code == 200
    assert escrow_of(client, buyer) == ("20000.00", "0.00")
    again = client.post(f"{path}/cancel", headers=producer.headers, json={"reason": "再次取消"})
    assert again.status_code == 409
    assert again.json["error"]["fields"] == {"status": "allowed: —"}


def test_cancel_after_pickup_names_the_allowed_moves(client, producer, listed, buyers, admin):
    _trade_id, path = delivered(client, producer, listed, buyers[0], admin)
    refused = client.post(f"{path}/cancel", headers=producer.headers, json={"reason": "不想卖了"})
    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"status": "allowed: disputed, settled"}


def test_dispute_accepted_by_the_seller_settles_with_the_deduction(
    client, producer, listed, buyers, admin, evidence_dir
):
    buyer = buyers[0]
    _trade_id, path = delivered(client, producer, listed, buyer, admin)
    stranger = client.post(
        f"{path}/disputes",
        headers=buyers[1].headers,
        json={"kind": "quality", "claim_yuan": "100", "description": "杂质过多，超过约定"},
    )
    assert stranger.status_code == 403
    too_much = client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={"kind": "quality", "claim_yuan": "20000.01", "description": "杂质过多，超过约定"},
    )
    assert too_much.status_code == 422
    assert "claim_yuan" in too_much.json["error"]["fields"]
    weight = client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={"kind": "weight", "claim_yuan": "100", "description": "我方地磅少 60 kg"},
    )
    assert weight.status_code == 422
    assert "claimed_net_kg" in weight.json["error"]["fields"]
    opened = client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={"kind": "quality", "claim_yuan": "800", "description": "杂质约 4%，约定不超过 2%"},
    )
    assert opened.status_code == 201, opened.json
    dispute = opened.json["id"]
    assert client.get(path, headers=buyer.headers).json["status"] == "disputed"
    waits = client.post(f"{path}/settle", headers=buyer.headers)
    assert waits.status_code == 409  # settlement waits for the dispute
    bad_file = client.post(
        f"/api/v1/disputes/{dispute}/evidence",
        headers=buyer.headers,
        data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg")},
    )
    assert bad_file.status_code == 422
    photo = client.post(
        f"/api/v1/disputes/{dispute}/evidence",
        headers=buyer.headers,
        data={"file": (io.BytesIO(png_bytes()), "杂质照片.png")},
    )
    assert photo.status_code == 201, photo.json
    sha = photo.json["sha256"]
    got = client.get(f"/api/v1/disputes/{dispute}/evidence/{sha}", headers=producer.headers)
    assert got.status_code == 200
    assert got.data == png_bytes()
    assert (
        client.post(f"/api/v1/disputes/{dispute}/accept", headers=buyer.headers, json={})
    ).status_code == 403
    accepted = client.post(
        f"/api/v1/disputes/{dispute}/accept", headers=producer.headers, json={"note": "认可"}
    )
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["status"] == "accepted"
    settled = client.get(path, headers=buyer.headers).json
    assert (settled["status"], settled["settled_yuan"], settled["deduction_yuan"]) == (
        "settled",
        "19200.00",
        "800.00",
    )
    assert escrow_of(client, producer) == ("19200.00", "0.00")
    assert escrow_of(client, buyer) == ("800.00", "0.00")
    late = client.post(
        f"/api/v1/disputes/{dispute}/evidence",
        headers=buyer.headers,
        data={"file": (io.BytesIO(png_bytes((1, 2, 3))), "more.png")},
    )
    assert late.status_code == 409


def test_contested_dispute_is_decided_by_the_platform(client, producer, listed, buyers, admin):
    buyer = buyers[0]
    _trade_id, path = delivered(client, producer, listed, buyer, admin, net_kg="12400")
    dispute = client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={
            "kind": "weight",
            "claim_yuan": "160",
            "claimed_net_kg": "12300",
            "description": "我方复磅 12.3 吨，少 100 kg",
        },
    ).json["id"]
    bare = client.post(f"/api/v1/disputes/{dispute}/contest", headers=producer.headers, json={})
    assert bare.status_code == 422
    assert (
        client.post(
            f"/api/v1/disputes/{dispute}/contest",
            headers=producer.headers,
            json={"note": "出厂磅单 12.4 吨，有第三方见证"},
        ).json["status"]
        == "contested"
    )
    both = client.post(
        f"/api/v1/disputes/{dispute}/resolve",
        headers=admin.headers,
        json={"deduction_yuan": "80", "cancel": True, "note": "二选一"},
    )
    assert both.status_code == 422
    decided = client.post(
        f"/api/v1/disputes/{dispute}/resolve",
        headers=admin.headers,
        json={"deduction_yuan": "80", "note": "双方磅差各担一半"},
    )
    assert decided.status_code == 200, decided.json
    assert decided.json["decided_yuan"] == "80.00"
    # 12.4 t × 1600 = 19,840 CNY due, less 80
    assert client.get(path, headers=buyer.headers).json["settled_yuan"] == "19760.00"
    assert escrow_of(client, buyer) == ("240.00", "0.00")
    assert total_money() == 2_000_000


def test_platform_may_cancel_a_disputed_trade_and_release_the_buyer(
    client, producer, listed, buyers, admin
):
    buyer = buyers[0]
    _, path = delivered(client, producer, listed, buyer, admin)
    dispute = client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={"kind": "quality", "claim_yuan": "20000", "description": "整车为混合废料，非黄板纸"},
    ).json["id"]
    decided = client.post(
        f"/api/v1/disputes/{dispute}/resolve",
        headers=admin.headers,
        json={"cancel": True, "note": "货不对板，退货"},
    )
    assert decided.status_code == 200, decided.json
    assert client.get(path, headers=buyer.headers).json["status"] == "cancelled"
    assert escrow_of(client, buyer) == ("20000.00", "0.00")
    assert db.session.get(Lot, listed["id"]).status is LotStatus.CANCELLED


def test_dispute_after_the_window_is_refused_and_the_trade_settles_by_itself(
    client, producer, listed, buyers, admin
):
    buyer = buyers[0]
    trade_id, path = delivered(client, producer, listed, buyer, admin)
    trade = db.session.get(Trade, trade_id)
    assert trade.dispute_until - trade.delivered_at == timedelta(hours=72)
    assert trades.settle_due(now=utcnow()) == []  # still inside the window
    trade.dispute_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    late = client.post(
        f"{path}/disputes",
        headers=buyer.headers,
        json={"kind": "quality", "claim_yuan": "100", "description": "发现杂质，申请扣款"},
    )
    assert late.status_code == 409
    assert late.json["error"]["fields"] == {"window": "closed"}
    assert trades.settle_due(now=utcnow()) == [trade_id]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Trade, trade_id).status is TradeStatus.SETTLED
    assert escrow_of(client, producer) == ("20000.00", "0.00")
    assert trades.settle_due(now=utcnow()) == []


def test_refunds_never_exceed_what_was_paid_and_payouts_only_spend_available(
    client, producer, listed, buyers, admin
):
    buyer = buyers[0]
    _, path = delivered(client, producer, listed, buyer, admin)
    early = client.post(
        f"{path}/refunds", headers=admin.headers, json={"amount_yuan": "1", "reason": "测试"}
    )
    assert early.status_code == 409  # not settled yet
    client.post(f"{path}/settle", headers=buyer.headers)
    over = client.post(
        f"{path}/refunds", headers=admin.headers, json={"amount_yuan": "20000.01", "reason": "超额"}
    )
    assert over.status_code == 422
    done = client.post(
        f"{path}/refunds", headers=admin.headers, json={"amount_yuan": "500", "reason": "质量补偿"}
    )
    assert done.status_code == 200, done.json
    assert done.json["refunded_yuan"] == "500.00"
    assert escrow_of(client, buyer) == ("500.00", "0.00")
    headers = {**producer.headers, "Idempotency-Key": "payout-1"}
    # the producer fixture is an operator: payouts need the manager role
    assert (
        client.post(
            "/api/v1/escrow/payouts", headers=headers, json={"amount_yuan": "1", "reference": "x"}
        ).status_code
        == 403
    )
    from core.enums import Role
    from tests.factories import bearer, make_user

    manager = make_user(db.session.get(Lot, listed["id"]).organization, Role.MANAGER)
    headers = {**bearer(manager), "Idempotency-Key": "payout-1"}
    body = {"amount_yuan": "19500.01", "reference": "工行 6222****1234"}
    assert client.post("/api/v1/escrow/payouts", headers=headers, json=body).status_code == 409
    body["amount_yuan"] = "19000"
    first = client.post("/api/v1/escrow/payouts", headers=headers, json=body)
    again = client.post("/api/v1/escrow/payouts", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert first.json["id"] == again.json["id"]
    assert escrow_of(client, producer) == ("500.00", "0.00")
    assert total_money() == 2_000_000 - 1_900_000  # paid out money has left the platform
