"""The public passport pages: scan page (HTML and EPCIS), Digital Link, labels, bundle,
checkpoints and verify."""

from __future__ import annotations

import io
import json

import pytest
import zxingcpp
from PIL import Image

from core.db import db
from passport import ids
from passport.services import proofs, store
from tests.factories import csrf_token
from tests.passport.fixture import HOST, T0, build_world

WORLD = build_world()
GTIN = "0" + "1234567890123"[:12] + ids.gs1_check_digit("0" + "1234567890123"[:12])
SSCC = "00" + "6141411234567890"[:15] + ids.gs1_check_digit("00" + "6141411234567890"[:15])


@pytest.fixture
def world(app):
    app.config["PUBLIC_BASE_URL"] = f"https://{HOST}"
    store.register_lot("HL-A", at=T0, gtin=GTIN)
    store.register_lot("HL-B", at=T0, sscc=SSCC)
    store.register_lot("HL-C", at=T0)
    for event in WORLD.ledger.history:
        store.record(event)
    db.session.commit()
    return app


def test_scan_page_html_shows_timeline_lineage_verification_and_labels(client, world) -> None:
    response = client.get("/lot/HL-BALE", headers={"Accept": "text/html"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-testid="verified"' in html
    assert html.count('data-testid="step"') == len(store.lot_events("HL-BALE"))
    assert 'data-testid="lineage"' in html
    for parent in ("HL-A", "HL-A1", "HL-B"):  # ancestors drawn in the graph
        assert f">{parent}</text>" in html
    for step in ("打包", "入库", "成交", "出库 / 发运", "收货", "最终用途"):
        assert step in html
    assert 'data-testid="member-details"' not in html  # anonymous: the public view


def test_scan_page_answers_machines_with_the_epcis_document(client, world) -> None:
    for accept in ("application/ld+json", "application/json"):
        response = client.get("/lot/HL-C", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.mimetype == accept
        document = response.get_json()
        assert document["type"] == "EPCISDocument"
        assert document["epcisBody"]["eventList"] == store.lot_events("HL-C")


def test_unknown_is_404_malformed_is_400(client, world) -> None:
    assert client.get("/lot/HL-NOPE").status_code == 404
    assert client.get("/lot/hl-lower").status_code == 400
    assert client.get("/lot/HL--X").status_code == 400
    assert client.get("/lot/HL-NOPE", headers={"Accept": "application/json"}).status_code == 404


def test_digital_link_forms_resolve_when_the_check_digit_is_valid(client, world) -> None:
    response = client.get(f"/01/{GTIN}/10/HL-A")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/lot/HL-A")
    bad = GTIN[:-1] + str((int(GTIN[-1]) + 1) % 10)
    assert client.get(f"/01/{bad}/10/HL-A").status_code == 400
    assert client.get(f"/01/{GTIN}/10/HL-B").status_code == 404  # not that lot's GTIN
    response = client.get(f"/00/{SSCC}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/lot/HL-B")
    assert client.get(f"/00/{SSCC[:-1]}{(int(SSCC[-1]) + 1) % 10}").status_code == 400


def test_labels_decode_back_to_the_id_and_the_uri(client, world) -> None:
    png = client.get("/lot/HL-A2/label/qr.png")
    assert png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)).convert("L"))
    assert [d.text for d in decoded] == [f"https://{HOST}/lot/HL-A2"]
    bars = client.get("/lot/HL-A2/label/code39.png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(bars.data)).convert("L"))
    assert [d.text for d in decoded] == ["HL-A2"]
    assert client.get("/lot/HL-A2/label/qr.svg").mimetype == "image/svg+xml"
    assert client.get("/lot/HL-A2/label/code39.svg").data.startswith(b"<?xml")
    assert client.get("/lot/HL-A2/label/labels.pdf").data.startswith(b"%PDF")
    assert client.get("/lot/HL-NOPE/label/qr.png").status_code == 404
    assert client.get("/lot/HL-A2/label/qr.gif").status_code == 404


def test_bundle_checkpoints_and_the_verify_page(client, world) -> None:
    bundle = client.get("/lot/HL-BALE/bundle.json")
    assert bundle.status_code == 200
    data = json.loads(bundle.data)
    latest = client.get("/passport/checkpoints/latest.json").get_json()
    assert data["checkpoint"] == latest
    page = client.get("/passport/checkpoints").get_data(as_text=True)
    assert proofs.public_key_pem().strip().splitlines()[1] in page
    assert str(latest["body"]["tree_size"]) in page
    assert client.get("/passport/public-key.pem").data.decode() == proofs.public_key_pem()
    size = latest["body"]["tree_size"]
    kept = client.get(f"/lot/HL-BALE/bundle.json?older={size}").get_json()
    assert kept["older"]["checkpoint"] == latest
    assert client.get("/lot/HL-BALE/bundle.json?older=x").status_code == 422
    assert client.get("/lot/HL-BALE/bundle.json?older=999999").status_code == 409
    token = csrf_token(client, "/passport/verify")
    ok = client.post("/passport/verify", data={"csrf_token": token, "text": bundle.data.decode()})
    assert ok.status_code == 200
    assert 'data-testid="verify-ok"' in ok.get_data(as_text=True)
    data["document"]["epcisBody"]["eventList"][2]["eventTime"] = "2020-01-01T00:00:00.000Z"
    upload = {"csrf_token": token, "bundle": (io.BytesIO(json.dumps(data).encode()), "b.json")}
    failed = client.post("/passport/verify", data=upload, content_type="multipart/form-data")
    assert 'data-testid="verify-failed"' in failed.get_data(as_text=True)
    by_id = client.post("/passport/verify", data={"csrf_token": token, "lot": "HL-C"})
    assert 'data-testid="verify-ok"' in by_id.get_data(as_text=True)
    for form in ({"lot": "HL-NOPE"}, {"text": "{not json"}, {}):
        refused = client.post("/passport/verify", data={"csrf_token": token, **form})
        assert refused.status_code == 422
        assert 'data-testid="verify-error"' in refused.get_data(as_text=True)
