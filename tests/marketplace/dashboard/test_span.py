"""Reading several periods at once (`span.load_many`) gives each period exactly the records that
reading it alone (`sources.load`) gives, on both databases: the trend and the previous-period
column depend on it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core.db import db
from marketplace.dashboard import indicators, market, sources, span
from marketplace.dashboard.api import buckets
from marketplace.dashboard.records import Period
from station.models.flow import Stage, Weighing
from tests.marketplace.dashboard.test_api import cluster  # noqa: F401  (fixture)

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def _same(a, b) -> None:
    """The summed read and the records read agree: the market's facts and every other source."""
    for name in ("weighings", "trips", "reports", "orgs"):
        assert sorted(map(repr, getattr(a, name))) == sorted(map(repr, getattr(b, name))), name
    assert a.period == b.period
    assert a.market == market.summarise(b.period, b.trades, b.lots)


@pytest.fixture
def reweighed_later(app, cluster):  # noqa: F811
    """A reading on 03-06 replaced on 03-20: only the replacement counts, in March and by week
    (a 复称 corrects the record: the replaced reading leaves its own day, as on the drill-down)."""
    station = db.session.scalar(sa.select(Weighing.station_id).limit(1))
    first = Weighing(
        station_id=station,
        stage=Stage.RECEIVE,
        gross_g=3_500_000,
        net_g=3_000_000,
        result="anomaly",
        created_at=datetime(2026, 3, 6, 5, tzinfo=UTC),
    )
    db.session.add(first)
    db.session.flush()
    db.session.add(
        Weighing(
            station_id=station,
            stage=Stage.RECEIVE,
            gross_g=3_200_000,
            net_g=2_700_000,
            result="normal",
            created_at=datetime(2026, 3, 20, 5, tzinfo=UTC),
            replaces_id=first.id,
        )
    )
    db.session.commit()
    return cluster


@pytest.mark.parametrize(("kind", "ident"), [("cluster", None), ("org", "p"), ("material", "PA")])
def test_many_periods_equal_one_by_one(app, reweighed_later, kind, ident) -> None:
    if ident == "p":
        ident = str(reweighed_later["p"].id)
    scope = sources.resolve_scope(kind, ident)
    weeks = buckets(Period(date(2026, 2, 15), date(2026, 3, 31)), "week")
    for periods in (weeks, [MARCH, sources.previous(MARCH)]):
        together = span.load_many(periods, scope)
        for p, recs in zip(periods, together, strict=True):
            alone = sources.load(p, scope)
            _same(recs, alone)
            assert indicators.compute(recs) == indicators.compute(alone)
    march = span.load_many([MARCH], scope)[0]
    if kind == "cluster":
        assert sum(w.count for w in march.weighings) == 4  # 6 readings, 2 replaced in March
        assert sum(sum(w.count for w in r.weighings) for r in span.load_many(weeks, scope)) == 4


