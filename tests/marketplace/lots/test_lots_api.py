"""Lots over the API: archive validation, versions, publishing, evidence, visibility."""

import hashlib
import io
import random

import pytest
import sqlalchemy as sa
from PIL import Image

from core.db import db
from core.errors import Invalid
from marketplace.lots.models import Evidence, Lot, LotVersion
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import archive, pdf_bytes, png_bytes

PROPS = [
    {"key": "moisture_pct", "value": "11.5", "unit": "%", "method": "GB/T 462", "source": "lab"},
    {
        "key": "contamination_pct",
        "value": "1.2",
        "unit": "%",
        "method": "目测",
        "source": "declared",
    },
]


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def create(client, user, **overrides):
    response = client.post(
        "/api/v1/lots", json=archive(user.site.id, **overrides), headers=user.headers
    )
    assert response.status_code == 201, response.json
    return response.json


def test_create_draft_with_archive(client, producer) -> None:
    lot = create(client, producer)
    assert lot["status"] == "draft"
    assert lot["version"] == 1
    assert lot["quantity_t"] == "12.5"
    assert lot["ask_yuan_per_t"] == "1650.00"
    assert lot["family"] == "PA"
    assert lot["dql"] == 1
    assert lot["archive"]["dql_missing"] == [
        "property:moisture_pct",
        "property:contamination_pct",
        "photo",
    ]
    stored = db.session.get(Lot, lot["id"])
    assert stored.quantity_g == 12_500_000
    assert stored.ask_fen_per_t == 165_000


def test_a_recurring_lot_keeps_its_expected_tonnes_exactly(client, producer) -> None:
    """The recurrence's expected tonnes are a Decimal: stored as its text (JSON has no
    Decimal; it once reached the database as one and answered 500)."""
    recurrence = {"recurring": True, "frequency": "weekly", "expected_t_per_period": "1.1"}
    lot = create(client, producer, recurrence=recurrence)
    assert lot["archive"]["recurrence"]["expected_t_per_period"] == "1.1"
    version = db.session.scalars(sa.select(LotVersion).where(LotVersion.lot_id == lot["id"])).one()
    assert version.recurrence == recurrence


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"grade": "PA"}, "grade"),  # a family, not a grade
        ({"grade": "XX-NOPE"}, "grade"),
        ({"quantity_t": "0"}, "quantity_t"),
        ({"quantity_t": "-3"}, "quantity_t"),
        ({"quantity_t": "1.0001"}, "quantity_t"),  # finer than a kilogram
        ({"form": "liquid-ish"}, "form"),
        ({"hw_codes": ["900-052-31"]}, "hw_codes"),  # OCC is not hazardous
        ({"grade": "BA-LEAD", "hw_codes": []}, "hw_codes"),
        ({"grade": "BA-LEAD", "hw_codes": ["900-045-49"]}, "hw_codes"),  # wrong code for the grade
        ({"hw_codes": ["HW49"]}, "hw_codes.0"),
        ({"available_from": "2026-12-10", "available_until": "2026-12-01"}, "available_until"),
        (
            {"properties": [{"key": "moisture_pct", "value": "130", "unit": "%"}]},
            "properties.0.value",
        ),
        (
            {"properties": [{"key": "moisture_pct", "value": "13", "unit": "kg"}]},
            "properties.0.unit",
        ),
        (
            {
                "composition": [
                    {"component": "纤维", "value": "80", "unit": "%"},
                    {"component": "水", "value": "30", "unit": "%"},
                ]
            },
            "composition",
        ),
        ({"ask_yuan_per_t": "-1"}, "ask_yuan_per_t"),
        ({"recurrence": {"recurring": True}}, "recurrence.frequency"),
        ({"colour": "red"}, "colour"),  # unknown field
    ],
)
def test_bad_archive_names_the_field_and_writes_nothing(client, producer, overrides, field) -> None:
    response = client.post(
        "/api/v1/lots", json=archive(producer.site.id, **overrides), headers=producer.headers
    )
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json
    assert count(Lot) == 0
    assert count(LotVersion) == 0


