"""Each demo role signs in through the real page in Chromium and sees its own home."""

import pytest

from marketplace.seed.services import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.browser

HOME_MARKERS = {  # username → something only that role's home shows
    "demo-producer": "[data-testid=streams]",
    "demo-recycler": "[data-testid=licence]",
    "demo-dispatcher": "[data-testid=vehicles]",
    "demo-station": "[data-testid=scales]",
    "demo-gov": "[data-testid=generation]",
    "demo-admin": "[data-testid=organizations]",
}


@pytest.mark.parametrize("username", [u for u, _, _ in DEMO_USERS.values()])
def test_each_role_signs_in_and_sees_its_home(page, username) -> None:
    page.login(username, DEMO_PASSWORD)
    assert page.page.url.endswith("/home")
    assert page.page.locator("[data-testid=org-name]").inner_text()
    assert page.page.locator(HOME_MARKERS[username]).count() == 1
    assert page.page.locator("html").get_attribute("lang") == "zh-CN"
    page.screenshot(f"home-{username}-zh")

    page.page.click("[data-testid=lang-en]")
    page.page.wait_for_load_state("networkidle")
    assert page.page.locator("html").get_attribute("lang") == "en"
    label = page.page.locator("[data-testid=logout]").inner_text()
    assert label.isascii(), label  # the English catalogue is used
    page.screenshot(f"home-{username}-en")

    page.page.click("[data-testid=logout]")
    page.page.wait_for_load_state("networkidle")
    assert "/login" in page.page.url
    page.goto("/home")
    assert "/login" in page.page.url


def test_wrong_password_shows_an_error(page) -> None:
    page.login("demo-producer", "not the password")
    assert page.page.locator("[data-testid=login-error]").inner_text() == "用户名或密码错误"
    page.screenshot("login-error")


def test_api_docs_render_offline(page) -> None:
    page.goto("/api/v1/docs")
    page.page.wait_for_selector(".opblock", timeout=15000)
    assert page.page.locator(".opblock").count() >= 10
    page.screenshot("api-docs")
