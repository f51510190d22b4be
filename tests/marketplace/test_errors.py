"""Every error has the same JSON shape on the API and a page elsewhere; nothing reaches a 500."""

import pytest

from core.enums import OrgKind
from tests.factories import bearer, make_org, make_user


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.is_json
    error = response.json["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code
    assert error["message"]


def test_api_404_405_401(client) -> None:
    user = make_user()
    assert_error_shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error_shape(client.put("/api/v1/me", headers=bearer(user)), 405, "method_not_allowed")
    assert_error_shape(client.get("/api/v1/me"), 401, "unauthorized")


def test_page_errors_are_pages(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "页面或对象不存在" in response.get_data(as_text=True)


def test_pages_redirect_anonymous_users_to_login(client) -> None:
    response = client.get("/home")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/home")


def test_messages_follow_the_locale(client) -> None:
    zh = client.get("/api/v1/me")
    en = client.get("/api/v1/me?lang=en")
    assert zh.json["error"]["message"] == "请先登录或提供访问令牌"
    assert en.json["error"]["message"] != zh.json["error"]["message"]


HOSTILE_BODIES = [
    None,
    "",
    "null",
    "[]",
    "123",
    '"text"',
    "{}",
    '{"name": null}',
    '{"name": 1}',
    '{"name": "' + "x" * 5000 + '"}',
    '{"name": "a", "days": "NaN"}',
    '{"name": "a", "days": 1e309}',
    '{"name": "a", "days": -1}',
    '{"name": "a", "days": [1]}',
    '{"name": "\\u0000"}',
    '{"name": {"$gt": ""}}',
    "\xff\xfe",
    '{"name": "a"',
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_bodies_get_a_4xx_never_a_500(client, body) -> None:
    admin = make_user(make_org(OrgKind.ADMIN))
    headers = {**bearer(admin), "Content-Type": "application/json"}
    for path in (
        "/api/v1/tokens",
        "/api/v1/organizations",
        "/api/v1/categories",
        "/api/v1/jobs",
        f"/api/v1/organizations/{admin.organization_id}/users",
        f"/api/v1/organizations/{admin.organization_id}/sites",
    ):
        response = client.post(path, data=body, headers=headers)
        assert 400 <= response.status_code < 500 or response.status_code == 201, (path, body)
        if response.status_code >= 400:
            assert set(response.json["error"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/organizations/abc",
        "/api/v1/organizations/-1",
        "/api/v1/organizations/99999999999999999999",
        "/api/v1/categories/%00",
        "/api/v1/jobs/0",
        "/api/v1/organizations?page=0",
        "/api/v1/organizations?page=abc",
        "/api/v1/organizations?kind=pirate",
        "/api/v1/categories?hazardous=maybe",
    ],
)
def test_hostile_paths_get_a_4xx(client, path) -> None:
    user = make_user(make_org(OrgKind.ADMIN))
    response = client.get(path, headers=bearer(user))
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_states_in_messages_are_named_not_coded(client) -> None:
    """A 409 about a lot's state says 已撤回, not 'withdrawn', in Chinese."""
    from core.db import db
    from core.enums import Role
    from marketplace.lots.models import Lot, LotStatus
    from marketplace.seed.services import seed_reference_data
    from tests.marketplace.conftest import add_site, archive

    seed_reference_data()
    user = make_user(make_org(), Role.MANAGER)
    site = add_site(user.organization, "一厂", 22.8, 113.8)
    headers = bearer(user)
    lot = client.post("/api/v1/lots", json=archive(site.id), headers=headers).json
    db.session.get(Lot, lot["id"]).status = LotStatus.WITHDRAWN
    db.session.commit()
    response = client.put(f"/api/v1/lots/{lot['id']}", json=archive(site.id), headers=headers)
    assert response.status_code == 409
    assert "已撤回" in response.json["error"]["message"]
    assert "withdrawn" not in response.json["error"]["message"]
    assert response.json["error"]["fields"] == {"status": "withdrawn"}  # machine-readable stays
