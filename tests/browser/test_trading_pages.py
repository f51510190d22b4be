"""Selling in Chromium: the producer opens a sale on its lot, a recycler bids, both see it."""

import pytest

from marketplace.seed.services import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_open_a_sale_and_bid(page) -> None:
    page.login("demo-producer", DEMO_PASSWORD)
    page.goto("/lots/new")
    page.page.fill("#title", "竞价测试·黄板纸")
    page.page.select_option("#grade", "PA-OCC")
    page.page.fill("#quantity_t", "3")
    page.page.fill("#ask_yuan_per_t", "1600")
    page.page.click("[data-testid=save-lot]")
    page.page.click("[data-testid=publish]")
    page.page.wait_for_selector("[data-testid=sale-form]")
    lot_url = page.page.url
    page.page.fill("#deadline", "2030-01-01T10:00")
    page.page.fill("#reserve", "1500")
    page.page.click("[data-testid=sale-form] button[type=submit]")
    page.page.wait_for_selector("[data-testid=n-bids]")
    page.page.click("[data-testid=logout]")

    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.goto(lot_url)
    page.page.fill("[data-testid=bid-form] input[name=amount_yuan_per_t]", "1550")
    page.page.click("[data-testid=bid-form] button[type=submit]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert page.page.locator("[data-testid=n-bids]").inner_text() == "1"
    assert "1,550.00" in page.page.locator("[data-testid=standing]").inner_text()
    page.page.fill("[data-testid=bid-form] input[name=amount_yuan_per_t]", "1500")
    page.page.click("[data-testid=bid-form] button[type=submit]")
    page.page.wait_for_selector(".alert-danger")
    assert "已领先" in page.page.locator(".alert-danger").inner_text()
    page.screenshot("lot-sale-bidding")
    page.page.click("[data-testid=nav-trades]")
    page.page.wait_for_selector("[data-testid=trades]")
    page.screenshot("trades")
