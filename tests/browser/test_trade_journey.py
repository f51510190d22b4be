"""A whole trade in Chromium: an offers sale accepted by the producer, pickup under fund
supervision, delivery, a dispute with a photo accepted by the seller, the end use and the
certificate; the live sale box; my bids; the price index chart."""

import re

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from core import auth
from core.catalogue import Category
from core.db import db
from core.enums import Role
from core.models import User
from core.time import utcnow
from marketplace.profiles.models import RecyclerProfile
from marketplace.seed.services import DEMO_PASSWORD
from marketplace.trading import escrow, ledger

pytestmark = pytest.mark.browser


def new_lot_with_sale(page, title, mode, reserve="1500"):
    page.login("demo-producer", DEMO_PASSWORD)
    page.goto("/lots/new")
    page.page.fill("#title", title)
    page.page.select_option("#grade", "PA-OCC")
    page.page.fill("#quantity_t", "2")
    page.page.fill("#ask_yuan_per_t", "1600")
    page.page.click("[data-testid=save-lot]")
    page.page.click("[data-testid=publish]")
    page.page.wait_for_selector("[data-testid=sale-form]")
    page.page.select_option("#mode", mode)
    page.page.fill("#deadline", "2030-01-01T10:00")
    page.page.fill("#reserve", reserve)
    page.page.click("[data-testid=sale-form] button[type=submit]")
    page.page.wait_for_selector("[data-testid=n-bids]")
    url = page.page.url
    page.page.click("[data-testid=logout]")
    return url


def step(page, name):
    page.page.click(f"[data-testid=step-{name}]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert not page.page.locator(".alert-danger").count(), page.page.locator(
        ".alert-danger"
    ).inner_text()


