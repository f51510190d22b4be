"""A producer at 长安 with listed OCC lots, three licensed paper recyclers at 麻涌 (~35 km), one
with a 10 km radius, one metal recycler, one recycler without a licence; helpers to log history."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.time import utcnow
from marketplace.recommend.models import Impression
from marketplace.trading.models import Bid
from tests.factories import bearer, make_org, make_user
from tests.marketplace.conftest import add_site, archive
from tests.marketplace.trading.conftest import admin, licensed_recycler  # noqa: F401 (fixture)

GRADES = ("PA-OCC", "PA-CORR-EDGE")


@pytest.fixture
def paper(app, catalogue):
    """Three paper recyclers that can take the producer's lots."""
    return [licensed_recycler(f"麻涌纸厂{i}", 23.04, 113.58 + i * 0.01) for i in range(3)]


@pytest.fixture
def near_only(app, catalogue):
    return licensed_recycler("麻涌小厂", 23.05, 113.59, radius=10)


@pytest.fixture
def metal(app, catalogue):
    return licensed_recycler("虎门金属", 22.82, 113.68, families=("FE",))


@pytest.fixture
def unlicensed(app, catalogue):
    org = make_org(OrgKind.RECYCLER)
    add_site(org, "无证回收点", 22.82, 113.70)
    user = make_user(org, Role.MANAGER)
    user.headers = bearer(user)
    return user


def list_lots(client, producer, n: int) -> list[dict]:
    """`n` listed lots alternating two paper grades, 5–14 t."""
    out = []
    for i in range(n):
        body = archive(
            producer.site.id,
            grade=GRADES[i % 2],
            title=f"测试纸品{i}",
            quantity_t=str(5 + i % 10),
        )
        del body["package_count"], body["unit_weight_kg"]
        lot = client.post("/api/v1/lots", json=body, headers=producer.headers)
        assert lot.status_code == 201, lot.json
        published = client.post(f"/api/v1/lots/{lot.json['id']}/publish", headers=producer.headers)
        assert published.status_code == 200, published.json
        out.append(lot.json)
    return out


def log_history(lots: list[dict], buyers: list, bidders: dict[int, set[int]]) -> None:
    """Every buyer was shown every lot on its home; `bidders[buyer index]` = lot indexes bid on."""
    start = utcnow() - timedelta(days=30)
    for j, lot in enumerate(lots):
        for b, user in enumerate(buyers):
            at = start + timedelta(hours=j * 5 + b)
            db.session.add(
                Impression(
                    buyer_org_id=user.organization_id,
                    lot_id=lot["id"],
                    shown_to_org_id=user.organization_id,
                    surface="home",
                    position=b,
                    score=0.0,
                    method="fallback",
                    shown_at=at,
                )
            )
            if j in bidders.get(b, set()):
                db.session.add(
                    Bid(
                        lot_id=lot["id"],
                        organization_id=user.organization_id,
                        amount_fen=160_000,
                        lot_version=1,
                        placed_at=at + timedelta(minutes=30),
                    )
                )
    db.session.commit()


@pytest.fixture
def history(client, producer, paper):
    """12 lots shown to the three paper recyclers; the first bids on OCC, the second on edges."""
    lots = list_lots(client, producer, 12)
    log_history(lots, paper, {0: set(range(0, 12, 2)), 1: set(range(1, 12, 2)) | {0}})
    return lots


def impressions(**where) -> list[Impression]:
    stmt = sa.select(Impression).order_by(Impression.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(Impression, key) == value)
    return list(db.session.scalars(stmt))
