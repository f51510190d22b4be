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


BAD_VALUES = ["", "x", "-1", "1e400", "NaN", "99999999999999999999", "0.0001", "a\x00b", "１２"]
FORMS = {
    "/station/desk/deliver": [
        "delivery_id",
        "source",
        "manual_kg",
        "manual_reason",
        "tare_vehicle",
    ],
    "/station/desk/receive": [
        "delivery_id",
        "source",
        "manual_kg",
        "deduction_kind",
        "deduction_kg",
    ],
    "/station/desk/sort": ["receipt", "out0-line", "out0-source", "out0-manual_kg"],
    "/station/desk/bale": ["pick0-label", "pick0-kg", "source", "manual_kg", "tare_pallet"],
    "/station/desk/warehouse-in": ["label", "location", "source", "manual_kg"],
    "/station/weighings/1/reweigh": ["source", "manual_kg", "tare_vehicle_kg"],
    "/station/alerts/1/file": ["reason"],
    "/station/outbound": [
        "buyer_id",
        "grade",
        "planned_kg",
        "unit_price_yuan_per_t",
        "tax_rate_pct",
    ],
    "/station/outbound/1/loads": ["vehicle_plate", "labels", "source", "vehicle_tare_kg"],
    "/station/setup/scales": ["name_zh", "protocol", "port", "baud", "capacity_kg", "division_g"],
    "/station/setup/tares": ["kind", "ref", "weight_kg", "valid_from", "valid_until"],
    "/station/setup/tolerances": ["control_point", "grade", "shortfall_basis", "shortfall_percent"],
    "/station/setup/ratios": ["grade", "valid_from", "line0-label", "line0-ratio", "residue"],
    "/station/setup/locations": ["code", "name"],
    "/station/setup/records": ["factory_id", "kind", "quantity", "factor", "record_date"],
    "/station/setup/deliveries": ["factory_id", "number", "grade", "record_ids"],
    "/station/setup/orders": ["number", "stage", "work_date", "assignees"],
}


def test_no_form_input_gives_a_server_error(manager, station):
    """Every station form with all its fields set to each bad value, and with one number
    overflowing among plausible values, is answered with a 4xx or a redirect, never a 500."""
    plausible = {"source": "manual", "manual_reason": "秤检定中", "kind": "pallet", "stage": "sort"}
    failures = []
    for path, names in FORMS.items():
        tries = [dict.fromkeys(names, value) for value in BAD_VALUES]
        for name in names:
            data = {n: plausible.get(n, "1") for n in names}
            tries.append({**data, name: "99999999999999999999"})
        for data in tries:
            response = post(manager, path, **data)
            if response.status_code >= 500:
                failures.append(f"{path} {data!r}: {response.status_code}")
            db.session.rollback()
    assert not failures, "\n".join(failures)
