"""Monthly reports (月度填报) through the API and the page, on both databases: each kind files
its own figures, a correction keeps the other figures and is audited, the indicators read what
was filed, and bad input is a 4xx naming the field with nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.models import AuditEntry
from marketplace.dashboard.models import OrgMonthReport
from tests.factories import bearer, csrf_token, login, make_org, make_user
from tests.marketplace.dashboard.test_api import MARCH, cluster, figures  # noqa: F401 (fixture)

URL = "/api/v1/dashboard/reports"


def test_filed_reports_make_the_figures(app, cluster) -> None:  # noqa: F811
    client = app.test_client()
    producer = cluster["producer"]
    recycler = bearer(make_user(cluster["r"], Role.OPERATOR))
    first = client.post(
        URL, json={"month": "2026-03", "value_added_wan_yuan": "490"}, headers=producer
    )
    assert first.status_code == 201, first.get_json()
    again = client.post(
        URL, json={"month": "2026-03", "prior_stock_utilised_t": "1.5"}, headers=producer
    )
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["value_added_wan_yuan"] == "490"  # left out: kept
    listed = client.get(URL, headers=producer).get_json()
    assert [
        (r["month"], r["value_added_wan_yuan"], r["prior_stock_utilised_t"]) for r in listed
    ] == [("2026-03", "490", "1.5")]
    filed = client.post(
        URL,
        json={"month": "2026-03", "virgin_input_t": "30", "recycled_input_t": "10"},
        headers=recycler,
    )
    assert filed.status_code == 201, filed.get_json()
    stored = db.session.scalar(
        sa.select(OrgMonthReport).where(OrgMonthReport.organization_id == cluster["p"].id)
    )
    assert (stored.value_added_fen, stored.prior_stock_utilised_g) == (490_000_000, 1_500_000)
    _, by = figures(client, cluster["gov"], **MARCH)
    assert by["substitution_rate"]["value"] == "25.00"  # 10 ÷ (10 + 30)
    # generated 20.3 t (test_api) ÷ 490 万元
    assert by["generation_intensity"]["value"] == "0.0414"
    assert Decimal(by["utilisation_rate"]["denominator"]) == Decimal("21.8")  # + 1.5 t prior
    corrections = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "dashboard.report_saved")
    ).all()
    assert len(corrections) == 3
    assert corrections[1].detail["before"] == {"prior_stock_utilised_t": None}
    assert corrections[1].target == "report:2026-03"
    cleared = client.post(
        URL, json={"month": "2026-03", "value_added_wan_yuan": None}, headers=producer
    )
    assert cleared.get_json()["value_added_wan_yuan"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"month": "2026-13", "value_added_wan_yuan": "1"}, "month"),
        ({"month": "2099-01", "value_added_wan_yuan": "1"}, "month"),  # not yet known
        ({"month": "1999-12", "value_added_wan_yuan": "1"}, "month"),  # before the platform
        ({"month": "2026-03\n", "value_added_wan_yuan": "1"}, "month"),
        ({"value_added_wan_yuan": "1"}, "month"),
        ({"month": "2026-03", "value_added_wan_yuan": "-1"}, "value_added_wan_yuan"),
        ({"month": "2026-03", "value_added_wan_yuan": "1.0000001"}, "value_added_wan_yuan"),
        ({"month": "2026-03", "value_added_wan_yuan": "1e9"}, "value_added_wan_yuan"),
        ({"month": "2026-03", "value_added_wan_yuan": "abc"}, "value_added_wan_yuan"),
        ({"month": "2026-03", "capacity_t": "9"}, "capacity_t"),  # a station's figure
        ({"month": "2026-03"}, "value_added_wan_yuan"),  # nothing to file
        ({"month": "2026-03", "colour": "red"}, "colour"),
    ],
)
def test_bad_reports_name_the_field_and_write_nothing(app, cluster, body, field) -> None:  # noqa: F811
    resp = app.test_client().post(URL, json=body, headers=cluster["producer"])
    assert resp.status_code == 422, resp.get_json()
    assert field in str(resp.get_json()), resp.get_json()
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(OrgMonthReport)) == 1
    )  # the station's, from the fixture


def test_who_may_file(app, cluster) -> None:  # noqa: F811
    client = app.test_client()
    body = {"month": "2026-03", "value_added_wan_yuan": "1"}
    viewer = bearer(make_user(cluster["p"], Role.VIEWER))
    assert client.post(URL, json=body, headers=cluster["gov"]).status_code == 403
    assert client.post(URL, json=body, headers=viewer).status_code == 403
    assert client.get(URL, headers=viewer).status_code == 200  # reads its own
    logistics = bearer(make_user(make_org(OrgKind.LOGISTICS), Role.MANAGER))
    assert client.get(URL, headers=logistics).status_code == 403
    station = bearer(make_user(make_org(OrgKind.STATION), Role.MANAGER))
    own = client.post(URL, json={"month": "2026-03", "capacity_t": "9"}, headers=station)
    assert own.status_code == 201
    assert client.get(URL, headers=station).get_json()[0]["capacity_t"] == "9"
    assert [r["month"] for r in client.get(URL, headers=cluster["producer"]).get_json()] == []


def test_the_page_files_a_month(app, cluster) -> None:  # noqa: F811
    user = make_user(cluster["p"], Role.MANAGER)
    db.session.commit()
    client = app.test_client()
    login(client, user.username)
    page = client.get("/dashboard/reports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "工业增加值（万元）" in text
    assert "再生料投入" not in text  # a factory files its own fields only
    token = csrf_token(client, "/dashboard/reports")
    form = {"csrf_token": token, "month": "2026-02", "value_added_wan_yuan": "1,2"}
    bad = client.post("/dashboard/reports", data=form)
    assert bad.status_code == 422
    assert 'data-testid="error-value_added_wan_yuan"' in bad.get_data(as_text=True)
    form["value_added_wan_yuan"] = "1200.5"
    done = client.post("/dashboard/reports", data=form, follow_redirects=True)
    assert done.status_code == 200
    shown = done.get_data(as_text=True)
    assert 'data-month="2026-02"' in shown
    assert "1200.5" in shown
    again = client.get("/dashboard/reports?month=2026-02").get_data(as_text=True)
    assert 'name="value_added_wan_yuan" inputmode="decimal" value="1200.5"' in again  # to correct
