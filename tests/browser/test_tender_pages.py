"""Service tenders in Chromium: a producer asks for transport quotes, a carrier quotes and
lowers its quote, the producer chooses on the ranked list, confirms completion and rates."""

from datetime import timedelta

import pytest

from core.time import utcnow
from marketplace.seed.services import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_request_quote_choose_and_rate(page) -> None:
    today = utcnow().date()
    page.login("demo-producer", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-services]")
    page.page.wait_for_selector("[data-testid=service-requests]")
    assert page.page.locator("[data-testid=service-request-row]").count() >= 1  # the demo's
    page.screenshot("services-mine")
    page.page.click("[data-testid=new-request]")
    page.page.select_option("#kind", "transport")
    page.page.select_option("#grade", "PA-OCC")
    page.page.fill("#quantity_t", "6.5")
    page.page.fill("#window_start", (today + timedelta(days=3)).isoformat())
    page.page.fill("#window_end", (today + timedelta(days=5)).isoformat())
    page.page.fill("#deadline", (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.page.fill("#budget_yuan", "150")
    page.page.fill("#description", "黄板纸 13 包，叉车装货，送麻涌")
    page.screenshot("service-request-form")
    page.page.click("[data-testid=publish-request]")
    page.page.wait_for_selector("[data-testid=request-facts]")
    request_url = page.page.url
    assert page.page.locator("[data-testid=service-status]").inner_text() == "征集报价中"
    page.page.click("[data-testid=logout]")

    page.login("demo-dispatcher", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-services]")
    page.page.wait_for_selector("[data-testid=service-requests]")
    page.screenshot("services-open-for-carrier")
    page.page.goto(request_url)
    page.page.fill("[data-testid=quote-form] #price_yuan", "120")
    page.page.click("[data-testid=submit-quote]")
    page.page.wait_for_selector("[data-testid=my-current]")
    page.page.fill("[data-testid=quote-form] #price_yuan", "130")  # not lower: refused
    page.page.click("[data-testid=submit-quote]")
    page.page.wait_for_selector(".alert-danger")
    assert "只能降低" in page.page.locator(".alert-danger").inner_text()
    page.page.fill("[data-testid=quote-form] #price_yuan", "112")
    page.page.click("[data-testid=submit-quote]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert page.page.locator("[data-testid=quote-history] tbody tr").count() == 2
    assert "¥728.00" in page.page.locator("[data-testid=lowest]").inner_text()  # 6.5 t × 112
    page.screenshot("service-request-carrier")
    page.goto("/services/quotes")
    page.page.wait_for_selector("[data-testid=my-quote-list]")
    page.screenshot("services-my-quotes")
    page.page.click("[data-testid=logout]")

    page.login("demo-producer", DEMO_PASSWORD)
    page.page.goto(request_url)
    page.page.wait_for_selector("[data-testid=ranked-quotes]")
    assert page.page.locator("[data-testid=ranked-quote]").count() == 1
    assert (
        "东莞市环运再生物流有限公司"
        in page.page.locator("[data-testid=ranked-quotes]").inner_text()
    )
    page.screenshot("service-request-ranked")
    page.page.click("[data-testid=choose-1]")
    page.page.wait_for_selector("[data-testid=complete-form]")
    assert page.page.locator("[data-testid=service-status]").inner_text() == "已定标"
    page.page.select_option("#stars", "5")
    page.page.fill("#comment", "准时到场，装车规范")
    page.page.click("[data-testid=complete]")
    page.page.wait_for_selector("[data-testid=given-rating]")
    assert page.page.locator("[data-testid=service-status]").inner_text() == "已完成"
    page.screenshot("service-request-completed")
    page.page.goto(request_url + "?lang=en")
    page.page.wait_for_selector("[data-testid=given-rating]")
    assert page.page.locator("[data-testid=service-status]").inner_text() == "completed"
    page.screenshot("service-request-completed-en")
