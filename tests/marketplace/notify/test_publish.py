"""publish() writes the outbox in the caller's transaction: notifications, deliveries, e-mails."""

import json

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.i18n import N_
from core.time import utcnow
from marketplace.notify import publish
from marketplace.notify.models import (
    EmailMessage,
    Notification,
    OutboxStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.factories import make_org, make_user

OUTBID = N_("您在批次 %(lot)s 的出价已被超过，当前最高价 %(price)s 元/吨。")


def endpoint(org, events, active=True, url="https://93.184.216.34/hook"):
    row = WebhookEndpoint(
        organization_id=org.id,
        url=url,
        events=events,
        secret_salt="00" * 32,
        secret_hint="whsec_0000",
        active=active,
    )
    db.session.add(row)
    db.session.commit()
    return row


def outbid(org_ids, **kw):
    publish(
        "bid.outbid",
        org_ids,
        message=OUTBID,
        params={"lot": "#12 黄板纸", "price": "1,650.00"},
        link="/lots/12",
        payload={"lot_id": 12, "amount_yuan_per_t": "1650.00"},
        **kw,
    )


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_one_notification_per_organisation_and_deliveries_per_wanting_endpoint(app) -> None:
    a, b = make_org(OrgKind.RECYCLER), make_org(OrgKind.RECYCLER)
    wants = endpoint(a, ["bid.outbid", "trade.awarded"])
    endpoint(a, ["trade.awarded"])  # does not want this event
    endpoint(a, ["bid.outbid"], active=False)  # switched off
    b_wants = endpoint(b, ["bid.outbid"])
    outbid([a.id, b.id, a.id])  # the same organisation twice is one notification
    db.session.commit()

    notes = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert [n.organization_id for n in notes] == [a.id, b.id]
    assert notes[0].message == OUTBID
    assert notes[0].params["lot"] == "#12 黄板纸"
    assert notes[0].link == "/lots/12"
    deliveries = db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert [d.endpoint_id for d in deliveries] == [wants.id, b_wants.id]
    assert all(d.status is OutboxStatus.PENDING and d.next_attempt_at for d in deliveries)
    body = deliveries[0]

    envelope = json.loads(body.body)
    assert envelope["id"] == body.public_id
    assert envelope["event"] == "bid.outbid"
    assert envelope["organization_id"] == a.id
    assert envelope["data"] == {"lot_id": 12, "amount_yuan_per_t": "1650.00"}
    assert envelope["created_at"].endswith("Z")
    assert len({d.public_id for d in deliveries}) == 2


def test_no_email_rows_without_smtp(app) -> None:
    org = make_org(OrgKind.RECYCLER)
    make_user(org, email="buyer@example.com")
    assert not app.config.get("SMTP_HOST")
    outbid([org.id])
    db.session.commit()
    assert count(Notification) == 1
    assert count(EmailMessage) == 0


def test_email_rows_only_for_users_with_an_address_who_want_them(app) -> None:
    app.config["SMTP_HOST"] = "127.0.0.1"  # configured: rows are written (nothing is sent here)
    org, other = make_org(OrgKind.RECYCLER), make_org(OrgKind.PRODUCER)
    wants = make_user(org, email="a@example.com")
    make_user(org, Role.VIEWER, email="b@example.com", notify_email=False)  # opted out
    make_user(org, Role.OPERATOR)  # no address
    make_user(org, email="c@example.com", is_active=False)  # deactivated
    make_user(other, email="d@example.com")  # not addressed
    outbid([org.id])
    db.session.commit()
    rows = db.session.scalars(sa.select(EmailMessage)).all()
    assert [(r.user_id, r.to_address) for r in rows] == [(wants.id, "a@example.com")]
    assert rows[0].notification.organization_id == org.id


def test_rolled_back_caller_announces_nothing(app) -> None:
    org = make_org(OrgKind.RECYCLER)
    endpoint(org, ["bid.outbid"])
    outbid([org.id])
    db.session.rollback()
    assert count(Notification) == 0
    assert count(WebhookDelivery) == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"event": "bid.unknown"}, ValueError),
        ({"params": {"lot": "#1"}}, KeyError),  # %(price)s has no value
        ({"params": {"lot": "#1", "price": object()}}, TypeError),  # not JSON
        ({"payload": {"at": utcnow()}}, TypeError),
        ({"link": "https://elsewhere.example/x"}, ValueError),
        ({"link": "//elsewhere.example/x"}, ValueError),
    ],
)
def test_programming_mistakes_fail_before_anything_is_written(app, kwargs, error) -> None:
    org = make_org(OrgKind.RECYCLER)
    call = {
        "event": "bid.outbid",
        "message": OUTBID,
        "params": {"lot": "#1", "price": "1"},
        "link": "/lots/1",
        "payload": {},
    }
    call.update(kwargs)
    event = call.pop("event")
    with pytest.raises(error):
        publish(event, [org.id], **call)
    db.session.flush()
    assert count(Notification) == 0


def test_no_organisations_is_a_no_op(app) -> None:
    outbid([])
    db.session.commit()
    assert count(Notification) == 0
