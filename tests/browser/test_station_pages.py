"""The station's pages in Chromium: a real weighing at the desk with the weighbridge fed by the
scale simulator over a pseudo-terminal (the live reading shows, the stable weight is recorded),
its A/B/C/D and alert on the result page, and that alert appearing at once on an alerts page
already open (server-sent events). Every station page is screenshotted."""

import time
from datetime import timedelta
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.models import Organization, User
from core.time import utcnow
from marketplace.seed.services import DEMO_PASSWORD
from station.models import Package, RecordKind, Scale, ScaleProtocol, TareKind, Weighing
from station.scales.registry import REGISTRY, config_of
from station.scales.simulator import SimulatedScale, Simulator, Step
from station.services import setup

pytestmark = pytest.mark.browser


@pytest.fixture
def weighbridge(live_app):
    """The demo station with a tare, a factory's production record and a delivery note, and a
    weighbridge whose serial port is a pty with the simulator showing a steady 5,198 kg."""
    live_app.config.update(STATION_SSE_SECONDS=1, STATION_SSE_POLL_S=0.2)
    with live_app.app_context():
        manager = db.session.scalar(sa.select(User).where(User.username == "demo-station"))
        factory = db.session.scalar(
            sa.select(User.organization_id).where(User.username == "demo-producer")
        )
        actor = Actor(manager.id, manager.organization_id, manager.organization.kind, manager.role)
        station = manager.organization_id
        now = utcnow()
        setup.add_tare(
            actor, TareKind.VEHICLE, "粤S88888", Decimal("4200"), now - timedelta(days=1), None
        )
        record = setup.add_production_record(
            actor,
            station_id=station,
            factory_id=factory,
            kind=RecordKind.OUTPUT,
            reference="WO-BROWSER-1",
            grade="PL-MIXED",
            quantity=Decimal("500"),
            unit="箱",
            factor=Decimal("2.5"),
            factor_unit="箱",
            record_date=now.date(),
        )  # A = 1,250 kg: the delivery will come in far short
        made = db.session.scalar(
            sa.select(sa.func.count()).select_from(Scale).where(Scale.organization_id == station)
        )  # the live server's database lives on between tests: a new note and scale each time
        setup.create_delivery(
            actor,
            station_id=station,
            factory_id=factory,
            number=f"SL-BROWSER-{made + 1}",
            grade="PL-MIXED",
            record_ids=[record.id],
            vehicle_plate="粤S88888",
            now=now,
        )
        scale = Scale(
            organization_id=station,
            name_zh="浏览器测试地磅" + (f" {made + 1}" if made else ""),
            protocol=ScaleProtocol.ST_GS,
            port="/dev/null",
            capacity_kg=60_000,
            division_g=1000,
        )
        db.session.add(scale)
        db.session.flush()
        base = config_of(scale)
        sim = Simulator(base, SimulatedScale(base, [Step(Decimal("5198"))]), rate_hz=20)
        scale.port = sim.open_pty()
        db.session.commit()
        scale_id = scale.id
        assert db.session.get(Organization, station) is not None
    sim.start()
    yield scale_id
    sim.stop()
    REGISTRY.close_all()
    time.sleep(1.5)  # the closed pages' alert streams (1 s each) end before the server may
    live_app.config.update(STATION_SSE_SECONDS=25, STATION_SSE_POLL_S=1)


