"""The strict Content-Security-Policy keeps every page working: each demo role signs in and
opens every page of its navigation bar (and the API docs) in Chromium, and no page logs a CSP
violation, a console error or an uncaught script error."""

import pytest
from playwright.sync_api import expect

from marketplace.seed.services import DEMO_PASSWORD, DEMO_USERS

pytestmark = pytest.mark.browser


def watch(page) -> list[str]:
    problems: list[str] = []
    page.page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    page.page.on("pageerror", lambda err: problems.append(f"pageerror: {err}"))
    return problems


def nav_links(page) -> list[str]:
    hrefs = page.page.eval_on_selector_all(
        "nav a.link-light[href^='/']", "els => els.map(e => e.getAttribute('href'))"
    )
    return sorted({h for h in hrefs if not h.startswith("?")})


@pytest.mark.parametrize("username", [u for u, _, _ in DEMO_USERS.values()])
def test_every_nav_page_of_each_role_runs_under_the_csp(page, username) -> None:
    problems = watch(page)
    page.login(username, DEMO_PASSWORD)
    response = page.goto("/home")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    links = nav_links(page)
    assert len(links) >= 4, links
    for href in links:
        page.goto(href)
        page.page.wait_for_load_state("networkidle")
        assert page.page.url.endswith(href.split("?")[0]) or "/login" not in page.page.url
    if username in ("demo-recycler", "demo-producer"):  # a lot page: map, gallery, bid form
        page.goto("/market")
        page.page.wait_for_load_state("networkidle")
        lot = page.page.locator("a[href^='/lots/']").first.get_attribute("href")
        page.goto(lot)
        page.page.wait_for_load_state("networkidle")
        passport = page.page.locator("a[href^='/lot/']")
        if passport.count():
            page.goto(passport.first.get_attribute("href"))  # the public passport page
            page.page.wait_for_load_state("networkidle")
    if username == "demo-admin":
        page.goto("/admin/audit")
        page.page.wait_for_load_state("networkidle")
        assert page.page.locator("[data-testid=audit-row]").count() >= 1  # the logins
        page.screenshot("audit-admin")
        page.page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot("audit-admin-phone")
    assert not problems, problems


def test_api_docs_render_under_the_csp(page) -> None:
    problems = watch(page)
    page.goto("/api/v1/docs")
    expect(page.page.locator(".opblock").first).to_be_visible(timeout=30_000)
    # Swagger UI renders the tag sections as they scroll into view: scroll as a reader would
    for _ in range(20):
        if page.page.locator(".opblock").count() > 20:
            break
        page.page.mouse.wheel(0, 3000)
        page.page.wait_for_timeout(300)
    assert page.page.locator(".opblock").count() > 20
    assert not problems, problems


def test_an_injected_inline_handler_is_refused_and_seen(page) -> None:
    """The watch really sees violations: markup injected into a live page cannot run script."""
    problems = watch(page)
    page.goto("/login")
    page.page.evaluate(
        "document.body.insertAdjacentHTML('beforeend',"
        ' \'<img src="/nope.png" onerror="window.pwned = 1">\')'
    )
    page.page.wait_for_timeout(500)
    assert page.page.evaluate("window.pwned") is None
    assert any("Content Security Policy" in p for p in problems), problems
