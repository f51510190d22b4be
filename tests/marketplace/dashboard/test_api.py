"""The dashboard API on both databases: figures from real rows, access per role, bad input.

One March in the database (UTC times; the days are the same in Asia/Shanghai):
producer P lists L1 (10 t paper, reserve 1400 元/t) on 03-02 02:00 and L2 (6 t steel, unsold)
on 03-10; recycler R (same cluster) buys L1 at 1500 元/t, 9.8 t weighed on delivery 03-06
08:00, settled 03-07 08:00, closed 03-08. Station S receives 1 t from P (0.1 t deducted,
normal), 2 t (anomaly) and 5 t (anomaly) re-weighed as 1.5 t (normal); its capacity is 9 t for
March. Logistics L publishes a 80 km route on 03-06, a quarter empty, half loaded. In
February R bought 4 t of P's paper at 1600 元/t, settled 02-25: paper's weekly price index.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.models import Cluster, Site
from marketplace.dashboard.models import OrgMonthReport
from marketplace.dispatch.models import RoutePlan
from marketplace.trading.auction import SaleMode
from marketplace.trading.models import Sale, TradeStatus
from station.models.flow import Deduction, Stage, Weighing
from tests.factories import bearer, closed_lot, make_org, make_user, trade_of

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def _weighing(station, net, result, factory=None, replaces=None):
    w = Weighing(
        station_id=station.id,
        stage=Stage.RECEIVE,
        gross_g=net + 500_000,
        net_g=net,
        result=result,
        factory_id=factory.id if factory else None,
        created_at=at(6, 3),
        replaces_id=replaces.id if replaces else None,
    )
    db.session.add(w)
    db.session.flush()
    return w


@pytest.fixture
def cluster(app, catalogue):
    c = Cluster(code="DG", name_zh="东莞", name_en="Dongguan")
    db.session.add(c)
    db.session.flush()
    p = make_org(OrgKind.PRODUCER, cluster_id=c.id, industry_code="C39")
    r = make_org(OrgKind.RECYCLER, cluster_id=c.id)
    s = make_org(OrgKind.STATION, cluster_id=c.id)
    lg = make_org(OrgKind.LOGISTICS, cluster_id=c.id)
    site = Site(organization=p, name="一厂", address="长安", lat=22.8, lon=113.8)
    db.session.add(site)
    db.session.flush()
    paper = db.session.scalar(sa.select(Category).where(Category.code == "PA"))
    steel = db.session.scalar(sa.select(Category).where(Category.code == "FE"))
    lots = []
    for cat, grams, day in ((paper, 10_000_000, 2), (steel, 6_000_000, 10)):
        lot = closed_lot(p.id, site.id, cat, grams, at(day, 2), title=cat.name_zh)
        db.session.add(
            Sale(
                lot_id=lot.id,
                mode=SaleMode.ASCENDING,
                reserve_fen=140_000,
                deadline=at(day + 3),
                closed_at=at(day + 3),
            )
        )
        lots.append(lot)
    trade_of(
        lots[0],
        r.id,
        150_000,
        at(5),
        status=TradeStatus.CLOSED,
        net_g=9_800_000,
        delivered_at=at(6, 8),
        settled_at=at(7, 8),
        closed_at=at(8),
        end_use_kind="recycling",
    )
    # February's paper trade, settled on 02-25: the week of 02-23 makes paper's index 1600 元/t,
    # the one L1's trade (made 03-05, in the next week) is measured against
    feb = closed_lot(p.id, site.id, paper, 4_000_000, datetime(2026, 2, 16, tzinfo=UTC))
    trade_of(
        feb,
        r.id,
        160_000,
        datetime(2026, 2, 20, tzinfo=UTC),
        status=TradeStatus.CLOSED,
        net_g=4_000_000,
        delivered_at=datetime(2026, 2, 24, tzinfo=UTC),
        settled_at=datetime(2026, 2, 25, tzinfo=UTC),
        settled_fen=640_000,
        closed_at=datetime(2026, 2, 26, tzinfo=UTC),
        end_use_kind="recycling",
    )
    w1 = _weighing(s, 1_000_000, "normal", factory=p)
    db.session.add(Deduction(weighing_id=w1.id, kind="impurity", grams=100_000, reason="杂质"))
    _weighing(s, 2_000_000, "anomaly")
    old = _weighing(s, 5_000_000, "anomaly")
    _weighing(s, 1_500_000, "normal", replaces=old)
    db.session.add(
        OrgMonthReport(organization_id=s.id, month=date(2026, 3, 1), capacity_g=9_000_000)
    )
    db.session.add(
        RoutePlan(
            organization_id=lg.id,
            day=date(2026, 3, 6),
            state="published",
            kpis={"plan": {"km": 80.0, "empty_share": 0.25, "load_factor": 0.5, "vehicles": 1}},
        )
    )
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    producer = make_user(p, Role.MANAGER)
    db.session.commit()
    return {"gov": bearer(gov), "producer": bearer(producer), "p": p, "r": r, "c": c}


def figures(client, headers, **params):
    resp = client.get("/api/v1/dashboard/indicators", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), {i["key"]: i for i in resp.get_json()["indicators"]}


def test_cluster_figures_come_from_the_rows(app, cluster) -> None:
    body, by = figures(app.test_client(), cluster["gov"], **MARCH)
    assert len(body["indicators"]) == 23
    assert body["previous_period"] == {"from": "2026-01-29", "to": "2026-02-28"}
    value = {k: (Decimal(v["value"]) if v["value"] is not None else None) for k, v in by.items()}
    assert value["recycled_volume"] == Decimal("9.800")
    assert by["recycled_volume"]["basis"] == "称重净重"
    # 9.8 t × 219.73 kg/t (mixed paper, DEFRA 2025) = 2153.354 kg
    assert value["co2e_avoided_gross"] == Decimal("2.153")
    assert by["co2e_avoided_gross"]["factor"]["version"] == "DEFRA-2025"
    assert by["co2e_avoided_gross"]["factor"]["key"] == "mixed paper (paper & board: mixed)"
    # laden 60 km × 0.89121 + empty 20 km × 0.65975 = 66.6676 kg
    assert value["logistics_co2e"] == Decimal("0.067")
    assert value["co2e_avoided_net"] == Decimal("2.086")
    assert value["empty_running_rate"] == Decimal("25.00")
    # generated: L1 9.8 (weighed) + L2 6 + received 1 + 2 + 1.5 (the re-weighed 5 t replaced)
    assert Decimal(by["utilisation_rate"]["denominator"]) == Decimal("20.3")
    assert value["utilisation_rate"] == Decimal("48.28")
    assert value["weighing_anomaly_rate"] == Decimal("33.33")  # 1 of 3
    assert value["downgrade_rate"] == Decimal("2.17")  # 0.1 ÷ 4.6
    assert value["station_utilisation"] == Decimal("50.00")  # 4.5 ÷ 9
    assert value["clearance_rate"] == Decimal("50.00")
    assert value["price_realisation"] == Decimal("107.14")  # 1500 ÷ 1400
    assert by["price_realisation"]["extra"] == {"against_index_pct": "93.75"}  # 1500 ÷ 1600
    assert value["closed_loop_share"] == Decimal("100.00")
    assert value["traceability_completeness"] == Decimal("0.00")  # no passport chain
    assert value["escrow_settlement"] == Decimal("24.0")
    assert value["pickup_lead_time"] == Decimal("102.0")  # 03-02 02:00 → 03-06 08:00
    assert value["participation"] == Decimal("100.00")
    assert by["substitution_rate"]["no_data"] == "企业尚未填报"
    assert by["recycled_volume"]["previous_value"] == "4.000"  # February's paper
    assert by["recycled_volume"]["change_pct"] == "145.0"
    assert by["recycled_volume"]["drilldown_url"].startswith(
        "/api/v1/dashboard/indicators/recycled_volume/records?"
    )


def test_english_labels(app, cluster) -> None:
    headers = {**cluster["gov"], "Accept-Language": "en"}
    _, by = figures(app.test_client(), headers, **MARCH, lang="en")
    assert by["substitution_rate"]["no_data"] != "企业尚未填报"


def test_producer_sees_its_own_organisation_only(app, cluster) -> None:
    client, own = app.test_client(), cluster["producer"]
    body, by = figures(client, own, **MARCH)
    assert body["scope"] == {"kind": "org", "id": str(cluster["p"].id)}
    assert by["weighing_anomaly_rate"]["value"] == "0.00"  # only its own 1 t delivery
    for params in ({"scope": "cluster"}, {"scope": "org", "id": str(cluster["r"].id)}):
        resp = client.get("/api/v1/dashboard/indicators", query_string=params, headers=own)
        assert resp.status_code == 403


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "2026-3-1"}, 400, "from"),
        ({"to": "yesterday"}, 400, "to"),
        ({"from": "2026-04-01", "to": "2026-03-01"}, 400, "from"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, 400, "to"),
        ({"scope": "galaxy"}, 400, "scope"),
        ({"scope": "park", "id": "999999"}, 404, "id"),
        ({"scope": "material", "id": "ZZ"}, 404, "id"),
    ],
)
def test_bad_arguments_name_the_field(app, cluster, params, status, field) -> None:
    resp = app.test_client().get(
        "/api/v1/dashboard/indicators", query_string=params, headers=cluster["gov"]
    )
    assert resp.status_code == status
    assert field in resp.get_json()["error"]["fields"]


def test_unknown_key_is_404(app, cluster) -> None:
    client = app.test_client()
    resp = client.get("/api/v1/dashboard/indicators/nope/records", headers=cluster["gov"])
    assert resp.status_code == 404
    resp = client.get("/api/v1/dashboard/trend?key=nope", headers=cluster["gov"])
    assert resp.status_code == 400


def test_scopes_narrow_the_figures(app, cluster) -> None:
    client = app.test_client()
    _, steel = figures(client, cluster["gov"], **MARCH, scope="material", id="FE")
    assert steel["recycled_volume"]["no_data"]
    assert steel["clearance_rate"]["value"] == "0.00"  # L2 unsold
    _, park = figures(client, cluster["gov"], **MARCH, scope="cluster", id=str(cluster["c"].id))
    assert park["recycled_volume"]["value"] == "9.800"
    _, ind = figures(client, cluster["gov"], **MARCH, scope="industry", id="C39")
    assert ind["recycled_volume"]["value"] == "9.800"


def test_records_behind_a_figure(app, cluster) -> None:
    client = app.test_client()
    url = "/api/v1/dashboard/indicators/weighing_anomaly_rate/records"
    body = client.get(url, query_string=MARCH, headers=cluster["gov"]).get_json()
    assert body["kind"] == "weighings"
    assert body["total"] == 1
    assert body["items"][0]["net_g"] == 2_000_000
    deducted = client.get(
        "/api/v1/dashboard/indicators/downgrade_rate/records",
        query_string=MARCH,
        headers=cluster["gov"],
    ).get_json()
    assert deducted["total"] == 1  # the 1 t with its 0.1 t of impurity
    assert [(w["net_g"], w["deduction_g"]) for w in deducted["items"]] == [(1_000_000, 100_000)]
    _, by = figures(client, cluster["gov"], **MARCH)
    drill = client.get(by["recycled_volume"]["drilldown_url"], headers=cluster["gov"]).get_json()
    assert [t["weighed_g"] for t in drill["items"]] == [9_800_000]
    page = client.get(
        "/api/v1/dashboard/indicators/participation/records",
        query_string={**MARCH, "per_page": 3, "page": 2},
        headers=cluster["gov"],
    ).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (4, 2, 1)
    bad = client.get(url, query_string={"per_page": 0}, headers=cluster["gov"])
    assert bad.status_code == 400


def test_exports(app, cluster) -> None:
    client = app.test_client()
    csv = client.get("/api/v1/dashboard/indicators.csv", query_string=MARCH, headers=cluster["gov"])
    assert csv.status_code == 200
    text = csv.get_data().decode("utf-8-sig")
    assert "DEFRA-2025" in text
    assert "一般工业固体废物综合利用率" in text
    assert "对价格指数(%)" in text.splitlines()[0]
    assert ",93.75," in next(line for line in text.splitlines() if "保留价" in line)
    xlsx = client.get(
        "/api/v1/dashboard/indicators/recycled_volume/records.xlsx",
        query_string=MARCH,
        headers=cluster["gov"],
    )
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "交易编号"
    assert rows[1][6] == 9_800_000
    assert client.get("/api/v1/dashboard/indicators.pdf", headers=cluster["gov"]).status_code == 404


def test_trend_by_week(app, cluster) -> None:
    resp = app.test_client().get(
        "/api/v1/dashboard/trend",
        query_string={**MARCH, "key": "recycled_volume", "bucket": "week"},
        headers=cluster["gov"],
    )
    points = resp.get_json()["points"]
    assert points[0] == {
        "from": "2026-03-01",
        "to": "2026-03-01",
        "value": None,
        "no_data": "本期无到货交易",
    }
    assert [p["value"] for p in points if p["value"]] == ["9.800"]  # the week of 03-02..03-08
    assert len(points) == 6


def test_government_cannot_write(app, cluster) -> None:
    resp = app.test_client().post("/api/v1/dashboard/indicators", headers=cluster["gov"])
    assert resp.status_code == 405
