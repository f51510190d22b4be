"""Dispatch in Chromium: the demo dispatcher plans a day (progress bar, then the map, timeline
and KPIs), moves a stop by hand, opens the seeded published plan and a run sheet; a driver on
a phone-sized screen confirms a pickup with its weight."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.db import db
from core.time import utcnow
from marketplace.dispatch import sources
from marketplace.dispatch.models import PickupRequest
from marketplace.lots.models import Lot, LotStatus, LotVersion
from marketplace.seed.dispatch import seed_dispatch
from marketplace.seed.services import DEMO_PASSWORD
from tests.browser.conftest import Page

pytestmark = pytest.mark.browser


def tomorrow():
    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)


@pytest.fixture
def seeded(live_app):
    """Today's published demo plan, and six collections waiting for tomorrow."""
    with live_app.app_context():
        seed_dispatch(now=utcnow())
        day = tomorrow()
        if not db.session.scalar(sa.select(PickupRequest.id).where(PickupRequest.day == day)):
            rows = db.session.execute(
                sa.select(Lot, LotVersion)
                .join(
                    LotVersion,
                    sa.and_(LotVersion.lot_id == Lot.id, LotVersion.number == Lot.version),
                )
                .where(Lot.status == LotStatus.LISTED)
                .order_by(Lot.id.desc())
                .limit(6)
            ).tuples()
            near = sources.stations()
            for lot, version in rows:
                db.session.add(sources.lot_request(lot, version, day, Decimal(1500), near))
        db.session.commit()
        db.session.remove()


def test_dispatcher_plans_a_day_and_driver_confirms(page, seeded, browser, live_server) -> None:
    page.login("demo-dispatcher", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-dispatch]")
    page.page.wait_for_selector("[data-testid=plans]")
    assert page.page.locator("[data-testid=plans] tbody tr").count() >= 1
    assert page.page.locator("[data-testid=stale]").count() == 1  # the demo's silent sensor
    page.screenshot("dispatch-index")
    # today's published plan (the seed's): map with routes, timeline, KPIs, run sheet
    page.page.click("[data-testid=plans] tbody tr a")
    page.page.wait_for_selector("#plan-map[data-ready]")
    assert int(page.page.get_attribute("#plan-map", "data-ready")) > 2
    assert page.page.locator(".dispatch-bar").count() >= 4
    assert "已发布" in page.page.inner_text("[data-testid=plan-state]")
    page.screenshot("dispatch-plan-published")
    page.page.click("[data-testid=sheet-link] >> nth=0")
    page.page.wait_for_selector("[data-testid=run-sheet]")
    page.screenshot("dispatch-run-sheet")
    # plan tomorrow: the job runs in the background behind a progress bar
    page.goto(f"/dispatch?day={tomorrow().isoformat()}")
    page.page.click("[data-testid=start-plan]")
    page.page.wait_for_selector("#plan-map[data-ready]", timeout=60_000)
    assert page.page.locator("[data-testid=kpis]").count() == 1
    page.screenshot("dispatch-plan-draft")
    forms = page.page.locator("[data-testid=move-form]")
    assert forms.count() >= 2  # six collections to the station: pickups and deliveries
    first = forms.nth(0)
    first.locator("select[name=vehicle_id]").select_option(index=0)  # a 2 t van
    first.locator("input[name=position]").fill("0")
    first.locator("button").click()
    page.page.wait_for_selector("[data-testid=flash]")
    page.screenshot("dispatch-plan-moved")
    page.page.goto(page.page.url.split("?")[0] + "?lang=en")
    page.page.wait_for_selector("#plan-map[data-ready]")
    assert "Route plan" in page.page.inner_text("h1")
    page.screenshot("dispatch-plan-en")
    # the driver, on a phone
    phone = Page(browser, live_server)
    phone.page.set_viewport_size({"width": 390, "height": 844})
    phone.login("demo-driver", DEMO_PASSWORD)
    phone.page.click("[data-testid=nav-driver]")
    phone.page.wait_for_selector("[data-testid=driver-stop]")
    phone.screenshot("dispatch-driver")
    form = phone.page.locator("[data-testid=confirm-form]").nth(0)
    form.locator("input[name=kg]").fill("-3")
    form.locator("button").click()
    phone.page.wait_for_selector("[data-testid=flash]")
    assert "kg" in phone.page.inner_text("[data-testid=flash]")
    form = phone.page.locator("[data-testid=confirm-form]").nth(0)
    form.locator("input[name=kg]").fill("1480.5")
    form.locator("button").click()
    phone.page.wait_for_selector("[data-testid=confirmed]")
    assert "1,480.5 kg" in phone.page.inner_text("[data-testid=confirmed]")
    phone.screenshot("dispatch-driver-confirmed")
    phone.context.close()
    assert not phone.outside
