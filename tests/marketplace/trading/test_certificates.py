"""Closing a trade with its end use issues a certificate of recycling: a public page, a PDF, and
a fingerprint anyone can recompute from the published body."""

import hashlib
import io
import json

import pypdf
import rfc8785
import sqlalchemy as sa

from core.db import db
from marketplace.lots.models import Lot, LotStatus
from tests.marketplace.conftest import png_bytes
from tests.marketplace.trading.test_fulfilment import delivered

END_USE = {"end_use_kind": "recycling", "end_use": "制浆后生产 AA 级瓦楞原纸"}


def test_closing_issues_a_verifiable_certificate(
    client, producer, listed, buyers, admin, evidence_dir
):
    photo = client.post(
        f"/api/v1/lots/{listed['id']}/evidence",
        headers=producer.headers,
        data={"kind": "photo", "file": (io.BytesIO(png_bytes()), "现场.png")},
    )
    assert photo.status_code == 201, photo.json
    buyer = buyers[0]
    trade_id, path = delivered(client, producer, listed, buyer, admin, net_kg="12480.5")
    early = client.post(f"{path}/close", headers=buyer.headers, json=END_USE)
    assert early.status_code == 409  # not settled yet
    client.post(f"{path}/settle", headers=buyer.headers)
    assert client.post(f"{path}/close", headers=producer.headers, json=END_USE).status_code == 403
    vague = client.post(f"{path}/close", headers=buyer.headers, json={**END_USE, "end_use": "x"})
    assert vague.status_code == 422
    assert "end_use" in vague.json["error"]["fields"]
    wrong = client.post(
        f"{path}/close", headers=buyer.headers, json={**END_USE, "end_use_kind": "burn"}
    )
    assert wrong.status_code == 422
    closed = client.post(f"{path}/close", headers=buyer.headers, json=END_USE)
    assert closed.status_code == 201, closed.json
    cert = closed.json
    assert cert["number"].endswith(f"-{trade_id:06d}")
    assert db.session.get(Lot, listed["id"]).status is LotStatus.CLOSED
    body = cert["body"]
    assert body["net_kg"] == "12480.500"
    assert body["category"]["code"] == "PA-OCC"
    assert body["end_use"] == {"kind": "recycling", "description": END_USE["end_use"]}
    assert [e["sha256"] for e in body["evidence"]] == [hashlib.sha256(png_bytes()).hexdigest()]

    anonymous = client.application.test_client()
    public = anonymous.get(f"/api/v1/certificates/{cert['code']}")
    assert public.status_code == 200
    assert hashlib.sha256(rfc8785.dumps(public.json["body"])).hexdigest() == cert["sha256"]
    assert anonymous.get("/api/v1/certificates/not-a-code").status_code == 404
    page = anonymous.get(f"/certificates/{cert['code']}").get_data(as_text=True)
    assert cert["sha256"] in page
    assert "核验通过" in page
    pdf = anonymous.get(f"/api/v1/certificates/{cert['code']}/pdf")
    assert pdf.mimetype == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    for expected in (cert["number"], "再生资源回收利用证明", body["buyer"]["name"], cert["sha256"]):
        assert expected in text
    mine = client.get("/api/v1/certificates", headers=producer.headers).json
    assert [c["number"] for c in mine] == [cert["number"]]
    assert client.get("/api/v1/certificates", headers=buyers[1].headers).json == []
    assert client.post(f"{path}/close", headers=buyer.headers, json=END_USE).status_code == 409


def test_a_tampered_body_fails_verification_on_the_page(client, producer, listed, buyers, admin):
    from marketplace.trading.models import Certificate

    buyer = buyers[0]
    _, path = delivered(client, producer, listed, buyer, admin)
    client.post(f"{path}/settle", headers=buyer.headers)
    code = client.post(f"{path}/close", headers=buyer.headers, json=END_USE).json["code"]
    cert = db.session.scalars(sa.select(Certificate)).one()
    cert.body = json.loads(json.dumps({**cert.body, "net_kg": "99999.000"}))
    db.session.commit()
    page = client.get(f"/certificates/{code}").get_data(as_text=True)
    assert "核验失败" in page
