"""A market lot's passport: listing, award, pickup, delivery (weighbridge net) and end use each
append their event in the step's own transaction; the scan page shows members what the public
may not see."""

from __future__ import annotations

from core.db import db
from marketplace.passports import passport_id
from passport.services import proofs, store
from tests.marketplace.trading.test_certificates import END_USE
from tests.marketplace.trading.test_fulfilment import delivered


def steps(lot_id: int) -> list[str]:
    return [str(e.get("bizStep")).rsplit("/", 1)[-1] for e in store.lot_events(passport_id(lot_id))]


def test_every_market_step_appends_to_the_passport(client, producer, listed, buyers, admin):
    assert steps(listed["id"]) == ["commissioning"]
    buyer = buyers[0]
    trade_id, path = delivered(client, producer, listed, buyer, admin, net_kg="12480.5")
    assert steps(listed["id"]) == ["commissioning", "trading", "shipping", "receiving"]
    client.post(f"{path}/settle", headers=buyer.headers)
    assert client.post(f"{path}/close", headers=buyer.headers, json=END_USE).status_code == 201
    events = store.lot_events(passport_id(listed["id"]))
    assert steps(listed["id"])[-1] == "decommissioning"
    received = events[3]
    assert received["quantityList"][0] == {
        "epcClass": events[0]["quantityList"][0]["epcClass"],
        "quantity": 12480.5,
        "uom": "KGM",
    }
    assert events[1]["bizTransactionList"][0]["bizTransaction"].endswith(f"/trade/{trade_id}")
    report = proofs.verify_lot(passport_id(listed["id"]))
    assert report.ok, report.problems
    # a refused step (closing twice) appends nothing
    assert client.post(f"{path}/close", headers=buyer.headers, json=END_USE).status_code == 409
    assert len(store.lot_events(passport_id(listed["id"]))) == 5


def test_members_of_the_trade_see_price_and_contacts_the_public_does_not(
    client, producer, listed, buyers, admin
):
    buyer = buyers[0]
    delivered(client, producer, listed, buyer, admin)
    url = f"/lot/{passport_id(listed['id'])}"
    public = client.application.test_client().get(url).get_data(as_text=True)
    assert 'data-testid="verified"' in public
    assert 'data-testid="member-details"' not in public
    seller_org = producer.organization
    seller_org.contact_name, seller_org.contact_phone = "王经理", "13800138000"
    db.session.commit()
    secrets = [seller_org.contact_phone, "成交价"]
    for secret in secrets:
        assert secret not in public
    document = client.application.test_client().get(url, headers={"Accept": "application/json"})
    assert seller_org.contact_phone not in document.get_data(as_text=True)
    for member in (producer, buyer):
        own = client.application.test_client()  # each member's own browser
        page = own.get(url, headers=member.headers).get_data(as_text=True)
        assert 'data-testid="member-details"' in page
        assert "成交价" in page
        assert seller_org.contact_phone in page
    other = client.application.test_client()
    outsider = other.get(url, headers=buyers[1].headers).get_data(as_text=True)
    assert 'data-testid="member-details"' not in outsider
