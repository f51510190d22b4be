"""The station's setup and outbound pages: each form goes through the setup or outbound
service; a refusal (ratios not summing to 1, a bad scale setting, no escrow) is a 4xx message
and writes nothing."""

import sqlalchemy as sa

from core.db import db
from station.models import OutboundLoad, OutboundPlan, RatioSet, Scale
from tests.station.pages import (
    count,
    manual,
    post,
    walk_to_stock,
)


def test_setup_forms_use_the_setup_service(manager, station):
    bad = post(
        manager,
        "/station/setup/ratios",
        grade="PL-MIXED",
        valid_from="2027-01-01T00:00",
        **{
            "line0-label": "高值塑料",
            "line0-ratio": "0.885",
            "line1-label": "损耗",
            "line1-ratio": "0.1",
        },
        residue="1",
    )
    assert bad.status_code == 422
    assert "分拣比例之和必须等于 1（当前为 0.985）" in bad.get_data(as_text=True)
    assert count(RatioSet) == 1
    good = post(
        manager,
        "/station/setup/ratios",
        grade="PL-MIXED",
        valid_from="2027-01-01T00:00",
        **{
            "line0-label": "高值塑料",
            "line0-ratio": "0.885",
            "line1-label": "二类纸",
            "line1-ratio": "0.115",
        },
        residue="1",
    )
    assert good.status_code == 302
    assert count(RatioSet) == 2
    scale = post(
        manager,
        "/station/setup/scales",
        name_zh="打包秤",
        protocol="mt-sics",
        port="/dev/ttyUSB1",
        capacity_kg="1500",
        division_g="500",
    )
    assert scale.status_code == 302
    assert db.session.scalar(sa.select(Scale).where(Scale.name_zh == "打包秤")).division_g == 500
    bad_scale = post(
        manager,
        "/station/setup/scales",
        name_zh="X",
        protocol="xk3190",
        port="p",
        capacity_kg="10",
        division_g="1",
        variant="sideways",
    )
    assert bad_scale.status_code == 422
    assert count(Scale) == 2
    for section, data in {
        "tares": {
            "kind": "pallet",
            "ref": "PLT-NEW",
            "weight_kg": "19.5",
            "valid_from": "2026-11-01",
        },
        "locations": {"code": "B-02", "name": "二号库位"},
        "tolerances": {
            "control_point": "receive",
            "shortfall_basis": "absolute",
            "shortfall_absolute_kg": "3",
        },
        "records": {
            "factory_id": str(station.factory.id),
            "kind": "plan",
            "reference": "P-1",
            "grade": "PL-MIXED",
            "quantity": "10",
            "unit": "件",
            "factor": "1.5",
            "factor_unit": "件",
            "record_date": "2026-11-30",
        },
        "orders": {
            "number": "WO-1",
            "stage": "sort",
            "line": "L1",
            "shift": "白班",
            "work_date": "2026-12-01",
            "assignees": str(station.operator.user_id),
        },
    }.items():
        response = post(manager, f"/station/setup/{section}", **data)
        assert response.status_code == 302, (section, response.get_data(as_text=True))
    duplicate = post(manager, "/station/setup/locations", code="B-02")
    assert duplicate.status_code == 409
    assert "库位编码已存在" in duplicate.get_data(as_text=True)


def test_outbound_approval_refused_without_funds(manager, station):
    created = post(
        manager,
        "/station/outbound",
        buyer_id=str(station.buyer.id),
        grade="PL-PP-REGRIND",
        planned_kg="1000",
        unit_price_yuan_per_t="3200",
    )
    assert created.status_code == 302
    plan_path = created.headers["Location"]
    refused = post(manager, plan_path + "/approve")
    assert refused.status_code == 409
    assert "买方托管余额不足" in refused.get_data(as_text=True)
    closed = post(manager, plan_path + "/close")
    assert closed.status_code == 302
    bad = post(
        manager,
        "/station/outbound",
        buyer_id=str(station.buyer.id),
        grade="PL-PP-REGRIND",
        planned_kg="-1",
        unit_price_yuan_per_t="1",
    )
    assert bad.status_code == 422


def test_an_outbound_plan_approved_against_escrow_and_loaded(manager, station):
    from marketplace.trading import escrow, ledger

    _, bale = walk_to_stock(manager, station)
    escrow.post(ledger.top_up(station.buyer.id, 400_000))
    db.session.commit()
    created = post(
        manager,
        "/station/outbound",
        buyer_id=str(station.buyer.id),
        grade="PL-PP-REGRIND",
        planned_kg="848.3",
        unit_price_yuan_per_t="3200",
    )
    plan_path = created.headers["Location"]
    approved = post(manager, plan_path + "/approve")
    assert approved.status_code == 302, approved.get_data(as_text=True)
    plan = db.session.scalar(sa.select(OutboundPlan))
    assert plan.state == "approved"
    assert plan.reserved_fen == 306_745  # 848.3 kg × 3,200 yuan/t × 1.13, in fen
    page = manager[0].get(plan_path).get_data(as_text=True)
    assert bale.label in page  # the bale in stock, offered for scanning
    loaded = post(
        manager,
        plan_path + "/loads",
        vehicle_plate="粤S12345",
        labels=bale.label,
        **manual("5048.3"),
    )
    assert loaded.status_code == 302, loaded.get_data(as_text=True)
    load = db.session.scalar(sa.select(OutboundLoad))
    assert (load.net_g, load.labels_g) == (848_300, 848_300)
    result = manager[0].get(loaded.headers["Location"]).get_data(as_text=True)
    assert "正常" in result
    no_labels = post(manager, plan_path + "/loads", vehicle_plate="粤S12345", **manual("5000"))
    assert no_labels.status_code == 422
    assert count(OutboundLoad) == 1
