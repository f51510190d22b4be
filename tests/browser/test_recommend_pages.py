"""Recommendations in Chromium: the recycler's home (labelled fallback before any model, "why
this" opens), the producer's lot page with recommended buyers and an invitation, and the admin
page retraining with a progress bar until the new model is shown; desktop and phone widths."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.models import Organization, User
from core.time import utcnow
from marketplace.lots.models import Lot, LotStatus
from marketplace.recommend import services
from marketplace.recommend.models import ModelVersion
from marketplace.seed.services import DEMO_PASSWORD
from marketplace.trading.models import Bid
from tests.browser.conftest import Page

pytestmark = pytest.mark.browser


def phone(browser, live_server, username: str, path: str, name: str) -> None:
    small = Page(browser, live_server)
    small.page.set_viewport_size({"width": 390, "height": 844})
    small.login(username, DEMO_PASSWORD)
    small.goto(path)
    small.page.wait_for_load_state("networkidle")
    small.screenshot(name)
    width = small.page.evaluate("document.documentElement.scrollWidth")
    small.context.close()
    assert width <= 400, f"{path} overflows a phone screen ({width}px)"
    assert not small.outside


def test_recycler_home_shows_lots_and_why(page, browser, live_server) -> None:
    page.login("demo-recycler", DEMO_PASSWORD)
    page.goto("/home")
    panel = page.page.locator("[data-testid=home-recommendations]")
    panel.wait_for()
    items = panel.locator("[data-lot-id]")
    assert items.count() >= 1
    why = items.first.locator("[data-testid=why]")
    assert not why.locator("li").first.is_visible()
    why.locator("summary").click()
    assert why.locator("li").first.is_visible()
    assert "收运半径" in why.inner_text()
    page.screenshot("recommend-home")
    items.first.locator("a").first.click()
    page.page.wait_for_load_state("networkidle")
    assert "/lots/" in page.page.url
    phone(browser, live_server, "demo-recycler", "/recommendations", "recommend-lots-phone")


def test_producer_invites_a_recommended_buyer(page, live_app, browser, live_server) -> None:
    with live_app.app_context():
        org = db.session.scalar(
            sa.select(User.organization_id).where(User.username == "demo-producer")
        )
        lot_ids = db.session.scalars(
            sa.select(Lot.id).where(Lot.organization_id == org, Lot.status == LotStatus.LISTED)
        ).all()
        db.session.remove()
    page.login("demo-producer", DEMO_PASSWORD)
    for lot_id in lot_ids:  # the first of the producer's lots some recycler can take
        page.goto(f"/lots/{lot_id}")
        if page.page.locator("[data-testid=invite]").count():
            break
    else:
        pytest.fail("no demo lot of demo-producer has a recommended buyer")
    box = page.page.locator("[data-testid=recommended-buyers]")
    assert "为什么推荐" in box.inner_text()
    page.screenshot("recommend-lot-buyers")
    box.locator("[data-testid=invite]").first.click()
    page.page.wait_for_load_state("networkidle")
    assert "已发送邀请" in page.page.content()
    assert page.page.locator("[data-testid=invited]").count() == 1
    phone(browser, live_server, "demo-producer", f"/lots/{lot_id}", "recommend-lot-phone")


@pytest.fixture
def logged(live_app):
    """A month of the demo recyclers' home lists, with bids on every third lot shown."""
    with live_app.app_context():
        if db.session.scalar(sa.select(ModelVersion.id).limit(1)) is None:
            start = utcnow() - timedelta(days=30)
            recyclers = db.session.scalars(
                sa.select(Organization).where(Organization.kind == OrgKind.RECYCLER)
            ).all()
            for n, org in enumerate(recyclers):
                actor = Actor(None, org.id, OrgKind.RECYCLER, Role.MANAGER)  # type: ignore[arg-type]
                try:
                    shown = services.recommend_lots(actor, 20, now=start, surface="home")
                except services.adapter.NoLicence:
                    continue
                for j, item in enumerate(shown.items):
                    if (j + n) % 3 == 0:
                        db.session.add(Bid(lot_id=item.id, organization_id=org.id,
                                           amount_fen=100_000, lot_version=1,
                                           placed_at=start + timedelta(hours=j)))  # fmt: skip
            db.session.commit()
        db.session.remove()


def test_admin_retrains_with_progress(page, logged, browser, live_server) -> None:
    page.login("demo-admin", DEMO_PASSWORD)
    page.goto("/admin/recommender")
    assert page.page.locator("[data-testid=no-model]").count() == 1
    page.page.click("[data-testid=retrain]")
    page.page.wait_for_selector("[data-testid=progress]")
    page.screenshot("recommend-admin-training")
    page.page.wait_for_selector("[data-testid=active-model] >> text=当前模型 v1", timeout=120_000)
    assert page.page.locator("[data-testid=metrics] tr").count() >= 5
    assert "合成市场" in page.page.locator("[data-testid=metrics-source]").inner_text()
    page.screenshot("recommend-admin")
    phone(browser, live_server, "demo-admin", "/admin/recommender", "recommend-admin-phone")
    # the recycler's home now says which model ranked its list
    recycler = Page(browser, live_server)
    recycler.login("demo-recycler", DEMO_PASSWORD)
    recycler.goto("/home")
    text = recycler.page.locator("[data-testid=home-recommendations]").inner_text()
    recycler.screenshot("recommend-home-model")
    recycler.context.close()
    assert "推荐模型 v1" in text
    assert "出价概率" in text
