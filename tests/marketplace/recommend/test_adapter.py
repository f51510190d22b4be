"""Rows → matching inputs: lots, recyclers' licences and limits, exposures from impressions and
bids."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from marketplace.lots.models import Lot, WantedRequest
from marketplace.recommend import adapter
from marketplace.trading.models import Bid
from tests.marketplace.conftest import archive
from tests.marketplace.recommend.conftest import list_lots, log_history


def test_a_lot_becomes_a_matching_lot(client, producer):
    body = archive(
        producer.site.id,
        properties=[
            {"key": "moisture_pct", "value": "11.5", "unit": "%", "method": "GB/T 462",
             "source": "declared"},
            {"key": "contamination_pct", "value": "2.5", "unit": "%", "method": "目测",
             "source": "declared"},
        ],
        process="纸箱印刷",
    )  # fmt: skip
    made = client.post("/api/v1/lots", json=body, headers=producer.headers)
    assert made.status_code == 201, made.json
    (lot,) = adapter.lots([db.session.get(Lot, made.json["id"])])
    assert lot.id == str(made.json["id"])
    assert lot.category == "PA-OCC"
    assert lot.process == "纸箱印刷"
    assert lot.quantity_t == pytest.approx(12.5)
    assert (lot.moisture_pct, lot.contamination_pct) == (11.5, 2.5)
    assert lot.ask_ratio == 1.0  # no settled trades yet: no index to compare the ask with
    assert lot.seller_id == str(producer.organization_id)
    assert lot.hw_codes == ()
    assert "纸箱车间黄板纸边角料" in lot.text


def test_a_recycler_becomes_a_buyer_with_its_family_licence_expanded(paper):
    buyer = adapter.buyer(paper[0].organization_id, utcnow())
    assert {"PA", "PA-OCC", "PA-CORR-EDGE"} <= buyer.permitted_categories
    assert not any(c.startswith("FE") for c in buyer.permitted_categories)
    assert buyer.radius_km == 80
    assert buyer.capacity_t == 1000  # nothing awarded this month
    assert (buyer.max_contamination_pct, buyer.min_dql) == (100.0, 0)  # no 求购: no limit
    assert (buyer.lat, buyer.lon) == (23.04, 113.58)


def test_open_wanted_requests_set_the_quality_tolerances(paper, catalogue):
    org_id = paper[0].organization_id
    site_id = adapter.site_of(org_id).id
    category = db.session.scalar(sa.text("select id from categories where code='PA-OCC'"))
    for contamination, dql in (("3.0", 2), ("5.0", 1)):
        db.session.add(
            WantedRequest(
                organization_id=org_id, site_id=site_id, category_id=category,
                quantity_g=10_000_000, period_start=date(2026, 12, 1),
                period_end=date(2026, 12, 31), radius_km=50,
                max_contamination_pct=contamination, min_dql=dql,
            )
        )  # fmt: skip
    db.session.commit()
    buyer = adapter.buyer(org_id, utcnow())
    assert (buyer.max_contamination_pct, buyer.min_dql) == (5.0, 1)  # the loosest request


def test_a_recycler_without_licence_is_refused(unlicensed):
    with pytest.raises(adapter.NoLicence) as err:
        adapter.buyer(unlicensed.organization_id, utcnow())
    assert err.value.fields == {"licence": "no recycler licence scope on file"}
    assert str(unlicensed.organization_id) not in {b.id for b in adapter.buyers(utcnow())}


def test_exposures_join_impressions_with_bids(client, producer, paper):
    lots = list_lots(client, producer, 3)
    log_history(lots, paper[:2], {0: {0, 1}})
    # a bid without any impression: the recycler found the lot itself
    db.session.add(Bid(lot_id=lots[2]["id"], organization_id=paper[2].organization_id,
                       amount_fen=1, lot_version=1, placed_at=utcnow()))  # fmt: skip
    db.session.commit()
    exposures, lot_ids = adapter.exposures({str(u.organization_id) for u in paper})
    got = {(e.buyer_id, e.lot_id): e.bid for e in exposures}
    a, b, c = (str(u.organization_id) for u in paper)
    assert got == {
        (a, str(lots[0]["id"])): True,
        (a, str(lots[1]["id"])): True,
        (a, str(lots[2]["id"])): False,
        (b, str(lots[0]["id"])): False,
        (b, str(lots[1]["id"])): False,
        (b, str(lots[2]["id"])): False,
        (c, str(lots[2]["id"])): True,
    }
    assert lot_ids == {lot["id"] for lot in lots}
    assert all(e.shown_at is not None for e in exposures)


def test_the_producers_lot_page_list_is_not_an_exposure(client, producer, paper):
    (lot,) = list_lots(client, producer, 1)
    client.get(f"/api/v1/lots/{lot['id']}/recommended-buyers", headers=producer.headers)
    exposures, _ = adapter.exposures({str(u.organization_id) for u in paper})
    assert exposures == []


def test_training_data_has_every_exposed_lot(history, paper):
    data = adapter.training_data(utcnow() + timedelta(seconds=1))
    assert len(data.exposures) == 36
    assert {lot.id for lot in data.lots} == {str(lot["id"]) for lot in history}
    assert {b.id for b in data.buyers} == {str(u.organization_id) for u in paper}
