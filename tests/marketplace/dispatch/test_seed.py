"""The demo dispatcher's day: planned from the demo market, published, drivers on the used
trucks, sensors in place; a second run adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from core.storage import LocalFolderStore
from core.time import utcnow
from marketplace.dispatch.models import FillSensor, RoutePlan, VehicleDriver
from marketplace.seed.dispatch import seed_dispatch
from marketplace.seed.market import seed_market


def test_demo_day_is_planned_and_published(app, demo, tmp_path) -> None:
    seed_market(LocalFolderStore(tmp_path / "ev"), now=utcnow(), lots_per_stream=(1, 1))
    stops = seed_dispatch(now=utcnow())
    db.session.commit()
    assert stops >= 20
    plan = db.session.scalar(sa.select(RoutePlan))
    assert plan.state == "published"
    assert plan.valid
    assert plan.kpis["km_saving"] >= 0.25  # the goal for consolidation
    used = {s.vehicle_id for s in plan.stops}
    drivers = {d.vehicle_id for d in db.session.scalars(sa.select(VehicleDriver))}
    assert drivers == used or (len(used) > 3 and len(drivers) == 3)
    assert db.session.scalar(sa.select(sa.func.count(FillSensor.id))) == 4
    assert seed_dispatch(now=utcnow()) == 0
