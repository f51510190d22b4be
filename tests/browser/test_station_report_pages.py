"""The station's three reports in Chromium over the demo station's 30 days: the balance
checks to zero, the process records page on, the disposal report shows its rates, and the
export links download files."""

from datetime import timedelta

import pytest

from core.db import db
from core.time import to_local, utcnow
from marketplace.seed.services import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_station(live_app):
    from marketplace.seed.station import seed_station

    with live_app.app_context():
        seed_station(now=utcnow())
        db.session.commit()
        db.engine.dispose()


def test_the_three_reports(page, demo_station) -> None:
    yesterday = to_local(utcnow()).date() - timedelta(days=1)
    page.login("demo-station", DEMO_PASSWORD)
    page.goto(f"/station/reports/inventory?day={yesterday}")
    page.page.wait_for_selector("[data-testid=inventory-table]")
    assert page.page.locator("[data-testid=report-row]").count() >= 3
    assert page.page.locator("[data-testid=balance-check]").inner_text().strip() == "核对为零"
    page.screenshot("station-report-inventory")

    page.page.click("text=过程记录表")
    page.page.wait_for_selector("[data-testid=process-table]")
    assert "共" in page.page.locator("[data-testid=process-total]").inner_text()
    page.page.select_option("#result", "anomaly")
    page.page.click("[data-testid=report-query]")
    page.page.wait_for_selector("[data-testid=process-table]")
    results = page.page.locator("[data-testid=process-table] tbody tr td:nth-child(10)")
    assert results.count() >= 5
    assert set(results.all_inner_texts()) == {"异常"}
    page.screenshot("station-report-process")

    page.page.click("text=再生资源处置报表")
    page.page.wait_for_selector("[data-testid=disposal-table]")
    page.page.fill("#from", (yesterday - timedelta(days=29)).isoformat())
    page.page.fill("#to", yesterday.isoformat())
    page.page.select_option("#period", "week")
    page.page.click("[data-testid=report-query]")
    page.page.wait_for_selector("[data-testid=disposal-table]")
    assert page.page.locator("[data-testid=report-row]").count() >= 5
    assert "%" in page.page.locator("[data-testid=disposal-table]").inner_text()
    page.screenshot("station-report-disposal")
    with page.page.expect_download() as download:
        page.page.click("[data-testid=export-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
