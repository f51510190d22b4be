"""Organisations, sites and users over the API: scoping, validation, nothing half-written."""

import random

import pytest
import sqlalchemy as sa

from core import uscc
from core.db import db
from core.enums import OrgKind, Role
from core.models import AuditEntry, Organization, Site, User
from tests.factories import bearer, make_org, make_user

VALID_ORG = {
    "kind": "producer",
    "legal_name": "东莞市测试新材料有限公司",
    "name_en": "Test New Materials",
    "uscc": "91441900MA4UTEST0X",
    "address": "广东省东莞市长安镇乌沙社区",
    "division_code": "441900",
    "lat": 22.79,
    "lon": 113.81,
    "industry_code": "C2929",
    "industry_name": "塑料零件及其他塑料制品制造",
}


@pytest.fixture
def valid_org() -> dict:
    body = dict(VALID_ORG)
    body["uscc"] = uscc.generate("441900", random.Random(99))
    return body


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_admin_registers_an_organisation(client, valid_org) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    response = client.post("/api/v1/organizations", json=valid_org, headers=bearer(admin))
    assert response.status_code == 201, response.json
    assert response.json["uscc"] == valid_org["uscc"]
    assert response.json["kind"] == "producer"
    assert db.session.scalar(sa.select(Organization).where(Organization.uscc == valid_org["uscc"]))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uscc": "91441900MA4UTEST01"}, "uscc"),  # bad check character
        ({"uscc": "123"}, "uscc"),
        ({"lat": 123.0}, "lat"),
        ({"lon": "east"}, "lon"),
        ({"kind": "pirate"}, "kind"),
        ({"division_code": "44A900"}, "division_code"),
        ({"legal_name": ""}, "legal_name"),
        ({"surprise": 1}, "surprise"),  # unknown fields are refused, not ignored
        ({"industry_code": "not-a-code"}, "industry_code"),
    ],
)
def test_bad_organisation_input_names_the_field(client, valid_org, change, field) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    before = count(Organization)
    response = client.post(
        "/api/v1/organizations", json={**valid_org, **change}, headers=bearer(admin)
    )
    assert response.status_code == 422
    body = response.json["error"]
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert field in body["message"]
    assert count(Organization) == before


def test_missing_field_is_named(client, valid_org) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    del valid_org["uscc"]
    response = client.post("/api/v1/organizations", json=valid_org, headers=bearer(admin))
    assert response.status_code == 422
    assert "uscc" in response.json["error"]["fields"]


def test_duplicate_uscc_is_a_conflict(client, valid_org) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    make_org(uscc=valid_org["uscc"])
    db.session.commit()
    response = client.post("/api/v1/organizations", json=valid_org, headers=bearer(admin))
    assert response.status_code == 409
    assert response.json["error"]["fields"] == {"uscc": "already exists"}


