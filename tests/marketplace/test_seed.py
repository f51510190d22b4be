"""The demo cluster: realistic, complete for every role, valid and deterministic."""

import sqlalchemy as sa

from core import uscc
from core.catalogue import Category, EmissionFactor
from core.db import db
from core.enums import OrgKind
from core.models import Cluster, Organization, User
from marketplace.fleet.models import Depot, Vehicle
from marketplace.profiles.models import RecyclerProfile, WasteStream
from marketplace.seed.services import DEMO_USERS, seed_demo
from station.models import Scale
from tests.conftest import empty_database

DONGGUAN = {"lat": (22.6, 23.2), "lon": (113.5, 114.3)}


def kinds() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Organization.kind, sa.func.count()).group_by(Organization.kind)
    )
    return {k.value: n for k, n in rows}


def test_demo_cluster_has_every_role(app, demo) -> None:
    counts = kinds()
    assert counts["producer"] >= 40
    assert counts["recycler"] >= 8
    assert counts["station"] >= 1
    assert counts["logistics"] >= 1
    assert counts["government"] >= 1
    assert counts["admin"] >= 1
    vehicles = db.session.scalars(
        sa.select(Vehicle).join(Organization).where(Organization.kind == OrgKind.LOGISTICS)
    ).all()
    assert len(vehicles) >= 6
    assert len({v.vehicle_type for v in vehicles}) >= 2
    assert any(v.hazmat_permit for v in vehicles)
    assert db.session.scalar(sa.select(sa.func.count(Depot.id))) >= 1
    station_ids = db.session.scalars(
        sa.select(Organization.id).where(Organization.kind == OrgKind.STATION)
    ).all()
    scales = db.session.scalars(
        sa.select(Scale).where(Scale.organization_id.in_(station_ids))
    ).all()
    assert len(scales) >= 1
    assert len({s.protocol for s in scales}) == len(scales)


def test_demo_users_one_per_role(app, demo) -> None:
    users = db.session.scalars(sa.select(User)).all()
    assert sorted(u.username for u in users) == sorted(u for u, _, _ in DEMO_USERS.values())
    assert {u.organization.kind.value for u in users} == {k.value for k in OrgKind}


def test_organisations_are_valid(app, demo) -> None:
    orgs = db.session.scalars(sa.select(Organization)).all()
    assert all(uscc.is_valid(o.uscc) for o in orgs)
    assert len({o.uscc for o in orgs}) == len(orgs)
    for o in orgs:
        assert DONGGUAN["lat"][0] < o.lat < DONGGUAN["lat"][1], o.legal_name
        assert DONGGUAN["lon"][0] < o.lon < DONGGUAN["lon"][1], o.legal_name
        assert o.sites, f"{o.legal_name} has no site"
        for site in o.sites:
            assert DONGGUAN["lat"][0] < site.lat < DONGGUAN["lat"][1], site.name
    producers = [o for o in orgs if o.kind is OrgKind.PRODUCER]
    assert all(o.industry_code[:1] == "C" for o in producers)  # manufacturing, GB/T 4754 section C
    assert len({o.industry_code for o in producers}) >= 10


def test_waste_streams_and_recycler_scopes_cover_the_catalogue(app, demo) -> None:
    streams = db.session.scalars(sa.select(WasteStream)).all()
    producers = {s.organization_id for s in streams}
    assert len(producers) == kinds()["producer"]
    families = {
        c.code for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None)))
    }
    covered = set()
    for profile in db.session.scalars(sa.select(RecyclerProfile)):
        assert profile.capacity_t_per_month > 0
        assert 0 < profile.haul_radius_km <= 300
        covered |= {(c.parent or c).code for c in profile.scope}
    assert covered == families
    hazardous = [s for s in streams if s.category.hazardous]
    licensed = set().union(
        *(set(p.hw_codes) for p in db.session.scalars(sa.select(RecyclerProfile)))
    )
    for stream in hazardous:  # someone in the cluster may legally take every hazardous stream
        assert set(stream.category.hw_codes) <= licensed, stream.category.code


def snapshot() -> list[tuple]:
    orgs = db.session.scalars(sa.select(Organization).order_by(Organization.legal_name)).all()
    return [
        (o.legal_name, o.uscc, o.kind.value, o.lat, o.lon, [(s.name, s.lat) for s in o.sites])
        for o in orgs
    ]


def test_seed_is_deterministic_and_idempotent(app, demo) -> None:
    first = snapshot()
    assert seed_demo() == {}  # already there: nothing to do
    assert snapshot() == first
    db.session.remove()
    with db.engine.begin() as conn:
        empty_database(conn)
    seed_demo()
    db.session.commit()
    assert snapshot() == first


