"""Findings of the schema-conformance fuzzing, pinned as plain tests so they stay fixed."""

from __future__ import annotations

from core.enums import OrgKind, Role
from tests.factories import bearer, make_org, make_user


def test_a_work_order_line_of_whitespace_is_refused_not_stored_empty(client) -> None:
    headers = bearer(make_user(make_org(OrgKind.STATION), Role.MANAGER))
    body = {"number": "WO-1", "stage": "receive", "line": "\x0b", "shift": "早班",
            "work_date": "2026-12-02"}  # fmt: skip
    refused = client.post("/api/v1/station/work-orders", json=body, headers=headers)
    assert refused.status_code == 422
    assert set(refused.json["error"]["fields"]) == {"line"}


def test_multi_segment_category_codes_from_the_catalogue_are_valid_in_the_api(
    client, catalogue
) -> None:
    headers = bearer(make_user(make_org(OrgKind.PRODUCER), Role.MANAGER))
    page = client.get("/api/v1/categories?per_page=100&family=EE", headers=headers).json
    assert "EE-PCB-BARE" in {c["code"] for c in page["items"]}
    admin = bearer(make_user(make_org(OrgKind.ADMIN), Role.MANAGER))
    made = client.post(
        "/api/v1/categories",
        json={"code": "PL-PET-FLAKE-CLEAR", "name_zh": "透明PET瓶片", "name_en": "Clear PET flake",
              "parent": "PL"},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.json
