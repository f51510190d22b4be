"""In-app notifications: visible to every user of the organisation, read state per user,
shown in the reader's language; the API and the page."""

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.i18n import N_
from core.time import utcnow
from marketplace.notify import publish, services
from marketplace.notify.delivery import DISABLED_MESSAGE
from marketplace.notify.models import NotificationRead
from tests.factories import bearer, csrf_token, login, make_org, make_user

AWARDED = N_("批次 %(lot)s 已成交，成交价 %(price)s 元/吨。")


def announce(org, n=1, event="trade.awarded"):
    for i in range(n):
        publish(
            event,
            [org.id],
            message=AWARDED,
            params={"lot": f"#{i + 1}", "price": "1,600.00"},
            link=f"/lots/{i + 1}",
            payload={"lot_id": i + 1},
        )
    db.session.commit()


def test_read_state_is_per_user_and_mark_all_marks_only_unread(app) -> None:
    org = make_org(OrgKind.PRODUCER)
    alice, bob = make_user(org), make_user(org, Role.VIEWER)
    outsider = make_user(make_org(OrgKind.PRODUCER))
    announce(org, 3)
    a, b = Actor.of(alice), Actor.of(bob)
    assert services.unread_count(a) == services.unread_count(b) == 3
    assert services.unread_count(Actor.of(outsider)) == 0

    newest = db.session.scalars(services.notifications_query(a)).first()
    services.mark_read(a, newest.id, now=utcnow())
    services.mark_read(a, newest.id, now=utcnow())  # twice is once
    db.session.commit()
    assert services.unread_count(a) == 2
    assert services.unread_count(b) == 3  # Bob keeps his own state
    assert services.mark_all_read(a, now=utcnow()) == 2
    db.session.commit()
    assert services.unread_count(a) == 0
    assert services.mark_all_read(a, now=utcnow()) == 0
    rows = db.session.scalar(sa.select(sa.func.count()).where(NotificationRead.user_id == alice.id))
    assert rows == 3


def test_api_lists_newest_first_with_read_flags_and_marks_read(client, app) -> None:
    org = make_org(OrgKind.RECYCLER)
    user = make_user(org, Role.OPERATOR)
    headers = bearer(user)
    announce(org, 3)
    page = client.get("/api/v1/notifications", headers=headers).json
    assert page["total"] == 3
    assert [n["message"] for n in page["items"]] == [
        "批次 #3 已成交，成交价 1,600.00 元/吨。",
        "批次 #2 已成交，成交价 1,600.00 元/吨。",
        "批次 #1 已成交，成交价 1,600.00 元/吨。",
    ]
    assert [n["read"] for n in page["items"]] == [False, False, False]
    first = page["items"][0]
    assert first["link"] == "/lots/3"
    assert first["event"] == "trade.awarded"

    marked = client.post(f"/api/v1/notifications/{first['id']}/read", headers=headers)
    assert marked.status_code == 200
    assert marked.json["read"] is True
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).json
    assert unread["total"] == 2
    assert client.post("/api/v1/notifications/read-all", headers=headers).json == {"marked": 2}
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json["total"] == 0


def test_another_organisations_notification_is_not_found(client, app) -> None:
    mine, theirs = make_org(OrgKind.RECYCLER), make_org(OrgKind.RECYCLER)
    headers = bearer(make_user(mine))
    announce(theirs)
    other_id = db.session.scalar(sa.text("SELECT max(id) FROM notifications"))
    response = client.post(f"/api/v1/notifications/{other_id}/read", headers=headers)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/notifications", headers=headers).json["total"] == 0


def test_message_is_shown_in_the_readers_language(client, app) -> None:
    org = make_org(OrgKind.STATION)
    headers = bearer(make_user(org))
    publish(
        "webhook.disabled",
        [org.id],
        message=DISABLED_MESSAGE,
        params={"url": "https://erp.example.com/h", "n": 15},
        link="/webhooks/1",
    )
    db.session.commit()
    zh = client.get("/api/v1/notifications", headers=headers).json["items"][0]["message"]
    en = client.get("/api/v1/notifications?lang=en", headers=headers).json["items"][0]["message"]
    assert "已停用" in zh
    assert "https://erp.example.com/h" in zh
    assert "disabled" in en
    assert "https://erp.example.com/h" in en
    assert "15" in en
    assert "已停用" not in en


def test_government_users_may_mark_their_own_notifications_read(client, app) -> None:
    gov = make_org(OrgKind.GOVERNMENT)
    headers = bearer(make_user(gov, Role.VIEWER))
    announce(gov)
    assert client.post("/api/v1/notifications/read-all", headers=headers).json == {"marked": 1}


def test_page_highlights_unread_marks_read_and_the_badge_counts(client, app) -> None:
    org = make_org(OrgKind.PRODUCER)
    user = make_user(org)
    announce(org, 2)
    login(client, user.username)
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('data-read="false"') == 2
    assert 'data-testid="unread-badge"' in page
    badge = page.split('data-testid="unread-badge"')[1].split("</span>")[0]
    assert badge.endswith(">2")

    newest = db.session.scalars(services.notifications_query(Actor.of(user))).first()
    token = csrf_token(client, "/notifications")
    opened = client.post(
        f"/notifications/{newest.id}/read", data={"csrf_token": token, "open": "1"}
    )
    assert opened.status_code == 302
    assert opened.headers["Location"] == newest.link
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('data-read="false"') == 1
    done = client.post("/notifications/read-all", data={"csrf_token": token})
    assert done.status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count('data-read="false"') == 0
    assert 'data-testid="unread-badge"' not in page
    assert "已将1条通知标为已读" in page


def test_settings_page_and_api_set_email_and_opt_out(client, app) -> None:
    user = make_user(make_org(OrgKind.RECYCLER))
    headers = bearer(user)
    assert client.get("/api/v1/notification-settings", headers=headers).json == {
        "email": None,
        "notify_email": True,
    }
    bad = client.put(
        "/api/v1/notification-settings",
        json={"email": "not-an-address", "notify_email": True},
        headers=headers,
    )
    assert bad.status_code == 422
    assert "email" in bad.json["error"]["fields"]
    ok = client.put(
        "/api/v1/notification-settings",
        json={"email": "buyer@example.com", "notify_email": False},
        headers=headers,
    )
    assert ok.json == {"email": "buyer@example.com", "notify_email": False}

    login(client, user.username)
    token = csrf_token(client, "/settings/notifications")
    refused = client.post(
        "/settings/notifications", data={"csrf_token": token, "email": "x@", "notify_email": "1"}
    )
    assert refused.status_code == 422
    assert 'data-testid="error-email"' in refused.get_data(as_text=True)
    saved = client.post(
        "/settings/notifications",
        data={"csrf_token": token, "email": " mill@example.cn ", "notify_email": "1"},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    db.session.refresh(user)
    assert (user.email, user.notify_email) == ("mill@example.cn", True)