def test_offer_to_certificate(page, tmp_path) -> None:
    lot_url = new_lot_with_sale(page, "议价测试·黄板纸", "offers")

    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.goto(lot_url)
    page.page.fill("[data-testid=bid-form] input[name=amount_yuan_per_t]", "1580")
    page.page.click("[data-testid=bid-form] button[type=submit]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert page.page.locator("[data-testid=position]").inner_text() == "报价待卖方答复"
    page.page.click("[data-testid=logout]")

    page.login("demo-producer", DEMO_PASSWORD)
    page.goto("/lots/mine")
    received = page.page.locator("tr", has_text="议价测试").locator("[data-testid=bids-received]")
    assert received.inner_text() == "1 · 1,580.00"
    page.page.goto(lot_url)
    bids = page.page.locator("[data-testid=bids]").inner_text()
    assert "1,580.00" in bids
    assert "有限公司" in bids  # the seller sees who offered
    page.screenshot("lot-offers-received")
    page.page.click("[data-testid=accept-offer]")
    page.page.wait_for_selector("[data-testid=trades]")
    page.page.click("[data-testid=trade-link] >> nth=0")
    page.page.wait_for_selector("[data-testid=next-step]")
    trade_url = page.page.url
    step(page, "schedule")
    assert page.page.locator("[data-testid=held]").inner_text().startswith("3,160.00")
    step(page, "picked-up")
    page.page.click("[data-testid=logout]")

    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.goto(trade_url)
    page.page.fill("#net_kg", "1980")
    step(page, "delivered")
    photo = tmp_path / "杂质.png"
    Image.new("RGB", (80, 60), (90, 70, 40)).save(photo)
    page.page.select_option("#kind", "quality")
    page.page.fill("#claim", "60")
    page.page.fill("#description", "到货杂质约 3%，超过约定 2%")
    page.page.set_input_files("#files", str(photo))
    page.screenshot("trade-dispute-form")
    step(page, "dispute")
    assert "待卖方答复" in page.page.locator("[data-testid=dispute-status]").inner_text()
    assert "杂质.png" in page.page.locator("[data-testid=dispute-evidence]").inner_text()
    page.page.click("[data-testid=logout]")

    page.login("demo-producer", DEMO_PASSWORD)
    page.page.goto(trade_url)
    page.screenshot("trade-dispute-seller")
    page.page.click("[data-testid=dispute-accept]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert page.page.locator("[data-testid=trade-status]").get_attribute("data-status") == "settled"
    # 1.98 t × 1580 = 3,128.40 due, less the 60 accepted
    assert page.page.locator("[data-testid=settled]").inner_text().startswith("3,068.40")
    page.page.click("[data-testid=logout]")

    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.goto(trade_url)
    page.page.select_option("#euk", "recycling")
    page.page.fill("#eu", "制浆后生产 AA 级瓦楞原纸")
    step(page, "close")
    page.screenshot("trade-closed")
    page.page.click("[data-testid=certificate-link]")
    page.page.wait_for_selector("[data-testid=certificate]")
    assert "核验通过" in page.page.locator("[data-testid=verified]").inner_text()
    assert "1980.000 kg" in page.page.locator("[data-testid=net]").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", page.page.locator("[data-testid=sha256]").inner_text())
    page.screenshot("certificate")
    certificate_url = page.page.url
    page.page.click("[data-testid=logout]")
    page.goto(certificate_url.replace(page.base, ""))  # public: no sign-in needed
    assert "核验通过" in page.page.locator("[data-testid=verified]").inner_text()

    page.login("demo-recycler", DEMO_PASSWORD)
    page.goto("/certificates")
    assert "HLRC-" in page.page.locator("[data-testid=certificates]").inner_text()
    page.screenshot("certificates")
    page.goto("/disputes")
    assert "卖方已接受" in page.page.locator("[data-testid=disputes]").inner_text()
    page.screenshot("disputes")
    page.goto("/price-index?grade=PA-OCC")
    page.page.wait_for_selector("[data-testid=index-chart][data-ready]")
    assert "1,580.00" in page.page.locator("[data-testid=index-table]").inner_text()
    page.screenshot("price-index")


def rival_token(app) -> str:
    """A second recycler's user with money in escrow, and a bearer token for it."""
    with app.app_context():
        demo = db.session.scalar(sa.select(User).where(User.username == "demo-recycler"))
        profile = db.session.scalar(
            sa.select(RecyclerProfile)
            .where(RecyclerProfile.organization_id != demo.organization_id)
            .order_by(RecyclerProfile.id)
        )
        paper = db.session.scalar(sa.select(Category).where(Category.code == "PA"))
        if paper not in profile.scope:  # the demo has one paper mill: license a rival for paper
            profile.scope.append(paper)
        profile.haul_radius_km = 200
        rival_org = profile.organization
        user = User(
            organization=rival_org,
            username=f"rival-{rival_org.id}",
            display_name="对手",
            role=Role.MANAGER,
            password_hash=auth.hash_password("rival password 1"),
        )
        db.session.add(user)
        escrow.post(ledger.top_up(rival_org.id, 10_000_000))
        db.session.commit()
        _, token = auth.issue_token(user, "browser test", now=utcnow(), days=1)
        db.session.commit()
        return token


def test_the_sale_box_updates_without_reloading(page, live_app) -> None:
    lot_url = new_lot_with_sale(page, "实时竞价·黄板纸", "ascending", reserve="1400")
    lot_id = int(lot_url.rstrip("/").rsplit("/", 1)[1])
    page.login("demo-recycler", DEMO_PASSWORD)
    page.page.goto(lot_url)
    page.page.evaluate("document.getElementById('sale-live').dataset.interval = '500'")
    page.page.fill("[data-testid=bid-form] input[name=amount_yuan_per_t]", "1450")
    page.page.click("[data-testid=bid-form] button[type=submit]")
    page.page.wait_for_selector("[data-testid=flash]")
    assert page.page.locator("[data-testid=position]").inner_text() == "领先"
    token = rival_token(live_app)
    response = page.context.request.post(
        f"{page.base}/api/v1/lots/{lot_id}/bids",
        headers={"Authorization": f"Bearer {token}"},
        data={"amount_yuan_per_t": "1500"},
    )
    assert response.status == 201, response.text()
    # a locator assertion polls from Python: a string predicate would be eval'd in the page,
    # which the CSP (no 'unsafe-eval') rightly refuses
    expect(page.page.locator("[data-testid=position]")).to_have_text("已被超越", timeout=15_000)
    assert page.page.locator("[data-testid=n-bids]").inner_text() == "2"
    assert page.page.locator("[data-testid=standing]").inner_text() == "1,500.00"
    page.screenshot("lot-live-outbid")
    page.page.click("[data-testid=nav-bids]")
    page.page.wait_for_selector("[data-testid=my-bids]")
    assert "已被超越" in page.page.locator("[data-testid=my-bids]").inner_text()
    page.screenshot("my-bids")