def test_malformed_json_is_a_400(client) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    response = client.post(
        "/api/v1/organizations",
        data="{not json",
        headers={**bearer(admin), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"_body": "invalid JSON"}


def test_only_admin_registers_organisations(client, valid_org) -> None:
    producer = make_user(make_org(OrgKind.PRODUCER))
    response = client.post("/api/v1/organizations", json=valid_org, headers=bearer(producer))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    denial = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert denial.user_id == producer.id
    assert denial.detail["path"] == "/api/v1/organizations"


def test_another_organisations_id_is_refused_and_audited(client) -> None:
    mine, theirs = make_org(), make_org()
    user = make_user(mine)
    response = client.get(f"/api/v1/organizations/{theirs.id}", headers=bearer(user))
    assert response.status_code == 403
    denial = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert denial.target == f"organization:{theirs.id}"
    assert client.get(f"/api/v1/organizations/{mine.id}", headers=bearer(user)).status_code == 200


def test_unknown_id_is_404(client) -> None:
    user = make_user()
    response = client.get("/api/v1/organizations/999999", headers=bearer(user))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_government_reads_everything_and_writes_nothing(client) -> None:
    gov = make_user(make_org(OrgKind.GOVERNMENT), role=Role.VIEWER)
    other = make_org()
    db.session.commit()
    headers = bearer(gov)
    assert client.get(f"/api/v1/organizations/{other.id}", headers=headers).status_code == 200
    listing = client.get("/api/v1/organizations?per_page=100", headers=headers).json
    assert listing["total"] == 2
    response = client.patch(
        f"/api/v1/organizations/{gov.organization_id}", json={"contact_name": "x"}, headers=headers
    )
    assert response.status_code == 403


def test_others_see_only_their_own_organisation(client) -> None:
    user = make_user()
    make_org()
    db.session.commit()
    listing = client.get("/api/v1/organizations", headers=bearer(user)).json
    assert [o["id"] for o in listing["items"]] == [user.organization_id]
    assert listing["total"] == 1


def test_pagination_envelope_and_bounds(client) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    for _ in range(4):
        make_org()
    db.session.commit()
    headers = bearer(admin)
    page = client.get("/api/v1/organizations?page=2&per_page=2", headers=headers).json
    assert page["page"] == 2
    assert page["per_page"] == 2
    assert page["total"] == 5
    assert page["pages"] == 3
    assert len(page["items"]) == 2
    bad = client.get("/api/v1/organizations?per_page=1000", headers=headers)
    assert bad.status_code == 422
    assert "per_page" in bad.json["error"]["fields"]


def test_manager_updates_own_profile_viewer_cannot(client) -> None:
    org = make_org()
    manager, viewer = make_user(org, Role.MANAGER), make_user(org, Role.VIEWER)
    ok = client.patch(
        f"/api/v1/organizations/{org.id}",
        json={"contact_phone": "13800000001"},
        headers=bearer(manager),
    )
    assert ok.status_code == 200
    assert ok.json["contact_phone"] == "13800000001"
    refused = client.patch(
        f"/api/v1/organizations/{org.id}", json={"contact_phone": "1"}, headers=bearer(viewer)
    )
    assert refused.status_code == 403
    kind_change = client.patch(
        f"/api/v1/organizations/{org.id}", json={"kind": "admin"}, headers=bearer(manager)
    )
    assert kind_change.status_code == 422  # kind is not editable: unknown field


def test_sites(client) -> None:
    org = make_org()
    user = make_user(org, Role.OPERATOR)
    site = {
        "name": "二厂",
        "address": "长安镇沙头",
        "lat": 22.8,
        "lon": 113.8,
        "opening_hours": "07:30-18:00",
        "loading": ["forklift"],
    }
    response = client.post(f"/api/v1/organizations/{org.id}/sites", json=site, headers=bearer(user))
    assert response.status_code == 201
    bad = client.post(
        f"/api/v1/organizations/{org.id}/sites",
        json={**site, "opening_hours": "25:00-26:00"},
        headers=bearer(user),
    )
    assert bad.status_code == 422
    assert "opening_hours" in bad.json["error"]["fields"]
    other = make_org()
    db.session.commit()
    assert (
        client.post(
            f"/api/v1/organizations/{other.id}/sites", json=site, headers=bearer(user)
        ).status_code
        == 403
    )
    assert count(Site) == 1


def test_users_are_managed_by_managers(client) -> None:
    org = make_org()
    manager = make_user(org, Role.MANAGER)
    new = {
        "username": "zhang.san",
        "display_name": "张三",
        "role": "operator",
        "password": "a long enough password",
    }
    created = client.post(
        f"/api/v1/organizations/{org.id}/users", json=new, headers=bearer(manager)
    )
    assert created.status_code == 201
    assert "password" not in created.json
    duplicate = client.post(
        f"/api/v1/organizations/{org.id}/users", json=new, headers=bearer(manager)
    )
    assert duplicate.status_code == 409
    assert duplicate.json["error"]["fields"] == {"username": "already exists"}
    short = client.post(
        f"/api/v1/organizations/{org.id}/users",
        json={**new, "username": "li.si", "password": "short"},
        headers=bearer(manager),
    )
    assert short.status_code == 422
    assert "password" in short.json["error"]["fields"]
    listed = client.get(f"/api/v1/organizations/{org.id}/users", headers=bearer(manager)).json
    assert sorted(u["username"] for u in listed) == sorted([manager.username, "zhang.san"])
    operator = db.session.scalar(sa.select(User).where(User.username == "zhang.san"))
    assert operator.password_hash.startswith("scrypt:")
