"""The dashboard pages in Chromium over the demo cluster (market, trades, a 30-day station):
the government's cluster page, a producer's and a recycler's own page, the ESG summary and
the statutory ledgers. Figures on the page are compared with the JSON the API returns, the
drill-down opens records, exports download, and the government cannot change anything."""

import re

import pytest

from core.db import db
from core.time import utcnow
from marketplace.seed.services import DEMO_PASSWORD

pytestmark = pytest.mark.browser
WIDTHS = {"desktop": 1920, "phone": 390}


@pytest.fixture(scope="module")
def demo_station(live_app):
    from marketplace.seed.station import seed_station

    with live_app.app_context():
        seed_station(now=utcnow())
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="module")
def indexed_paper(live_app):
    """Two paper trades of a producer and a recycler of their own (no other test's figures
    move): one settled last week at 1600 元/t makes the grade's weekly index, one made today at
    1500 元/t against a 1400 元/t reserve is measured against it."""
    from datetime import timedelta

    import sqlalchemy as sa

    from core.catalogue import Category
    from core.enums import OrgKind
    from core.models import Cluster, Site
    from marketplace.trading.auction import SaleMode
    from marketplace.trading.models import Sale, TradeStatus
    from tests.factories import closed_lot, make_org, trade_of

    now = utcnow()
    with live_app.app_context():
        cluster = db.session.scalar(sa.select(Cluster).limit(1))
        seller = make_org(OrgKind.PRODUCER, cluster_id=cluster.id)
        buyer = make_org(OrgKind.RECYCLER, cluster_id=cluster.id)
        site = Site(organization=seller, name="测试厂", address="长安", lat=22.8, lon=113.8)
        db.session.add(site)
        paper = db.session.scalar(sa.select(Category).where(Category.code == "PA-OCC"))
        db.session.flush()
        for price, made, settled in (
            (160_000, now - timedelta(days=9), True),
            (150_000, now, False),
        ):
            lot = closed_lot(seller.id, site.id, paper, 4_000_000, made - timedelta(days=1))
            db.session.add(
                Sale(lot_id=lot.id, mode=SaleMode.ASCENDING, reserve_fen=140_000, deadline=made)
            )
            trade_of(
                lot,
                buyer.id,
                price,
                made,
                status=TradeStatus.CLOSED if settled else TradeStatus.AWARDED,
                settled_at=made + timedelta(days=1) if settled else None,
                settled_fen=price * 4 if settled else None,
            )
        db.session.commit()
        db.engine.dispose()


def api(page, path):
    response = page.page.request.get(page.base + path)
    assert response.status == 200, (path, response.status, response.text()[:300])
    return response.json()


def shots(page, name):
    for label, width in WIDTHS.items():
        page.page.set_viewport_size({"width": width, "height": 900})
        page.page.wait_for_timeout(300)  # ECharts redraws on resize
        page.screenshot(f"{name}-{label}")
    page.page.set_viewport_size({"width": 1280, "height": 900})


def tiles_match_api(page, body) -> int:
    """Every tile shows the API's figure (to the digits it displays) or 暂无数据; returns how
    many tiles carry a figure."""
    page.page.wait_for_selector("[data-testid^=tile-] [data-testid=tile-value]")
    shown = 0
    for indicator in body["indicators"]:
        text = page.page.locator(f"[data-testid=tile-{indicator['key']}] [data-testid=tile-value]")
        text = text.inner_text().replace(",", "").strip()
        if indicator["no_data"] or indicator["value"] is None:
            assert text == "暂无数据", indicator["key"]
            continue
        value = float(indicator["value"])
        digits = len(text.split(".")[1]) if "." in text else 0
        assert abs(float(text) - value) <= 0.51 * 10**-digits, (indicator["key"], text, value)
        shown += 1
    return shown


def charts_drawn(page, *ids):
    for chart_id in ids:
        page.page.wait_for_selector(f"#{chart_id} canvas")


