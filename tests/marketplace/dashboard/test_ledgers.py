"""The flows and the statutory ledgers from real rows, on SQLite and PostgreSQL.

One small month, hand-counted:
- factory P lists L1 (FE-HMS, 10 t) and sells it to recycler R: delivered, weighbridge 9.8 t,
  end use 炼钢; lists L2 (hazardous, HW08, drums, 2 t) and sells it to R: not yet weighed, so
  the declared 2 t; a third trade was cancelled and moved nothing;
- station S weighs P's delivery in: 3.6 t, corrected by a 复称 to 3.5 t (only the latest
  counts), plus a stage total (not a scale reading).
So the flows are 3.5 t weighed (P→S) + 9.8 t weighed (P→R) + 2 t declared (P→R).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.models import Site
from marketplace.dashboard import flowgraph, flows, ledgers
from marketplace.lots.models import Form, Lot, LotVersion, QuantityBasis
from marketplace.trading.models import Trade, TradeStatus
from station.models import Stage, Weighing
from tests.factories import bearer, make_org, make_user

T = 1_000_000
AT = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Dongguan
PERIOD = flows.local_period(date(2026, 3, 1), date(2026, 3, 31), "Asia/Shanghai")
QUERY = "from=2026-03-01&to=2026-03-31"


def _lot(org, site, code, grams, *, hazardous=False, form=Form.BALE, hw=()):
    category = db.session.query(Category).filter_by(code=code).one()
    lot = Lot(
        organization_id=org.id,
        site_id=site.id,
        title=f"{code} 批次",
        category_id=category.id,
        family_code=code[:2],
        dql=3,
        quantity_g=grams,
        lat=site.lat,
        lon=site.lon,
        hazardous=hazardous,
        created_at=AT,
    )
    db.session.add(lot)
    db.session.flush()
    db.session.add(
        LotVersion(
            lot_id=lot.id,
            number=1,
            site_id=site.id,
            category_id=category.id,
            title=lot.title,
            quantity_g=grams,
            quantity_basis=QuantityBasis.ESTIMATED,
            form=form,
            dql=3,
            hazardous=hazardous,
            hw_codes=list(hw),
        )
    )
    return lot


def _trade(lot, seller, buyer, **values):
    trade = Trade(
        lot_id=lot.id,
        seller_id=seller.id,
        buyer_id=buyer.id,
        price_fen_per_t=150_000,
        quantity_g=lot.quantity_g,
        lot_version=1,
        created_at=AT,
        **values,
    )
    db.session.add(trade)
    db.session.flush()
    return trade


def _weighing(station, factory, net, **values):
    category = db.session.query(Category).filter_by(code="FE-HMS").one()
    w = Weighing(
        station_id=station.id,
        stage=Stage.RECEIVE,
        category_id=category.id,
        factory_id=factory.id,
        gross_g=net + 50_000,
        net_g=net,
        result="normal",
        created_at=AT,
        **values,
    )
    db.session.add(w)
    db.session.flush()
    return w


@pytest.fixture
def month(app, catalogue):
    p = make_org(OrgKind.PRODUCER, legal_name="东莞测试五金制品有限公司")
    other = make_org(OrgKind.PRODUCER)
    r = make_org(OrgKind.RECYCLER, legal_name="=HYPERLINK(1) 再生资源有限公司")
    s = make_org(OrgKind.STATION)
    site = Site(organization=p, name="一厂", address="一厂地址", lat=22.81, lon=113.80)
    db.session.add(site)
    db.session.flush()
    l1 = _lot(p, site, "FE-HMS", 10 * T)
    l2 = _lot(p, site, "FE-HMS", 2 * T, hazardous=True, form=Form.DRUM, hw=["HW08"])
    l3 = _lot(p, site, "FE-HMS", 1 * T)
    t1 = _trade(
        l1, p, r, status=TradeStatus.DELIVERED, net_g=9_800_000, delivered_at=AT, end_use="炼钢"
    )
    t2 = _trade(l2, p, r)
    _trade(l3, p, r, status=TradeStatus.CANCELLED)
    first = _weighing(s, p, 3_600_000)
    _weighing(s, p, 3_500_000, replaces_id=first.id)
    _weighing(s, p, 3_500_000, total=True)
    db.session.commit()
    return {"p": p, "other": other, "r": r, "s": s, "t1": t1, "t2": t2}


def test_flows_weighed_first_declared_when_unweighed(month) -> None:
    found = flows.flows(PERIOD)
    got = sorted((f.source, f.target, f.grams, f.basis) for f in found)
    p, r, s = month["p"].id, month["r"].id, month["s"].id
    assert got == sorted(
        [(p, s, 3_500_000, "weighed"), (p, r, 9_800_000, "weighed"), (p, r, 2 * T, "declared")]
    )
    picture = flowgraph.sankey(found, flows.nodes(found))
    assert picture["weighed_t"] == 13.3
    assert picture["declared_t"] == 2.0
    assert flows.flows(PERIOD, org_id=month["other"].id) == []


def test_solid_waste_ledger(month) -> None:
    ledger = ledgers.solid_waste(month["p"].id, PERIOD)
    rows = [(r["step"], r["quantity_kg"], r["basis"], r["receiver_uscc"]) for r in ledger.rows]
    assert sorted(rows) == sorted(
        [
            ("产生", Decimal(10_000), "申报量（未过磅）", ""),
            ("产生", Decimal(1_000), "申报量（未过磅）", ""),  # the cancelled lot was generated
            ("送回收站", Decimal(3_500), "过磅净重", month["s"].uscc),
            ("委托利用", Decimal(9_800), "过磅净重", month["r"].uscc),
        ]
    )
    used = next(r for r in ledger.rows if r["step"] == "委托利用")
    assert used["utilisation"] == "炼钢"
    assert used["category_code"] == "SW17"


def test_manifest_of_the_hazardous_lot(month) -> None:
    ledger = ledgers.manifests(month["p"].id, PERIOD)
    assert len(ledger.rows) == 1
    row = ledger.rows[0]
    assert row["reference"] == f"T{month['t2'].id}"
    assert (row["hw_codes"], row["quantity_kg"], row["basis"]) == (
        "HW08",
        Decimal(2000),
        "申报量（未过磅）",
    )
    assert (row["state"], row["packaging"]) == ("固态", "桶装")
    assert row["shipper_uscc"] == month["p"].uscc
    assert row["manifest_no"] == ""  # issued by the national system, not known here
    headers = {c.key: c.header for c in ledgers.MANIFEST_COLUMNS}
    assert "平台无此数据" in headers["manifest_no"]


def test_a_factory_exports_its_own_ledger_only(month, client) -> None:
    me = make_user(month["p"], Role.VIEWER)
    response = client.get(
        f"/api/v1/dashboard/ledgers/solid-waste?{QUERY}&format=csv", headers=bearer(me)
    )
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][0] == "日期"
    assert len(table) == 1 + 4
    assert any(cell.startswith("'=HYPERLINK") for row in table for cell in row)  # escaped
    other = client.get(
        f"/api/v1/dashboard/ledgers/manifests?{QUERY}&org={month['other'].id}", headers=bearer(me)
    )
    assert other.status_code == 403
    recycler = make_user(month["r"])
    assert (
        client.get(
            f"/api/v1/dashboard/ledgers/solid-waste?{QUERY}", headers=bearer(recycler)
        ).status_code
        == 403
    )


def test_government_reads_any_factory(month, client) -> None:
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    url = f"/api/v1/dashboard/ledgers/manifests?{QUERY}&org={month['p'].id}"
    body = client.get(url, headers=bearer(gov)).json
    assert [r["reference"] for r in body["rows"]] == [f"T{month['t2'].id}"]
    xlsx = client.get(url + "&format=xlsx", headers=bearer(gov))
    assert xlsx.status_code == 200
    assert xlsx.data[:2] == b"PK"
    missing = client.get(f"/api/v1/dashboard/ledgers/manifests?{QUERY}", headers=bearer(gov))
    assert missing.status_code == 422
    assert "org" in missing.json["error"]["fields"]
    not_factory = client.get(
        f"/api/v1/dashboard/ledgers/manifests?{QUERY}&org={month['r'].id}", headers=bearer(gov)
    )
    assert not_factory.status_code == 422
    bad = client.get(
        "/api/v1/dashboard/ledgers/manifests?from=2026-03-31&to=2026-03-01", headers=bearer(gov)
    )
    assert bad.status_code == 422


def test_flows_api_scoped_to_own_organisation(month, client) -> None:
    outsider = make_user(month["other"])
    body = client.get(f"/api/v1/dashboard/flows?{QUERY}", headers=bearer(outsider)).json
    assert body["records"] == 0
    peek = client.get(
        f"/api/v1/dashboard/flows?{QUERY}&org={month['p'].id}", headers=bearer(outsider)
    )
    assert peek.status_code == 403
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    body = client.get(f"/api/v1/dashboard/flows?{QUERY}", headers=bearer(gov)).json
    assert body["records"] == 3
    bridges = [n["id"] for n in body["network"]["bridge_enterprises"]]
    assert bridges == [month["p"].id]  # P links the station and the recycler
    records = client.get(f"/api/v1/dashboard/flows/records?{QUERY}&format=csv", headers=bearer(gov))
    assert records.status_code == 200
    assert "过磅净重" in records.get_data(as_text=True)


def test_esg_summary_lists_the_year_certificates(month, client) -> None:
    from marketplace.trading.models import Certificate
    from tests.factories import login

    body = {
        "category": {"name": "重废钢"},
        "net_kg": "9800.000",
        "seller": {"name": "P"},
        "buyer": {"name": "R"},
        "end_use": {"description": "炼钢"},
    }
    db.session.add(
        Certificate(
            trade_id=month["t1"].id,
            number="HL-2026-000001",
            code="ABCDEFGH",
            issued_at=AT,
            body=body,
            sha256="0" * 64,
        )
    )
    db.session.commit()
    user = make_user(month["r"])
    login(client, user.username)
    page = client.get("/dashboard/mine/esg?year=2026").get_data(as_text=True)
    assert "HL-2026-000001" in page
    assert "9800.000" in page
    assert "本年度暂无再生利用证明" in client.get("/dashboard/mine/esg?year=2025").get_data(
        as_text=True
    )
    bad = client.get("/dashboard/mine/esg?year=1999")
    assert bad.status_code == 422


def test_flows_of_one_family_and_the_network_table(month, client) -> None:
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    steel = client.get(f"/api/v1/dashboard/flows?{QUERY}&family=FE", headers=bearer(gov)).json
    assert steel["records"] == 3
    paper = client.get(f"/api/v1/dashboard/flows?{QUERY}&family=PA", headers=bearer(gov)).json
    assert paper["records"] == 0
    bad = client.get(f"/api/v1/dashboard/flows?{QUERY}&family=steel", headers=bearer(gov))
    assert bad.status_code == 422
    assert "family" in bad.json["error"]["fields"]
    table = client.get(f"/api/v1/dashboard/flows?{QUERY}&format=csv", headers=bearer(gov))
    rows = list(csv.reader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["企业", "类型", "合作方数"]
    first = rows[1]  # the heaviest first: P, 15.3 t with two partners, a bridge enterprise
    assert first[0] == month["p"].legal_name
    assert (first[2], first[3], first[5]) == ("2", "15.3", "是")