def test_catalogue_families_grades_and_factors(app, catalogue) -> None:
    families = db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None))).all()
    assert {f.name_zh for f in families} == {
        "废钢铁",
        "废有色金属",
        "废塑料",
        "废纸",
        "废轮胎",
        "废弃电器电子产品",
        "报废机动车",
        "废旧纺织品",
        "废玻璃",
        "废电池",
    }
    for family in families:
        assert len(family.children) >= 3, family.code
    hazardous = db.session.scalars(sa.select(Category).where(Category.hazardous.is_(True))).all()
    assert hazardous
    assert all(c.hw_codes for c in hazardous)
    factors = {f.material: f for f in db.session.scalars(sa.select(EmissionFactor))}
    assert all(f.basis == "DEFRA-2025" for f in factors.values())
    for cat in db.session.scalars(sa.select(Category)):
        material = cat.effective_factor_material()
        assert material is None or material in factors


def test_seed_cli(app) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "producer=" in first.output
    again = runner.invoke(args=["seed", "demo"])
    assert "already present" in again.output
    assert db.session.scalar(sa.select(sa.func.count(Cluster.id))) == 1


def test_users_cli(app, demo) -> None:
    runner = app.test_cli_runner()
    org = db.session.scalar(sa.select(Organization).where(Organization.kind == OrgKind.RECYCLER))
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "--org",
            org.uscc,
            "--username",
            "Wang.Wu",
            "--name",
            "王五",
            "--role",
            "operator",
            "--password",
            "long enough pw",
        ]
    )
    assert ok.exit_code == 0, ok.output
    dup = runner.invoke(
        args=[
            "users",
            "create",
            "--org",
            org.uscc,
            "--username",
            "wang.wu",
            "--name",
            "王五",
            "--password",
            "long enough pw",
        ]
    )
    assert dup.exit_code != 0
    assert "username" in dup.output
    short = runner.invoke(args=["users", "set-password", "wang.wu", "--password", "short"])
    assert short.exit_code != 0
    assert "password" in short.output
    nobody = runner.invoke(
        args=[
            "users",
            "create",
            "--org",
            "999999",
            "--username",
            "x.y",
            "--name",
            "x",
            "--password",
            "long enough pw",
        ]
    )
    assert nobody.exit_code != 0


def test_demo_market_has_every_dql_level_with_evidence(app, demo, tmp_path) -> None:
    from core.storage import LocalFolderStore
    from core.time import utcnow
    from marketplace.lots.models import Evidence, EvidenceKind, Lot, LotStatus
    from marketplace.seed.market import seed_market

    store = LocalFolderStore(tmp_path / "evidence")
    made = seed_market(store, now=utcnow(), lots_per_stream=(1, 1))
    db.session.commit()
    assert made == db.session.scalar(sa.select(sa.func.count(WasteStream.id)))
    listed = db.session.scalars(sa.select(Lot).where(Lot.status == LotStatus.LISTED)).all()
    assert len(listed) > 0.7 * made
    assert {lot.dql for lot in listed} == {1, 2, 3, 4}
    assert {lot.family_code for lot in listed} == {
        c.code for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None)))
    }
    kinds = {e.kind for e in db.session.scalars(sa.select(Evidence))}
    assert kinds == set(EvidenceKind)
    some = db.session.scalars(sa.select(Evidence).limit(5)).all()
    assert all(store.exists(e.sha256) for e in some)
    assert seed_market(store, now=utcnow()) == 0  # once only


def test_demo_market_has_open_sales_and_funded_recyclers(app, demo, tmp_path) -> None:
    from core.storage import LocalFolderStore
    from core.time import utcnow
    from marketplace.seed.market import seed_market
    from marketplace.trading import escrow
    from marketplace.trading.models import Sale

    seed_market(LocalFolderStore(tmp_path / "ev"), now=utcnow(), lots_per_stream=(1, 1))
    db.session.commit()
    modes = {s.mode.value for s in db.session.scalars(sa.select(Sale))}
    assert modes <= {"ascending", "sealed_second", "fixed"}
    assert "ascending" in modes
    recycler = db.session.scalar(
        sa.select(Organization.id).where(Organization.kind == OrgKind.RECYCLER)
    )
    assert escrow.balances(recycler)["available"] == 20_000_000