def test_a_weighing_at_the_desk_and_its_alert_pushed_live(
    browser, live_server, live_app, weighbridge
):
    from tests.browser.conftest import Page

    alerts = Page(browser, live_server)
    alerts.login("demo-station", DEMO_PASSWORD)
    alerts.goto("/station/alerts")
    live = alerts.page.locator("[data-testid=alert-live]")
    board = Page(browser, live_server)  # any other station page is told too
    board.login("demo-station", DEMO_PASSWORD)
    board.goto("/station/")

    desk = Page(browser, live_server)
    desk.login("demo-station", DEMO_PASSWORD)
    desk.goto("/station/desk/receive")
    desk.page.select_option("[data-testid=source]", str(weighbridge))
    reading = desk.page.locator("[data-testid=reading]")
    reading.filter(has_text="5198").wait_for(timeout=10_000)
    assert "稳定" in reading.inner_text()
    desk.page.fill("[data-testid=tare_vehicle]", "粤S88888")
    desk.screenshot("station-desk-receive")
    desk.page.click("[data-testid=record]")
    desk.page.wait_for_url("**/station/weighings/*")
    table = desk.page.locator("[data-testid=result-table]").inner_text()
    for figure in ("5,198.000", "1,250.000", "998.000", "-252.000"):
        assert figure in table
    assert "异常" in table
    assert "短缺" in table
    assert desk.page.locator("[data-testid=result-alerts] li").count() == 1
    desk.screenshot("station-weighing-result")

    with live_app.app_context():
        weighing = db.session.scalar(sa.select(Weighing).where(Weighing.scale_id == weighbridge))
        assert weighing.manual is False
        assert len(weighing.raw_sha256) == 64
        weighing_id = weighing.id
        label = db.session.scalar(sa.select(Package.label).where(Package.id == weighing.package_id))

    # The alerts page opened before the weighing shows the new alert without a reload.
    alerts.page.locator("#alert-rows tr[data-live=true]").first.wait_for(timeout=10_000)
    assert "三级" in alerts.page.locator("#alert-rows tr[data-live=true]").first.inner_text()
    assert live.get_attribute("data-received") == "1"
    alerts.screenshot("station-alerts-live")
    notice = board.page.locator("#alert-live [data-live=true]")
    notice.wait_for(timeout=10_000)
    assert "三级" in notice.inner_text()
    assert board.page.locator("[data-testid=alert-badge]").inner_text() == "1"
    board.screenshot("station-dashboard-live-alert")

    # The rest of the station's pages, each looked at once.
    for path, name in [
        ("/station/", "station-dashboard"),
        (f"/station/packages/{label}", "station-package"),
        ("/station/packages", "station-packages"),
        (f"/station/packages/{label}/print", "station-label-60x40"),
        (f"/station/labels/sheet?label={label}", "station-label-sheet"),
        ("/station/desk/sort", "station-desk-sort"),
        ("/station/desk/bale", "station-desk-bale"),
        ("/station/outbound", "station-outbound"),
        ("/station/setup/ratios", "station-setup-ratios"),
        ("/station/setup/tolerances", "station-setup-tolerances"),
        ("/station/setup/deliveries", "station-setup-deliveries"),
    ]:
        response = desk.goto(path)
        assert response.status == 200, path
        desk.screenshot(name)
    # The print CSS sets the paper: one 60 × 40 mm page per label, A4 for the sheet.
    for path, size_mm in [
        (f"/station/packages/{label}/print", (60, 40)),
        (f"/station/labels/sheet?label={label}", (210, 297)),
    ]:
        desk.goto(path)
        pdf = pdfium.PdfDocument(desk.page.pdf(prefer_css_page_size=True))
        width, height = pdf[0].get_size()  # points
        assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == size_mm, path
        assert len(pdf) == 1
        pdf.close()
    # A scanner's Enter in a label field moves on, it does not record the bale.
    desk.goto("/station/desk/bale")
    desk.page.fill("[data-testid=pick0-label]", "ST01-SRT-20261201-0001")
    desk.page.press("[data-testid=pick0-label]", "Enter")
    assert desk.page.url.endswith("/station/desk/bale")
    assert desk.page.evaluate("document.activeElement.name") == "pick0-kg"
    desk.goto("/station/scan?label=ST99-RCV-20261201-0001")
    assert "不存在" in desk.page.content()
    desk.goto("/station/?lang=en")
    assert "Station dashboard" in desk.page.content()
    desk.screenshot("station-dashboard-en")
    desk.goto(f"/station/weighings/{weighing_id}")
    assert "Anomaly" in desk.page.locator("[data-testid=result-table]").inner_text()
    desk.screenshot("station-weighing-result-en")
    alert_link = alerts.page.locator("#alert-rows tr[data-live=true] a").first
    alert_link.click()
    alerts.page.wait_for_url("**/station/alerts/*")
    alerts.page.click("[data-testid=acknowledge]")
    assert alerts.page.locator("[data-testid=alert-state]").inner_text() == "已确认"
    alerts.screenshot("station-alert")
    for wrapper in (alerts, desk, board):
        wrapper.context.close()
        assert not wrapper.outside, wrapper.outside