def test_a_lot_on_another_organisations_site_is_refused(client, producer, recycler) -> None:
    response = client.post("/api/v1/lots", json=archive(recycler.site.id), headers=producer.headers)
    assert response.status_code == 422
    assert "site_id" in response.json["error"]["fields"]
    assert count(Lot) == 0


def test_recyclers_cannot_list_lots(client, recycler) -> None:
    response = client.post("/api/v1/lots", json=archive(recycler.site.id), headers=recycler.headers)
    assert response.status_code == 403


def test_editing_makes_a_new_version_and_keeps_the_old(client, producer) -> None:
    lot = create(client, producer)
    edited = client.put(
        f"/api/v1/lots/{lot['id']}",
        json=archive(producer.site2.id, quantity_t="20", properties=PROPS),
        headers=producer.headers,
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["version"] == 2
    assert edited.json["quantity_t"] == "20"
    first = client.get(f"/api/v1/lots/{lot['id']}/versions/1", headers=producer.headers).json
    assert first["quantity_t"] == "12.5"
    assert first["site_id"] == producer.site.id
    versions = client.get(f"/api/v1/lots/{lot['id']}/versions", headers=producer.headers).json
    assert [v["number"] for v in versions] == [1, 2]
    assert db.session.get(Lot, lot["id"]).site_id == producer.site2.id


def test_publish_withdraw_and_no_edits_after(client, producer, recycler) -> None:
    lot = create(client, producer)
    path = f"/api/v1/lots/{lot['id']}"
    assert client.get(path, headers=recycler.headers).status_code == 403  # a draft is private
    assert client.post(f"{path}/publish", headers=producer.headers).json["status"] == "listed"
    assert client.post(f"{path}/publish", headers=producer.headers).status_code == 409
    assert client.get(path, headers=recycler.headers).status_code == 200
    assert client.post(f"{path}/withdraw", headers=producer.headers).json["status"] == "withdrawn"
    refused = client.put(path, json=archive(producer.site.id), headers=producer.headers)
    assert refused.status_code == 409
    assert refused.json["error"]["fields"] == {"status": "withdrawn"}
    assert count(LotVersion) == 1


def test_another_producer_cannot_touch_my_lot(client, producer) -> None:
    lot = create(client, producer)
    other = make_user(make_org())
    headers = bearer(other)
    path = f"/api/v1/lots/{lot['id']}"
    assert client.put(path, json=archive(producer.site.id), headers=headers).status_code == 403
    assert client.post(f"{path}/publish", headers=headers).status_code == 403
    assert db.session.get(Lot, lot["id"]).status.value == "draft"


def upload(client, user, lot_id, data, kind="photo", filename="photo.png", **form):
    import io

    return client.post(
        f"/api/v1/lots/{lot_id}/evidence",
        headers=user.headers,
        data={"kind": kind, "file": (io.BytesIO(data), filename), **form},
        content_type="multipart/form-data",
    )


def test_photo_upload_is_content_addressed_and_raises_dql(client, producer, evidence_dir) -> None:
    lot = create(client, producer, properties=PROPS)
    assert lot["dql"] == 1
    image = png_bytes()
    response = upload(client, producer, lot["id"], image)
    assert response.status_code == 201, response.json
    assert response.json["sha256"] == hashlib.sha256(image).hexdigest()
    assert response.json["content_type"] == "image/png"
    detail = client.get(f"/api/v1/lots/{lot['id']}", headers=producer.headers).json
    assert detail["dql"] == 2
    assert detail["version"] == 2
    assert detail["archive"]["dql_missing"] == ["lab_report", "composition:lab"]
    assert [e["sha256"] for e in detail["evidence"]] == [response.json["sha256"]]
    stored = list(evidence_dir.rglob(response.json["sha256"]))
    assert len(stored) == 1
    assert stored[0].read_bytes() == image


@pytest.mark.parametrize(
    ("data", "filename", "kind"),
    [
        (b"MZ\x90\x00 not an image at all", "photo.png", "photo"),  # name says png, bytes don't
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "photo.png", "photo"),  # PNG magic, no image
        (b"", "empty.jpg", "photo"),
        (b"%PDF-1.4 truncated", "report.pdf", "compliance"),
    ],
)
def test_uploads_are_checked_by_content(
    client, producer, evidence_dir, data, filename, kind
) -> None:
    lot = create(client, producer)
    response = upload(client, producer, lot["id"], data, kind=kind, filename=filename)
    assert response.status_code == 422
    assert "file" in response.json["error"]["fields"]
    assert count(Evidence) == 0
    assert not list(evidence_dir.rglob("*")) or not any(
        p.is_file() for p in evidence_dir.rglob("*")
    )