@pytest.fixture
def busy_market(app, catalogue):
    """Eighty random lots and trades over February and March with stamps on the periods'
    bounds, cancellations, disputes, unweighed deliveries, buyers outside the cluster, sales
    without a reserve, and pickups confirmed by drivers (one lot collected twice)."""
    import random
    from datetime import timedelta

    from core.catalogue import Category
    from core.enums import OrgKind
    from core.models import Cluster, Site
    from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop
    from marketplace.fleet.models import Vehicle
    from marketplace.trading.auction import SaleMode
    from marketplace.trading.models import Dispute, DisputeKind, Sale, TradeStatus
    from tests.factories import closed_lot, make_org, trade_of

    rng = random.Random(7)
    home, away = (
        Cluster(code="DG", name_zh="东莞", name_en="Dongguan"),
        Cluster(code="SZ", name_zh="深圳", name_en="Shenzhen"),
    )
    db.session.add_all([home, away])
    db.session.flush()
    producers = [make_org(OrgKind.PRODUCER, cluster_id=home.id) for _ in range(3)]
    buyers = [make_org(OrgKind.RECYCLER, cluster_id=c.id) for c in (home, home, away)]
    station = make_org(OrgKind.STATION, cluster_id=home.id)
    haulier = make_org(OrgKind.LOGISTICS, cluster_id=home.id)
    sites = [
        Site(organization=p, name="厂", address="长安", lat=22.8, lon=113.8) for p in producers
    ]
    db.session.add_all(sites)
    cats = list(db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None))))
    truck = Vehicle(
        organization=haulier,
        plate="粤S12345",
        vehicle_type="truck",
        type_zh="货车",
        capacity_kg=10_000,
        capacity_m3=30,
    )
    plan = RoutePlan(organization_id=haulier.id, day=date(2026, 3, 1), state="published")
    db.session.add_all([truck, plan])
    db.session.flush()
    edges = [
        b
        for p in buckets(Period(date(2026, 1, 20), date(2026, 4, 10)), "week")
        for b in span.utc_bounds(p)
    ]

    def stamp(after):
        if rng.random() < 0.25:
            later = [e for e in edges if e >= after]
            if later:
                return rng.choice(later[:3])
        return after + timedelta(minutes=rng.randrange(1, 20_000))

    closed_lots: list[int] = []
    for n in range(80):
        i = rng.randrange(3)
        cat = rng.choice(cats)
        seller = producers[i] if n % 9 else station
        listed = stamp(datetime(2026, 1, 25, tzinfo=UTC))
        lot = closed_lot(seller.id, sites[i].id, cat, rng.randrange(1, 20) * 500_000, listed)
        closed_sale = stamp(listed)
        db.session.add(
            Sale(
                lot_id=lot.id,
                mode=SaleMode.ASCENDING,
                deadline=closed_sale,
                closed_at=closed_sale,
                reserve_fen=rng.choice([None, 0, 120_000, 150_000]),
            )
        )
        if rng.random() < 0.2:
            continue  # unsold
        created = stamp(closed_sale)
        delivered = stamp(created) if rng.random() < 0.85 else None
        settled = stamp(delivered) if delivered and rng.random() < 0.8 else None
        trade = trade_of(
            lot,
            rng.choice(buyers).id,
            rng.randrange(80_000, 200_000),
            created,
            status=TradeStatus.CANCELLED if rng.random() < 0.1 else TradeStatus.CLOSED,
            net_g=lot.quantity_g + rng.randrange(-90_000, 90_000) if rng.random() < 0.7 else None,
            delivered_at=delivered,
            settled_at=settled,
            closed_at=stamp(settled) if settled and rng.random() < 0.7 else None,
            end_use_kind=rng.choice(["recycling", "disposal", "energy", None]),
        )
        if settled:  # paid in full: the settled trades make the grades' weekly index
            trade.settled_fen = trade.price_fen_per_t * trade.quantity_g // 1_000_000
        db.session.flush()
        if trade.closed_at is not None:
            closed_lots.append(lot.id)
        if rng.random() < 0.15:
            db.session.add(
                Dispute(
                    trade_id=trade.id, kind=DisputeKind.WEIGHT, claim_fen=100, description="磅差"
                )
            )
        for k in range(0 if rng.random() < 0.5 else 1 if n % 7 else 2):
            req = PickupRequest(
                source="trade",
                source_id=trade.id,
                trade_id=trade.id,
                day=created.date() + timedelta(days=k),
                organization_id=seller.id,
                site_name="厂",
                lat=22.8,
                lon=113.8,
                kg=1,
                m3=1,
                window_start_s=0,
                window_end_s=86_400,
            )
            db.session.add(req)
            db.session.flush()
            db.session.add(
                RouteStop(
                    plan_id=plan.id,
                    vehicle_id=truck.id,
                    seq=n,
                    request_id=req.id,
                    confirmed_at=stamp(created),
                )
            )
    _chains(closed_lots)
    db.session.commit()
    return {"producer": producers[0].id, "outside": buyers[2].id}


STEP_SPELLINGS = (
    "https://ref.gs1.org/cbv/BizStep-{}",  # EPCIS 2.0, as the platform writes it
    "{}",  # the bare word a capture may send
    "urn:epcglobal:cbv:bizstep:{}",  # EPCIS 1.x URN: not one of the four as the dashboard reads
)


