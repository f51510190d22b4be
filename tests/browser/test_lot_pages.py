"""Lot pages in Chromium: create with the archive form, upload evidence, publish, search, 求购."""

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from marketplace.seed.services import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_producer_creates_uploads_and_publishes(page, tmp_path) -> None:
    page.login("demo-producer", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-mine]")
    assert page.page.locator("[data-testid=my-lots] tbody tr").count() >= 1
    page.screenshot("lots-mine")
    page.page.click("[data-testid=new-lot]")
    page.page.fill("#title", "浏览器测试·黄板纸")
    page.page.select_option("#grade", "PA-OCC")
    page.page.fill("#quantity_t", "-3")
    page.page.click("[data-testid=save-lot]")
    assert page.page.locator("[data-testid=error-quantity_t]").count() == 1
    page.screenshot("lot-form-error")
    page.page.fill("#quantity_t", "6.5")
    page.page.fill("#prop_moisture_pct", "11.2")
    page.page.fill("#prop_contamination_pct", "0.8")
    page.page.fill("#ask_yuan_per_t", "1680")
    page.page.click("[data-testid=save-lot]")
    page.page.wait_for_selector("[data-testid=lot-title]")
    assert page.page.locator("[data-testid=lot-title]").inner_text() == "浏览器测试·黄板纸"
    assert page.page.locator("[data-testid=dql-missing] [data-key=photo]").count() == 1

    image = tmp_path / "occ.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (170, 130, 80)).save(buffer, format="PNG")
    image.write_bytes(buffer.getvalue())
    page.page.set_input_files("[data-testid=evidence-file]", str(image))
    page.page.click("[data-testid=upload]")
    page.page.wait_for_selector("[data-testid=photo]")
    assert "DQL 2" in page.page.content()
    page.page.click("[data-testid=publish]")
    page.page.wait_for_selector("[data-testid=withdraw]")
    assert page.page.locator("[data-testid=versions] li").count() == 2
    page.screenshot("lot-detail")


def test_recycler_searches_the_market_with_a_map(page) -> None:
    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-market]")
    page.page.wait_for_selector("[data-testid=results]")
    assert int(page.page.locator("[data-testid=map]").get_attribute("data-ready")) > 0
    page.page.select_option("#family", "PA")
    page.page.select_option("#site_id", index=1)
    page.page.fill("#radius_km", "80")
    page.page.select_option("#sort", "distance")
    page.page.click("form[data-testid=search] button[type=submit]")
    page.page.wait_for_selector("[data-testid=results]")
    rows = page.page.locator("[data-testid=results] tbody tr")
    assert rows.count() >= 1
    assert "纸" in page.page.locator("[data-testid=results]").inner_text()  # paper grades only
    assert page.page.locator(".leaflet-interactive").count() >= 2
    page.screenshot("market")
    rows.first.locator("a").click()
    page.page.wait_for_selector("[data-testid=archive]")
    page.screenshot("lot-detail-buyer")


def test_recycler_posts_a_wanted_request(page) -> None:
    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-wanted]")
    page.page.select_option("#category", "PA-OCC")
    page.page.fill("#quantity_t", "300")
    page.page.fill("#period_start", date.today().isoformat())
    page.page.fill("#period_end", (date.today() + timedelta(days=30)).isoformat())
    page.page.fill("#price_idea_yuan_per_t", "1600")
    page.page.click("form[data-testid=wanted-form] button[type=submit]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert "300.0" in page.page.locator("[data-testid=wanted]").inner_text()
    page.screenshot("wanted")
