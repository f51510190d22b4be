"""Notifications in Chromium: the badge counts unread ones, /notifications highlights them and
marks them read; the settings page; a manager registers a webhook and reads its delivery log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.i18n import N_
from core.models import User
from core.time import utcnow
from marketplace.notify import delivery, publish
from marketplace.seed.services import DEMO_PASSWORD
from tests.marketplace.notify.conftest import Receiver, start_receiver

pytestmark = pytest.mark.browser

AWARDED = N_("批次 %(lot)s 已成交，成交价 %(price)s 元/吨。")
PICKUP = N_("批次 %(lot)s 已安排提货：%(date)s。")


def producer_org(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(User.organization_id).where(User.username == "demo-producer")
        )


def announce(app, org_id: int) -> None:
    with app.app_context():
        publish(
            "trade.awarded",
            [org_id],
            message=AWARDED,
            params={"lot": "#101 黄板纸", "price": "1,620.00"},
            link="/trades",
            payload={},
        )
        publish(
            "pickup.scheduled",
            [org_id],
            message=PICKUP,
            params={"lot": "#101 黄板纸", "date": "12月3日 09:00"},
            link="/trades",
            payload={},
        )
        publish(
            "trade.awarded",
            [org_id],
            message=AWARDED,
            params={"lot": "#102 废塑料", "price": "3,400.00"},
            link="/trades",
            payload={},
        )
        db.session.commit()


def badge(page) -> str | None:
    found = page.page.locator("[data-testid=unread-badge]")
    return found.inner_text() if found.count() else None


def test_badge_notifications_page_and_mark_read(page, live_app) -> None:
    org_id = producer_org(live_app)
    page.login("demo-producer", DEMO_PASSWORD)
    before = int(badge(page) or 0)
    announce(live_app, org_id)
    page.goto("/home")
    assert badge(page) == str(before + 3)

    page.page.click("[data-testid=nav-notifications]")
    page.page.wait_for_selector("[data-testid=notifications]")
    unread = page.page.locator("[data-testid=notification][data-read=false]")
    assert unread.count() == before + 3
    first = page.page.locator("[data-testid=notification]").first
    assert "#102 废塑料" in first.inner_text()  # newest first
    assert "notification-unread" in first.get_attribute("class")
    page.screenshot("notifications")

    first.locator("[data-testid=mark-read]").click()
    page.page.wait_for_load_state("networkidle")
    assert badge(page) == str(before + 2)
    assert (
        page.page.locator("[data-testid=notification]").first.get_attribute("data-read") == "true"
    )

    page.page.click("[data-testid=read-all]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert badge(page) is None
    assert page.page.locator("[data-testid=notification][data-read=false]").count() == 0
    page.screenshot("notifications-all-read")

    page.page.click("[data-testid=settings-link]")
    page.page.fill("#email", "caigou@factory")  # the browser accepts it, the server does not
    page.page.click("[data-testid=save-settings]")
    page.page.wait_for_selector("[data-testid=error-email]")
    page.page.fill("#email", "caigou@example.cn")
    page.page.click("[data-testid=save-settings]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert page.page.input_value("#email") == "caigou@example.cn"
    page.screenshot("notification-settings")


def test_manager_registers_a_webhook_and_reads_its_log(page, live_app) -> None:
    live_app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = True
    receiver = Receiver(statuses=[500, 200])
    server = start_receiver(receiver)
    try:
        page.login("demo-producer", DEMO_PASSWORD)
        page.goto("/webhooks")
        page.page.fill("#url", "https://10.0.0.7/erp")  # a private address: refused
        page.page.check("input[value='trade.awarded']")
        page.page.click("[data-testid=add-webhook]")
        page.page.wait_for_selector("[data-testid=error-url]")
        assert "内部或保留网络地址" in page.page.inner_text("[data-testid=error-url]")

        page.page.fill("#url", receiver.url)
        page.page.fill("#description", "ERP 销售订单")
        page.page.check("input[value='pickup.scheduled']")
        page.page.click("[data-testid=add-webhook]")
        page.page.wait_for_selector("[data-testid=secret-once]")
        receiver.secret = page.page.inner_text("[data-testid=secret]").strip()
        assert receiver.secret.startswith("whsec_")
        page.screenshot("webhooks-secret-once")

        announce(live_app, producer_org(live_app))
        t0 = utcnow()
        with live_app.app_context():
            delivery.deliver_due(now=lambda: t0)  # the receiver answers 500 first …
            delivery.deliver_due(now=lambda: t0 + timedelta(minutes=2))  # … then 200
        assert receiver.requests
        assert all(r.verified for r in receiver.requests)

        page.page.click("[data-testid=secret-once] a")
        page.page.wait_for_selector("[data-testid=deliveries]")
        assert page.page.locator("[data-testid=delivery]").count() == 3
        assert page.page.locator("[data-testid=attempt]").count() == 4  # one retried
        assert "HTTP 500" in page.page.inner_text("[data-testid=deliveries]")
        page.page.click("[data-testid=ping]")
        page.page.wait_for_selector("[data-testid=flash]")
        assert page.page.locator("[data-testid=delivery]").count() == 4
        page.screenshot("webhook-deliveries")
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        live_app.config["WEBHOOK_ALLOW_HTTP_LOOPBACK"] = False