def _chains(lots: list[int]) -> None:
    """Passport chains for closed lots as their rows are stored (the dashboard reads only the
    lot and each event's business step): some complete, some missing a step, some spelled in
    the old URN form, some lots with none."""
    import random

    from marketplace.dashboard.sources import PASSPORT_STEPS, passport_id
    from passport.models import PassportChainEntry, PassportEvent

    rng, n = random.Random(8), 0
    for lot in lots:
        if rng.random() < 0.2:
            continue  # no chain at all
        steps = [s for s in PASSPORT_STEPS if rng.random() < 0.85] + ["inspecting"]
        for seq, step in enumerate(steps, start=1):
            n += 1
            spelled = rng.choice(STEP_SPELLINGS).format(step)
            event = PassportEvent(
                replay_key=f"k{n}",
                event_id=f"e{n}",
                hash=f"{n:064x}",
                canonical="{}",
                type="ObjectEvent",
                event_time=datetime(2026, 3, 1, tzinfo=UTC),
                record_time=datetime(2026, 3, 1, tzinfo=UTC),
                biz_step=spelled,
            )
            db.session.add(event)
            db.session.flush()
            db.session.add(
                PassportChainEntry(
                    lot=passport_id(lot),
                    seq=seq,
                    event_pk=event.id,
                    event_hash=event.hash,
                    prev="0" * 64,
                    hash=f"{n:064x}",
                    log_index=n,
                )
            )


@pytest.mark.parametrize(
    ("kind", "ident"),
    [("cluster", None), ("material", "PA"), ("org", "producer"), ("org", "outside")],
)
def test_market_facts_in_sql_equal_the_records_summed(app, busy_market, kind, ident) -> None:
    scope = sources.resolve_scope(kind, str(busy_market.get(ident, ident)) if ident else None)
    weeks = buckets(Period(date(2026, 1, 26), date(2026, 4, 5)), "week")
    months = buckets(Period(date(2026, 2, 1), date(2026, 3, 31)), "month")
    for periods in (weeks, months, [MARCH, sources.previous(MARCH)]):
        for p, recs in zip(periods, span.load_many(periods, scope), strict=True):
            alone = sources.load(p, scope)
            assert recs.market == market.summarise(p, alone.trades, alone.lots), p
    facts = span.load_many([Period(date(2026, 1, 1), date(2026, 4, 30))], scope)[0].market
    if kind == "cluster":  # the fixture reaches every fact
        for name in ("delivered", "reserved", "lead_by_delivery", "indexed"):
            assert getattr(facts, name), name
        assert facts.lead.n > 20
        assert facts.settle.n > 20
        assert facts.generated_weighed
        assert facts.sales_sold
        assert 0 < facts.closed_complete < facts.closed
        assert any(g.disputed for g in facts.delivered)
        assert any(not g.buyer_in_cluster for g in facts.delivered)


def _behind(r, f: dict) -> set[int]:
    """The records a drill-down lists, filtered from the period's records as the figure
    counts them (the reference for the paging in SQL)."""
    from marketplace.dashboard.figures import delivered, utilised

    _in = market.in_period

    if "sale_closed" in f:
        return {x.id for x in r.lots if _in(r.period, x.sale_closed_at)}
    if f.get("delivered"):
        return {t.id for t in delivered(r) if f.get("all") or utilised(t)}
    stamp = {
        "picked_up": lambda t: t.picked_up_at or t.delivered_at,
        "closed": lambda t: t.closed_at,
        "settled": lambda t: t.settled_at,
        "reserve": lambda t: t.created_at if t.reserve_fen_per_t else None,
    }[next(iter(f))]
    return {t.id for t in r.trades if _in(r.period, stamp(t))}


@pytest.mark.parametrize(("kind", "ident"), [("cluster", None), ("material", "PA")])
def test_drill_down_pages_in_sql_list_what_the_figure_counts(app, busy_market, kind, ident) -> None:
    from marketplace.dashboard import drill

    scope = sources.resolve_scope(kind, ident)
    filled: set[str] = set()
    for p in (MARCH, Period(date(2026, 2, 16), date(2026, 2, 22))):
        alone = sources.load(p, scope)
        for key in indicators.KEYS:
            fig = indicators.FORMULAS[key](alone)
            if fig.records.kind not in ("trades", "lots") or not fig.records.filters:
                continue
            seen, page = [], 1
            while True:
                items, total = drill.market_rows(p, scope, fig.records, page, 7)
                seen += [x["id"] for x in items]
                if not items:
                    break
                page += 1
            assert len(seen) == len(set(seen)) == total, key
            assert set(seen) == _behind(alone, fig.records.filters), (key, p)
            filled |= {next(iter(fig.records.filters))} if seen else set()
    assert filled == {"delivered", "picked_up", "closed", "settled", "reserve", "sale_closed"}
