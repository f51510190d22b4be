"""E-mail through a real SMTP server (aiosmtpd on loopback, with AUTH): plain text in the
user's language with the link, retried when the server refuses, and none without SMTP."""

from datetime import timedelta

import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.i18n import N_
from core.time import utcnow
from marketplace.notify import delivery, publish
from marketplace.notify.delivery import DISABLED_MESSAGE
from marketplace.notify.models import EmailMessage, OutboxStatus
from tests.factories import make_org, make_user

HELD = N_("批次 %(lot)s 的保证金 %(amount)s 元已冻结。")


def test_mail_reaches_the_smtp_server_in_the_users_language(app, smtp_server) -> None:
    org = make_org(OrgKind.RECYCLER)
    zh = make_user(org, email="caigou@example.cn", display_name="王经理")
    en = make_user(org, Role.OPERATOR, email="buyer@example.com", locale="en", display_name="Li")
    publish(
        "webhook.disabled",
        [org.id],
        message=DISABLED_MESSAGE,
        params={"url": "https://erp.example.cn/hook", "n": 15},
        link="/webhooks/7",
    )
    db.session.commit()
    report = delivery.deliver_due()
    assert report.emailed == 2
    assert smtp_server.logins == [("mailer", "PLAIN")] * 2  # SMTP_USER and SMTP_PASSWORD used

    by_rcpt = {rcpts[0]: (sender, msg) for sender, rcpts, msg in smtp_server.messages}
    assert set(by_rcpt) == {zh.email, en.email}
    sender, chinese = by_rcpt[zh.email]
    assert sender == "notify@huanlian.test"
    assert chinese["Subject"] == "环链通知：回调地址已停用"
    assert chinese["To"] == zh.email
    assert chinese.get_content_type() == "text/plain"
    text = chinese.get_content()
    assert "王经理，您好：" in text
    assert "回调地址 https://erp.example.cn/hook 连续 15 次投递失败，已停用" in text
    assert "https://huanlian.test/webhooks/7" in text
    assert "https://huanlian.test/settings/notifications" in text
    _, english = by_rcpt[en.email]
    assert english["Subject"] == "Huanlian notification: Webhook disabled"
    text = english.get_content()
    assert "Hello Li," in text
    assert "failed 15 times in a row and has been disabled" in text
    assert "已停用" not in text
    rows = db.session.scalars(sa.select(EmailMessage)).all()
    assert {r.status for r in rows} == {OutboxStatus.SUCCEEDED}
    assert all(r.sent_at is not None for r in rows)


def test_a_refusing_server_is_retried_on_the_schedule(app, smtp_server) -> None:
    smtp_server.fail_first = 1  # "451 try again later" once
    org = make_org(OrgKind.PRODUCER)
    make_user(org, email="plant@example.cn")
    t0 = utcnow()
    publish(
        "deposit.held", [org.id], message=HELD, params={"lot": "#3", "amount": "500.00"}, now=t0
    )
    db.session.commit()
    report = delivery.deliver_due(now=lambda: t0)
    assert report.email_retrying == 1
    db.session.expire_all()
    row = db.session.scalar(sa.select(EmailMessage))
    assert row.status is OutboxStatus.PENDING
    assert "451" in row.last_error
    assert timedelta(seconds=54) <= row.next_attempt_at - t0 <= timedelta(seconds=66)
    assert delivery.deliver_due(now=lambda: t0 + timedelta(seconds=10)).emailed == 0
    assert delivery.deliver_due(now=lambda: t0 + timedelta(minutes=2)).emailed == 1
    [(_, _, message)] = smtp_server.messages
    assert "批次 #3 的保证金 500.00 元已冻结。" in message.get_content()


def test_unreachable_smtp_server_keeps_the_mail_for_later(app, smtp_server) -> None:
    from tests.marketplace.notify.conftest import free_port

    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    org = make_org(OrgKind.PRODUCER)
    make_user(org, email="plant@example.cn")
    publish("deposit.held", [org.id], message=HELD, params={"lot": "#3", "amount": "1.00"})
    db.session.commit()
    assert delivery.deliver_due().email_retrying == 1
    db.session.expire_all()
    assert "Connection" in db.session.scalar(sa.select(EmailMessage.last_error))


def test_opted_out_users_get_no_mail(app, smtp_server) -> None:
    org = make_org(OrgKind.PRODUCER)
    make_user(org, email="off@example.cn", notify_email=False)
    publish("deposit.held", [org.id], message=HELD, params={"lot": "#3", "amount": "1.00"})
    db.session.commit()
    assert delivery.deliver_due().emailed == 0
    assert smtp_server.messages == []
