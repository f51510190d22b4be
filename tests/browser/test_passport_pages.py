"""The passport's public pages in Chromium: a scan page with its timeline, lineage graph,
verification and labels; the checkpoints page; verifying by ID on the verify page."""

from __future__ import annotations

import pytest

from core.db import db
from passport.services import store
from tests.passport.fixture import HOST, T0, build_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(live_app):
    """The fixture's multi-lot history, recorded in the live server's database once."""
    with live_app.app_context():
        base = live_app.config["PUBLIC_BASE_URL"]
        live_app.config["PUBLIC_BASE_URL"] = f"https://{HOST}"
        try:
            if db.session.get(store.PassportLot, "HL-BALE") is None:
                for lot in ("HL-A", "HL-B", "HL-C"):
                    store.register_lot(lot, at=T0)
                for event in build_world().ledger.history:
                    store.record(event)
                db.session.commit()
        finally:
            live_app.config["PUBLIC_BASE_URL"] = base
            db.session.remove()


def test_scan_page_in_a_browser(page, world) -> None:
    page.goto("/lot/HL-BALE")
    page.page.wait_for_selector("[data-testid=timeline]")
    assert page.page.locator("[data-testid=verified]").count() == 1
    assert page.page.locator("[data-testid=step]").count() == 8  # bale … end use
    assert page.page.locator("[data-testid=lineage] rect").count() == 5  # A → A1, A2; A1 + B → bale
    assert page.page.locator("[data-testid=qr]").evaluate("img => img.naturalWidth") > 0
    assert "来源企业占比" in page.page.locator("[data-testid=shares]").inner_text()
    page.screenshot("passport-scan-bale")
    page.page.click("[data-testid=lineage] >> text=HL-A1")
    page.page.wait_for_url("**/lot/HL-A1")
    assert page.page.locator("[data-testid=lot-id]").inner_text() == "HL-A1"
    page.goto("/lot/HL-C?lang=en")
    assert page.page.locator("[data-testid=verified]").inner_text().endswith("Verified")
    assert page.page.locator("text=Error declaration").count() == 1
    page.screenshot("passport-scan-corrected-en")


def test_checkpoints_and_verify_pages(page, world) -> None:
    page.goto("/passport/verify?lang=zh")
    page.page.fill("#lot", "HL-A2")
    page.page.click("[data-testid=verify-submit]")
    page.page.wait_for_selector("[data-testid=verify-ok]")
    page.screenshot("passport-verify")
    page.goto("/passport/checkpoints")
    assert page.page.locator("[data-testid=checkpoints] tbody tr").count() >= 1
    assert "BEGIN PUBLIC KEY" in page.page.locator("[data-testid=public-key]").inner_text()
    page.screenshot("passport-checkpoints")


def test_a_listed_demo_lot_has_its_passport(page, live_app) -> None:
    import sqlalchemy as sa

    from marketplace.lots.models import Lot, LotStatus
    from marketplace.passports import passport_id

    with live_app.app_context():
        lot_id = db.session.scalar(
            sa.select(Lot.id).where(Lot.status == LotStatus.LISTED).order_by(Lot.id).limit(1)
        )
        db.session.remove()
    assert lot_id is not None
    page.goto(f"/lot/{passport_id(lot_id)}")
    page.page.wait_for_selector("[data-testid=timeline]")
    assert page.page.locator("[data-testid=verified]").count() == 1
    text = page.page.locator("[data-testid=timeline]").inner_text()
    assert "登记" in text  # the listing began it (the seeded history adds sales and uses)
    page.screenshot("passport-demo-lot")