def test_a_work_order_booked_at_the_desk_and_alert_changes_pushed_live(
    browser, live_server, live_app, weighbridge
):
    """The desk offers today's order for 收料; the result shows its number and line. The
    alert it raises then changes state (acknowledged on another page, escalated by the job):
    the alerts list and the alert's own page, both open, show each change without a reload."""
    from core.time import to_local
    from station.models import Alert, Stage
    from station.services import alerts as alert_service
    from tests.browser.conftest import Page

    with live_app.app_context():
        manager = db.session.scalar(sa.select(User).where(User.username == "demo-station"))
        actor = Actor(manager.id, manager.organization_id, manager.organization.kind, manager.role)
        setup.create_work_order(
            actor,
            number="WO-BROWSER-RCV",
            stage=Stage.RECEIVE,
            line="二号线",
            shift="白班",
            work_date=to_local(utcnow(), live_app.config["TIMEZONE"]).date(),
            assignees=[manager.id],
        )
        db.session.commit()

    alerts = Page(browser, live_server)
    alerts.login("demo-station", DEMO_PASSWORD)
    alerts.goto("/station/alerts")
    desk = Page(browser, live_server)
    desk.login("demo-station", DEMO_PASSWORD)
    desk.goto("/station/desk/receive")
    desk.page.select_option("[data-testid=source]", str(weighbridge))
    desk.page.locator("[data-testid=reading]").filter(has_text="5198").wait_for(timeout=10_000)
    desk.page.fill("[data-testid=tare_vehicle]", "粤S88888")
    desk.page.select_option("[data-testid=work_order]", "WO-BROWSER-RCV")
    desk.screenshot("station-desk-receive-work-order")
    desk.page.click("[data-testid=record]")
    desk.page.wait_for_url("**/station/weighings/*")
    assert desk.page.locator("[data-testid=result-work-order]").inner_text() == "WO-BROWSER-RCV"
    assert desk.page.locator("[data-testid=result-line]").inner_text() == "二号线"
    desk.screenshot("station-weighing-result-work-order")

    row = alerts.page.locator("#alert-rows tr[data-live=true]").first
    row.wait_for(timeout=10_000)
    alert_id = int(row.get_attribute("id").rsplit("-", 1)[1])
    page = Page(browser, live_server)  # the alert's own page, open while it changes
    page.login("demo-station", DEMO_PASSWORD)
    page.goto(f"/station/alerts/{alert_id}")
    assert page.page.locator("[data-testid=alert-state]").inner_text() == "待处理"

    desk.goto(f"/station/alerts/{alert_id}")
    desk.page.click("[data-testid=acknowledge]")
    row.locator("[data-state]").filter(has_text="已确认").wait_for(timeout=10_000)
    state = page.page.locator("[data-testid=alert-state]")
    state.filter(has_text="已确认").wait_for(timeout=10_000)
    page.page.locator("#alert-reload").wait_for(timeout=10_000)

    with live_app.app_context():
        alert = db.session.get(Alert, alert_id)
        alert.due_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        # other alerts of the shared live database may fall due during a long browser run
        assert alert_id in alert_service.escalate_due(now=utcnow())
        db.session.commit()
    row.locator("[data-state]").filter(has_text="已升级").wait_for(timeout=10_000)
    state.filter(has_text="已升级").wait_for(timeout=10_000)
    assert page.page.locator("[data-testid=alert-escalations]").inner_text() == "1"
    assert "三级" in row.locator("[data-tier]").inner_text()
    alerts.screenshot("station-alerts-live-changed")
    page.screenshot("station-alert-live-changed")

    desk.goto("/station/setup/orders")
    desk.page.click("[data-testid=close-WO-BROWSER-RCV]")
    desk.page.wait_for_url("**/station/setup/orders")
    order_row = desk.page.locator("[data-testid=order-WO-BROWSER-RCV]").inner_text()
    assert "已关闭" in order_row
    desk.screenshot("station-setup-orders")
    for wrapper in (alerts, desk, page):
        wrapper.context.close()
        assert not wrapper.outside, wrapper.outside