def test_ninety_days_of_trading_history(app, demo, tmp_path) -> None:
    from statistics import mean

    from core.storage import LocalFolderStore
    from core.time import utcnow
    from marketplace.seed.history import seed_history
    from marketplace.trading import ledger
    from marketplace.trading.index import weekly
    from marketplace.trading.models import (
        Certificate,
        Dispute,
        LedgerAccount,
        LedgerPosting,
        Trade,
        TradeStatus,
    )
    from marketplace.trading.prices import cleared

    now = utcnow()
    made = seed_history(LocalFolderStore(tmp_path / "evidence"), now=now)
    db.session.commit()
    assert made >= 60
    statuses = dict(
        db.session.execute(sa.select(Trade.status, sa.func.count()).group_by(Trade.status)).all()
    )
    assert statuses[TradeStatus.CLOSED] >= 40
    assert TradeStatus.SETTLED in statuses
    assert (
        db.session.scalar(sa.select(sa.func.count(Certificate.id))) == statuses[TradeStatus.CLOSED]
    )
    assert db.session.scalar(sa.select(sa.func.count(Dispute.id))) >= 3
    oldest = db.session.scalar(sa.select(sa.func.min(Trade.created_at)))
    assert (now - oldest).days >= 80
    points = weekly(cleared("PA-OCC"))
    assert len(points) >= 8
    early, late = points[:3], points[-3:]
    assert mean(p.price_fen_per_t for p in early) > mean(p.price_fen_per_t for p in late)
    balances = {
        (a.organization_id, a.bucket): a.balance_fen
        for a in db.session.scalars(sa.select(LedgerAccount))
    }
    external = db.session.scalar(
        sa.select(sa.func.sum(LedgerPosting.amount_fen)).where(
            LedgerPosting.organization_id.is_(None)
        )
    )
    balances[ledger.EXTERNAL] = external
    ledger.check_invariants(balances, -external, 0)
    assert seed_history(LocalFolderStore(tmp_path / "evidence"), now=now) == 0


def test_thirty_days_of_the_demo_station(app, demo) -> None:
    """The demo station ran 30 days through the services: every stage, weekly loads paid
    from escrow, the anomalies the seed plants, and alerts in different states."""
    from zoneinfo import ZoneInfo

    from core.time import utcnow
    from marketplace.seed.station import seed_station
    from station.models import Alert, OutboundLoad, StockMove, Weighing
    from station.models.flow import Stage

    now = utcnow()
    made = seed_station(now=now)  # its speed: `flask seed demo` prints it; no timed test
    db.session.commit()
    assert made > 500
    assert seed_station(now=now) == 0  # once only
    days = {
        w.created_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
        for w in db.session.scalars(sa.select(Weighing))
    }
    assert len(days) == 30
    stages = set(db.session.scalars(sa.select(Weighing.stage).distinct()))
    assert stages == set(Stage)
    anomalies = db.session.scalars(
        sa.select(Weighing).where(Weighing.result == "anomaly", Weighing.stage == Stage.RECEIVE)
    ).all()
    assert {w.sign for w in anomalies} == {"shortfall", "excess"}
    assert db.session.scalar(sa.select(sa.func.count()).where(Weighing.manual, ~Weighing.total))
    assert db.session.scalar(sa.select(sa.func.count()).where(Weighing.replaces_id.is_not(None)))
    measured = [
        w
        for w in db.session.scalars(sa.select(Weighing).where(Weighing.stage == Stage.RECEIVE))
        if any(t["ref"] == "粤S66629" for t in w.tares)
    ]
    assert measured  # the truck whose standard tare expired was weighed with a measured tare
    states = set(db.session.scalars(sa.select(Alert.state).distinct()))
    assert {"open", "acknowledged", "filed", "resolved", "escalated"} <= states
    repeat = db.session.scalar(sa.select(Alert).where(Alert.reason.like("%repeat%")))
    assert repeat is not None
    assert repeat.base_tier == 1
    assert repeat.tier == 3  # raised to 2 by the repeat rule, escalated to 3 when not handled
    assert db.session.scalar(sa.select(sa.func.count(OutboundLoad.id))) == 4
    assert db.session.scalar(sa.select(sa.func.count()).where(StockMove.kind == "adjust")) == 1
    from core.auth import Actor
    from core.enums import Role
    from station import reports as pure
    from station.services import reports

    station = db.session.scalar(
        sa.select(Organization).join(User).where(User.username == "demo-station")
    )
    reader = Actor(None, station.id, OrgKind.STATION, Role.VIEWER)
    for day in sorted(days):
        balance = reports.inventory(reader, day, "Asia/Shanghai")
        assert pure.residual(balance) == 0, day
        assert not [row for row in balance if row.flagged], day
    assert any(
        row.adjust_kg for day in days for row in reports.inventory(reader, day, "Asia/Shanghai")
    )
    disposal = reports.disposal(
        reader, first=min(days), last=max(days), period=pure.Period.MONTH, tz="Asia/Shanghai"
    )
    assert sum(row.anomalies for row in disposal) >= 5
    assert all(0.9 < row.recovery_rate < 1 for row in disposal if row.received_kg > 5000)
