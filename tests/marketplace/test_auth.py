"""Sign-in, sessions, CSRF, throttling, bearer tokens and the audit trail."""

from datetime import timedelta

import sqlalchemy as sa

from core import auth
from core.db import db
from core.enums import Role
from core.models import ApiToken, AuditEntry, LoginAttempt
from core.time import utcnow
from tests.factories import PASSWORD, bearer, csrf_token, login, make_user


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_page_is_chinese_by_default(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "登录环链平台" in page
    assert 'lang="zh-CN"' in page


def test_login_then_home_then_logout(client) -> None:
    user = make_user()
    response = login(client, user.username)
    assert response.status_code == 302
    assert response.headers["Location"] == "/home"
    home = client.get("/home")
    assert home.status_code == 200
    assert user.organization.legal_name in home.get_data(as_text=True)
    token = csrf_token(client, "/home")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/home").status_code == 302  # back to the login page
    assert "login.success" in audit_actions()


def test_session_cookie_flags(client) -> None:
    user = make_user()
    response = login(client, user.username)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_wrong_password_is_refused_and_audited(client) -> None:
    user = make_user()
    response = login(client, user.username, "wrong password!")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302
    assert audit_actions() == ["login.failure"]


def test_unknown_user_gets_the_same_answer(client) -> None:
    response = login(client, "nobody-here")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client) -> None:
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_open_redirect_is_not_followed(client) -> None:
    user = make_user()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/phish",
        },
    )
    assert response.headers["Location"] == "/home"


def test_throttled_after_five_failures_even_with_right_password(client) -> None:
    user = make_user()
    for _ in range(5):
        assert login(client, user.username, "wrong password!").status_code == 401
    response = login(client, user.username)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert db.session.scalar(sa.select(sa.func.count(LoginAttempt.id))) == 5
    assert "login.throttled" in audit_actions()


def test_throttle_window_passes(app) -> None:
    user = make_user()
    now = utcnow()
    for i in range(5):
        db.session.add(
            LoginAttempt(
                username=user.username,
                ip="10.0.0.1",
                succeeded=False,
                at=now - timedelta(minutes=20, seconds=i),
            )
        )
    db.session.commit()
    assert auth.authenticate(user.username, PASSWORD, ip="10.0.0.1", now=now).id == user.id


def test_throttled_per_address_across_accounts(client) -> None:
    users = [make_user() for _ in range(5)]
    for user in users:
        for _ in range(4):
            login(client, user.username, "wrong password!", REMOTE_ADDR="10.9.9.9")
    other = make_user()
    assert login(client, other.username, REMOTE_ADDR="10.9.9.9").status_code == 429
    assert login(client, other.username, REMOTE_ADDR="10.9.9.8").status_code == 302


def test_inactive_user_cannot_log_in(client) -> None:
    user = make_user(is_active=False)
    assert login(client, user.username).status_code == 401


def test_bearer_token_lifecycle(client) -> None:
    user = make_user()
    login(client, user.username)
    token = csrf_token(client, "/home")
    created = client.post(
        "/api/v1/tokens", json={"name": "ERP 对接", "days": 30}, headers={"X-CSRFToken": token}
    )
    assert created.status_code == 201
    plain = created.json["token"]
    assert plain.startswith("hl_")
    stored = db.session.scalar(sa.select(ApiToken))
    assert plain not in (stored.token_hash, stored.prefix)  # only a digest is kept

    api = client.application.test_client()  # no cookies
    headers = {"Authorization": f"Bearer {plain}"}
    me = api.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json["username"] == user.username
    listed = api.get("/api/v1/tokens", headers=headers).json
    assert [t["name"] for t in listed] == ["ERP 对接"]
    assert "token" not in listed[0]

    revoked = api.delete(f"/api/v1/tokens/{created.json['id']}", headers=headers)
    assert revoked.status_code == 200
    again = api.get("/api/v1/me", headers=headers)
    assert again.status_code == 401
    assert again.json["error"]["code"] == "unauthorized"
    assert {"token.created", "token.revoked"} <= set(audit_actions())


def test_token_last_use_is_recorded_to_the_minute(client) -> None:
    """A token's first use is recorded; uses within a minute do not write again; later ones do."""
    user = make_user()
    headers = bearer(user)
    token_id = db.session.scalar(sa.select(ApiToken.id))

    def last_used():
        db.session.expire_all()
        return db.session.get(ApiToken, token_id).last_used_at

    assert client.get("/api/v1/me", headers=headers).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == first
    db.session.get(ApiToken, token_id).last_used_at = first - auth.LAST_USED_RESOLUTION
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() >= first


def test_expired_and_garbage_tokens_are_refused(client) -> None:
    user = make_user()
    headers = bearer(user)
    token = db.session.scalar(sa.select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert (
        client.get("/api/v1/me", headers={"Authorization": "Bearer hl_nonsense"}).status_code == 401
    )


def test_bearer_requests_need_no_csrf_but_cookie_requests_do(client) -> None:
    user = make_user()
    assert (
        client.post("/api/v1/tokens", json={"name": "x"}, headers=bearer(user)).status_code == 201
    )
    login(client, user.username)
    response = client.post("/api/v1/tokens", json={"name": "y"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf"


def test_token_days_are_bounded(client) -> None:
    user = make_user()
    response = client.post("/api/v1/tokens", json={"name": "x", "days": 9999}, headers=bearer(user))
    assert response.status_code == 422
    assert "days" in response.json["error"]["fields"]


def test_cannot_revoke_someone_elses_token(client) -> None:
    owner = make_user()
    bearer(owner)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    stranger = make_user(role=Role.MANAGER)
    response = client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(stranger))
    assert response.status_code == 403
    assert db.session.get(ApiToken, token_id).revoked_at is None
    assert "access.denied" in audit_actions()


def test_short_password_is_refused() -> None:
    import pytest

    from core.errors import Invalid

    with pytest.raises(Invalid) as err:
        auth.hash_password("short")
    assert "password" in err.value.fields


def test_a_bearer_token_speaks_for_its_user_even_beside_a_session_cookie(client) -> None:
    signed_in, token_owner = make_user(), make_user()
    login(client, signed_in.username)
    me = client.get("/api/v1/me", headers=bearer(token_owner)).json
    assert me["username"] == token_owner.username
    assert client.get("/api/v1/me").json["username"] == signed_in.username