def test_a_pdf_photo_is_refused_and_too_large_files_too(
    app, client, producer, evidence_dir
) -> None:
    from marketplace.lots.evidence import LIMITS, check_upload
    from marketplace.lots.models import EvidenceKind

    lot = create(client, producer)
    assert upload(client, producer, lot["id"], pdf_bytes(), filename="x.jpg").status_code == 422
    # The per-kind limit, checked on the bytes (a real 10 MB body would make werkzeug's test
    # client spool to a temporary file it never closes).
    big = png_bytes(size=(10, 10)) + b"\x00" * LIMITS[EvidenceKind.PHOTO].max_bytes
    with pytest.raises(Invalid) as err:
        check_upload(EvidenceKind.PHOTO, big)
    assert err.value.fields == {"file": "too large"}
    # The request limit, over HTTP: a small MAX_CONTENT_LENGTH makes a small body too large.
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    noisy = io.BytesIO()
    Image.frombytes("RGB", (100, 100), random.Random(1).randbytes(30_000)).save(noisy, "PNG")
    response = upload(client, producer, lot["id"], noisy.getvalue())  # ~30 kB, incompressible
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert count(Evidence) == 0


def test_lab_reports_need_their_metadata(client, producer, evidence_dir) -> None:
    lot = create(client, producer)
    missing = upload(
        client,
        producer,
        lot["id"],
        pdf_bytes(),
        kind="lab_report",
        filename="r.pdf",
        lab_name="广东省测试中心",
    )
    assert missing.status_code == 422
    assert {"accreditation_no", "method", "test_date"} <= set(missing.json["error"]["fields"])
    ok = upload(
        client,
        producer,
        lot["id"],
        pdf_bytes(),
        kind="lab_report",
        filename="r.pdf",
        lab_name="广东省测试中心",
        accreditation_no="CNAS L1234",
        method="GB/T 462-2023",
        test_date="2026-11-01",
    )
    assert ok.status_code == 201, ok.json
    assert ok.json["content_type"] == "application/pdf"
    future = upload(
        client,
        producer,
        lot["id"],
        pdf_bytes(),
        kind="lab_report",
        filename="r.pdf",
        lab_name="x",
        accreditation_no="y",
        method="z",
        test_date="2099-01-01",
    )
    assert future.status_code == 422
    assert "test_date" in future.json["error"]["fields"]


def test_evidence_download_follows_lot_visibility(client, producer, recycler, evidence_dir) -> None:
    lot = create(client, producer)
    image = png_bytes(colour=(10, 200, 30))
    sha = upload(client, producer, lot["id"], image).json["sha256"]
    path = f"/api/v1/lots/evidence/{sha}"
    assert client.get(path, headers=recycler.headers).status_code == 403
    client.post(f"/api/v1/lots/{lot['id']}/publish", headers=producer.headers)
    response = client.get(path, headers=recycler.headers)
    assert response.status_code == 200
    assert response.data == image
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_awarded_lot_cannot_be_edited_or_get_evidence(client, producer, evidence_dir) -> None:
    from marketplace.lots.models import LotStatus

    lot = create(client, producer)
    db.session.get(Lot, lot["id"]).status = LotStatus.AWARDED  # the trading issue's transition
    db.session.commit()
    path = f"/api/v1/lots/{lot['id']}"
    edit = client.put(
        path, json=archive(producer.site.id, quantity_t="1"), headers=producer.headers
    )
    assert edit.status_code == 409
    assert edit.json["error"]["fields"] == {"status": "awarded"}
    assert upload(client, producer, lot["id"], png_bytes()).status_code == 409
    assert count(LotVersion) == 1
    assert count(Evidence) == 0