def test_government_cluster_dashboard(page, demo_station, indexed_paper) -> None:
    page.login("demo-gov", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-dashboard]")
    page.page.wait_for_selector("[data-testid=dashboard]")
    charts_drawn(page, "sankey", "map", "network", "trend", "prices")
    start = page.page.input_value("#from")
    end = page.page.input_value("#to")
    flows = api(page, f"/api/v1/dashboard/flows?from={start}&to={end}")
    assert flows["records"] > 0
    body = api(page, f"/api/v1/dashboard/indicators?from={start}&to={end}&scope=cluster")
    assert len(body["indicators"]) == 23
    assert tiles_match_api(page, body) >= 5
    # every CO2 figure with a factor names it, its version and source on hover
    for co2 in (i for i in body["indicators"] if i["factor"]):
        hover = page.page.locator(f"[data-testid=tile-{co2['key']}]").get_attribute("title")
        assert co2["factor"]["version"] in hover
        assert co2["factor"]["source"] in hover
    # price realisation also against the grades' weekly price index, as the API says
    price = next(i for i in body["indicators"] if i["key"] == "price_realisation")
    against = float(price["extra"]["against_index_pct"])
    line = page.page.locator("[data-testid=tile-price_realisation] [data-testid=tile-index]")
    shown_pct = float(line.inner_text().split()[-1].rstrip("%").replace(",", ""))
    assert abs(shown_pct - against) <= 0.051, (line.inner_text(), against)
    # drill-down from a tile opens the records API's rows
    shown = next(i for i in body["indicators"] if not i["no_data"] and i["value"] is not None)
    page.page.click(f"[data-testid=tile-{shown['key']}]")
    page.page.wait_for_selector("[data-testid=drill-table] tbody tr")
    records = api(page, shown["drilldown_url"])
    assert page.page.locator("[data-testid=drill-row]").count() == min(200, len(records["items"]))
    with page.page.expect_download() as download:
        page.page.click("[data-testid=drill-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
    basis = page.page.locator("[data-testid=sankey-basis]").inner_text()
    weighed = f"{flows['sankey']['weighed_t']:,.1f}".rstrip("0").rstrip(".")
    assert weighed in basis.replace("\u00a0", "")
    # the station anomaly list matches the API, with links to the records and passports
    anomalies = api(page, f"/api/v1/dashboard/anomalies?from={start}&to={end}")
    page.page.wait_for_selector("[data-testid=anomaly-station]")
    rows = page.page.locator("[data-testid=anomaly-station]")
    assert rows.count() == len(anomalies["stations"])
    first = anomalies["stations"][0]
    assert rows.first.locator("td").nth(2).inner_text() == str(first["anomalies"])
    assert "/station/reports/process" in rows.first.locator("a").get_attribute("href")
    # bridge enterprises as the API lists them
    assert page.page.locator("[data-testid=bridge-row]").count() == len(
        flows["network"]["bridge_enterprises"]
    )
    # drill-down: the records behind the flow charts
    page.page.click("[data-testid=flows-records]")
    page.page.wait_for_selector("[data-testid=drill-row]")
    assert page.page.locator("[data-testid=drill-row]").count() == min(200, flows["records"])
    with page.page.expect_download() as download:
        page.page.click("[data-testid=drill-csv]")
    assert download.value.suggested_filename.endswith(".csv")
    with page.page.expect_download() as download:
        page.page.click("[data-testid=anomalies-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
    with page.page.expect_download() as download:
        page.page.click("[data-testid=network-csv]")
    assert download.value.suggested_filename.startswith("network-")
    # one material family: the Sankey redraws with that family's figures
    family = next(iter(flows["sankey"]["links"][0]["families"]))
    narrowed = api(page, f"/api/v1/dashboard/flows?from={start}&to={end}&family={family}")
    page.page.select_option("[data-testid=flow-family]", family)
    expected = f"{narrowed['sankey']['weighed_t']:,.1f}".rstrip("0").rstrip(".")
    page.page.wait_for_function(
        "t => document.querySelector('[data-testid=sankey-basis]').textContent.includes(t)",
        arg=expected,
    )
    shots(page, "dashboard-cluster")


def test_government_cannot_change_anything(page, live_app) -> None:
    page.login("demo-gov", DEMO_PASSWORD)
    page.goto("/dashboard")
    page.page.wait_for_selector("[data-testid=dashboard]")
    # the only form that posts is sign-out; no other write action anywhere on the page
    posting = page.page.locator("form[method=post], form[method=POST]")
    assert posting.count() == 1
    assert posting.first.locator("[data-testid=logout]").count() == 1
    token = page.page.locator("input[name=csrf_token]").first.input_value()
    paths = sorted(
        {
            re.sub(r"<[^>]+>", "1", rule.rule)
            for rule in live_app.url_map.iter_rules()
            if rule.rule.startswith(("/dashboard", "/api/v1/dashboard"))
        }
    )
    assert len(paths) >= 6
    for path in paths:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = page.page.request.fetch(
                page.base + path, method=method, headers={"X-CSRFToken": token}, data="{}"
            )
            assert response.status in (403, 405), (method, path, response.status)


def test_ledgers_as_government(page, demo_station) -> None:
    page.login("demo-gov", DEMO_PASSWORD)
    page.goto("/dashboard")
    page.page.click("[data-testid=open-ledgers]")
    page.page.wait_for_selector("[data-testid=solid-table]")
    assert page.page.locator("[data-testid=manifest-table]").count() == 1
    with page.page.expect_download() as download:
        page.page.click("[data-testid=solid-xlsx]")
    assert download.value.suggested_filename.endswith(".xlsx")
    shots(page, "dashboard-ledgers")
    page.goto("/dashboard?lang=en")
    page.page.wait_for_selector("[data-testid=sankey] canvas")
    assert "Headline indicators" in page.page.inner_text("main")
    shots(page, "dashboard-cluster-en")


@pytest.mark.parametrize("username", ["demo-producer", "demo-recycler"])
def test_my_dashboard_and_esg(page, demo_station, username) -> None:
    page.login(username, DEMO_PASSWORD)
    page.page.click("[data-testid=nav-dashboard]")
    page.page.wait_for_selector("[data-testid=dashboard]")
    charts_drawn(page, "sankey", "network")
    start, end = page.page.input_value("#from"), page.page.input_value("#to")
    flows = api(page, f"/api/v1/dashboard/flows?from={start}&to={end}")
    org_id = int(page.page.get_attribute("#dashboard", "data-org"))
    ends = {n["org_id"] for n in flows["sankey"]["nodes"]}
    assert not ends or org_id in ends  # only flows touching my organisation
    body = api(page, f"/api/v1/dashboard/indicators?from={start}&to={end}&scope=org&id={org_id}")
    tiles_match_api(page, body)
    shots(page, f"dashboard-mine-{username}")
    if username == "demo-producer":
        page.page.click("[data-testid=ledgers-link]")
        page.page.wait_for_selector("[data-testid=solid-table]")
        with page.page.expect_download() as download:
            page.page.click("[data-testid=solid-csv]")
        assert download.value.suggested_filename.endswith(".csv")
        page.page.go_back()
        page.page.wait_for_selector("[data-testid=dashboard]")
    page.page.click("[data-testid=esg-link]")
    page.page.wait_for_selector("[data-testid=esg]")
    assert page.page.locator("[data-testid=esg-print]").count() == 1
    shots(page, f"dashboard-esg-{username}")


def test_a_factory_files_its_monthly_figures(page) -> None:
    """月度填报: the producer files last month's value added on the page; the table and the
    API show it as filed."""
    from datetime import timedelta

    from playwright.sync_api import expect

    from core.time import to_local

    month = (to_local(utcnow()).date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    page.login("demo-producer", DEMO_PASSWORD)
    page.page.click("[data-testid=nav-dashboard]")
    page.page.click("[data-testid=reports-link]")
    page.page.wait_for_selector("[data-testid=report-form]")
    assert page.page.locator("#recycled_input_t").count() == 0  # a buyer plant's figure
    page.page.fill("#month", month)
    page.page.fill("#value_added_wan_yuan", "1234.5")
    page.page.click("[data-testid=report-save]")
    row = page.page.locator(f"[data-testid=report-row][data-month='{month}']")
    expect(row.locator("[data-field=value_added_wan_yuan]")).to_have_text("1234.5")
    filed = api(page, "/api/v1/dashboard/reports")
    assert (filed[0]["month"], filed[0]["value_added_wan_yuan"]) == (month, "1234.5")
    shots(page, "dashboard-reports")
