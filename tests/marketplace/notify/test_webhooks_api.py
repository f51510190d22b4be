"""Managing webhook endpoints over the API: the secret once, SSRF refusals naming `url`,
events from the closed set, managers of the own organisation only."""

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.models import AuditEntry
from marketplace.notify.models import WebhookEndpoint
from marketplace.notify.webhooks import secret_of
from tests.factories import bearer, make_org, make_user

HOOK = {"url": "https://93.184.216.34/huanlian", "events": ["trade.awarded"], "description": "ERP"}


def test_register_shows_the_secret_once_and_stores_only_a_salt(client, manager) -> None:
    created = client.post("/api/v1/webhooks", json=HOOK, headers=manager.headers)
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    body = created.json
    assert body["secret"].startswith("whsec_")
    assert len(body["secret"]) > 40
    assert body["secret"].startswith(body["secret_hint"])
    assert body["events"] == ["trade.awarded"]
    assert body["active"] is True
    row = db.session.get(WebhookEndpoint, body["id"])
    assert body["secret"] not in (row.secret_salt, row.secret_hint)
    assert secret_of(row) == body["secret"]  # recomputed server-side from SECRET_KEY + salt
    shown = client.get(f"/api/v1/webhooks/{body['id']}", headers=manager.headers).json
    assert "secret" not in shown
    listed = client.get("/api/v1/webhooks", headers=manager.headers).json
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert (
        db.session.scalar(
            sa.select(AuditEntry.action).where(AuditEntry.target == f"webhook:{body['id']}")
        )
        == "webhook.created"
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/h",
        "https://10.0.0.8/h",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1:9000/h",
        "https://localhost/h",
        "ftp://93.184.216.34/h",
        "https://user:pw@93.184.216.34/h",
    ],
)
def test_private_and_plain_http_urls_are_refused_naming_url(client, manager, url) -> None:
    response = client.post("/api/v1/webhooks", json={**HOOK, "url": url}, headers=manager.headers)
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"url"}
    assert response.json["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_loopback_http_only_with_the_config_flag(client, manager, app) -> None:
    body = {**HOOK, "url": "http://127.0.0.1:8099/hook"}
    assert client.post("/api/v1/webhooks", json=body, headers=manager.headers).status_code == 422
    app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = True
    assert client.post("/api/v1/webhooks", json=body, headers=manager.headers).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**HOOK, "events": []}, "events"),
        ({**HOOK, "events": ["trade.awarded", "webhook.disabled"]}, "events.1"),
        ({**HOOK, "events": ["no.such"]}, "events.0"),
        ({"events": ["trade.awarded"]}, "url"),
        ({**HOOK, "url": "x" * 501}, "url"),
        ({**HOOK, "secret": "mine"}, "secret"),
    ],
)
def test_bad_bodies_name_the_field(client, manager, body, field) -> None:
    response = client.post("/api/v1/webhooks", json=body, headers=manager.headers)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_update_rotate_delete(client, manager) -> None:
    created = client.post("/api/v1/webhooks", json=HOOK, headers=manager.headers).json
    path = f"/api/v1/webhooks/{created['id']}"
    changed = client.patch(
        path,
        json={"events": ["bid.outbid", "deposit.held"], "active": False},
        headers=manager.headers,
    ).json
    assert changed["events"] == ["bid.outbid", "deposit.held"]
    assert changed["active"] is False
    refused = client.patch(path, json={"url": "https://192.168.0.2/x"}, headers=manager.headers)
    assert refused.status_code == 422
    assert "url" in refused.json["error"]["fields"]
    rotated = client.post(f"{path}/secret", headers=manager.headers).json
    assert rotated["secret"] != created["secret"]
    assert secret_of(db.session.get(WebhookEndpoint, created["id"])) == rotated["secret"]
    assert client.delete(path, headers=manager.headers).status_code == 204
    assert client.get(path, headers=manager.headers).status_code == 404


def test_only_managers_of_the_own_organisation(client, manager, app) -> None:
    created = client.post("/api/v1/webhooks", json=HOOK, headers=manager.headers).json
    operator = make_user(manager.organization, Role.OPERATOR)
    assert client.get("/api/v1/webhooks", headers=bearer(operator)).status_code == 403
    stranger = bearer(make_user(make_org(OrgKind.RECYCLER), Role.MANAGER))
    for method, path in (
        ("GET", f"/api/v1/webhooks/{created['id']}"),
        ("POST", f"/api/v1/webhooks/{created['id']}/ping"),
        ("DELETE", f"/api/v1/webhooks/{created['id']}"),
        ("GET", f"/api/v1/webhooks/{created['id']}/deliveries"),
    ):
        assert client.open(path, method=method, headers=stranger).status_code == 403, path
    assert client.get("/api/v1/webhooks", headers=stranger).json == []


def test_an_organisation_has_at_most_ten_endpoints(client, manager) -> None:
    for _ in range(10):
        assert (
            client.post("/api/v1/webhooks", json=HOOK, headers=manager.headers).status_code == 201
        )
    eleventh = client.post("/api/v1/webhooks", json=HOOK, headers=manager.headers)
    assert eleventh.status_code == 409
    assert "url" in eleventh.json["error"]["fields"]
