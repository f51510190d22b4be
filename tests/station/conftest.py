"""A station with its staff, a factory delivering mixed plastic, a recycler buying the bales,
standard tares, sorting ratios, a location — and times to weigh at."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from station.models import RecordKind, Scale, ScaleProtocol, TareKind
from station.scales.registry import REGISTRY
from station.services import setup
from tests.factories import make_org, make_user

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Dongguan


def actor(user) -> Actor:
    return Actor(user.id, user.organization_id, user.organization.kind, user.role)


@pytest.fixture
def station(app, catalogue):
    org = make_org(OrgKind.STATION)
    operator = make_user(org, Role.OPERATOR)
    manager = make_user(org, Role.MANAGER)
    factory = make_org(OrgKind.PRODUCER)
    buyer = make_org(OrgKind.RECYCLER)
    db.session.commit()
    op = actor(operator)
    setup.add_tare(op, TareKind.VEHICLE, "粤S12345", Decimal("4200"), T0 - timedelta(days=30), None)
    setup.add_tare(op, TareKind.CONTAINER, "BOX-60", Decimal("2.5"), T0 - timedelta(days=30), None)
    setup.add_tare(op, TareKind.PALLET, "PLT-1210", Decimal("18"), T0 - timedelta(days=30), None)
    setup.add_tare(
        op,
        TareKind.PALLET,
        "PLT-OLD",
        Decimal("20"),
        T0 - timedelta(days=90),
        T0 - timedelta(days=1),
    )
    setup.add_ratio_set(
        op,
        "PL-MIXED",
        [
            {"label": "高值塑料", "grade": "PL-PP-REGRIND", "ratio": "0.85"},
            {"label": "二类纸", "grade": "PA-MIXED", "ratio": "0.12"},
            {"label": "损耗", "ratio": "0.03", "residue": True},
        ],
        T0 - timedelta(days=10),
    )
    setup.add_location(op, "A-01", "一号库位")
    platform = Scale(
        organization_id=org.id,
        name_zh="收料地磅",
        protocol=ScaleProtocol.XK3190,
        port="/dev/ttyUSB0",
        capacity_kg=60_000,
        division_g=100,
    )
    db.session.add(platform)
    record = setup.add_production_record(
        op,
        station_id=org.id,
        factory_id=factory.id,
        kind=RecordKind.OUTPUT,
        reference="WO-2611-301",
        grade="PL-MIXED",
        quantity=Decimal("400"),
        unit="箱",
        factor=Decimal("2.5"),
        factor_unit="箱",
        record_date=T0.date(),
    )
    db.session.commit()

    class Station:
        pass

    s = Station()
    s.org, s.operator, s.manager, s.factory, s.buyer = org, op, actor(manager), factory, buyer
    s.record, s.scale = record, platform
    return s


@pytest.fixture(autouse=True)
def _no_drivers_left():
    yield
    REGISTRY.close_all()  # the dashboard asks the registry, which starts a driver per scale


@pytest.fixture
def operator(app, station):
    """A test client signed in as the station's operator (shift leader), with its CSRF token."""
    from tests.station.pages import signed_in

    return signed_in(app, station.operator)


@pytest.fixture
def manager(app, station):
    from tests.station.pages import signed_in

    return signed_in(app, station.manager)


@pytest.fixture
def weigh(station):
    """A stable reading of the station's weighbridge (the driver tests read real frames)."""
    from station.services.weigh import Gross

    return lambda kg: Gross(Decimal(kg), station.scale.id, f"\x02+{kg}\x03".encode())
