"""Seeding for `benchmarks/dashboard.py`: a year of a large cluster by bulk inserts (Core
executemany, COPY), not the services — the rows are the columns the services write."""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from benchmarks.common import _org_row

FAMILY_GRADES = ("PA", "PL", "FE", "NF", "GL")


def seed(app: Any, args: argparse.Namespace, rng: random.Random) -> dict[str, Any]:
    """Write the cluster; returns the ids the measurement needs."""
    from core.catalogue import Category
    from core.db import db
    from core.models import Cluster, Organization, Park, Site
    from marketplace.dashboard.models import OrgMonthReport
    from marketplace.dispatch.models import PickupRequest, RoutePlan, RouteStop
    from marketplace.fleet.models import Vehicle
    from marketplace.lots.models import Lot, LotStatus
    from marketplace.seed.services import seed_reference_data
    from marketplace.trading.models import Sale, Trade

    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=365)
    span = int((end - start).total_seconds())
    with app.app_context():
        seed_reference_data()
        db.session.commit()
        conn = db.session.connection()
        cid = conn.execute(
            sa.insert(Cluster).values(code="DG", name_zh="东莞", name_en="Dongguan")
        ).inserted_primary_key[0]
        parks = [
            conn.execute(
                sa.insert(Park).values(
                    cluster_id=cid,
                    code=f"P{i}",
                    name_zh=f"园区{i}",
                    name_en=f"Park {i}",
                    division_code="441900",
                    lat=22.8,
                    lon=113.8,
                )
            ).inserted_primary_key[0]
            for i in range(5)
        ]
        n = args.orgs
        kinds = ["recycler"] * (n // 5) + ["station"] * (n // 20) + ["logistics"] * (n // 20)
        kinds += ["producer"] * (n - len(kinds))
        rows = []
        for i, kind in enumerate(kinds):
            row = _org_row(i, kind, rng)
            row.update(cluster_id=cid, park_id=parks[i % 5])
            rows.append(row)
        conn.execute(sa.insert(Organization), rows)
        orgs = conn.execute(sa.select(Organization.id, Organization.kind)).all()
        by_kind: dict[str, list[int]] = {}
        for oid, kind in orgs:
            by_kind.setdefault(str(kind), []).append(oid)
        conn.execute(
            sa.insert(Site),
            [
                {
                    "organization_id": o,
                    "name": "一厂",
                    "address": "东莞",
                    "lat": 22.8,
                    "lon": 113.8,
                    "loading": [],
                }
                for o in by_kind["producer"] + by_kind["station"]
            ],
        )
        site_of = dict(conn.execute(sa.select(Site.organization_id, Site.id)).all())
        grades = [
            (c.id, c.parent.code)
            for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None)))
            if c.parent.code in FAMILY_GRADES
        ]
        producers, recyclers = by_kind["producer"], by_kind["recycler"]
        sellers = producers + by_kind["station"]
        t0 = time.perf_counter()
        lot_rows, plans = [], []
        for i in range(args.trades):
            seller = sellers[i % len(sellers)]
            gid, fam = rng.choice(grades)
            listed = start + timedelta(seconds=rng.randrange(span - 86400 * 3))
            lot_rows.append(
                {
                    "organization_id": seller,
                    "site_id": site_of[seller],
                    "status": LotStatus.CLOSED,
                    "created_at": listed,
                    "updated_at": listed,
                    "listed_at": listed,
                    "title": "基准批次",
                    "category_id": gid,
                    "family_code": fam,
                    "dql": 3,
                    "quantity_g": rng.randint(500, 30_000) * 1000,
                    "lat": 22.8,
                    "lon": 113.8,
                }
            )
            plans.append(listed)
        for k in range(0, len(lot_rows), 10_000):
            conn.execute(sa.insert(Lot), lot_rows[k : k + 10_000])
        lots = conn.execute(
            sa.select(Lot.id, Lot.organization_id, Lot.quantity_g, Lot.listed_at).order_by(Lot.id)
        ).all()
        sales, trades = [], []
        for lot in lots:
            listed = lot.listed_at
            closed = listed + timedelta(hours=rng.randint(24, 72))
            reserve = rng.randint(500, 5000) * 100
            sales.append(
                {
                    "lot_id": lot.id,
                    "mode": "ascending",
                    "reserve_fen": reserve,
                    "deadline": closed,
                    "closed_at": closed,
                }
            )
            delivered = closed + timedelta(hours=rng.randint(12, 96))
            done = delivered < end and rng.random() < 0.95
            price = int(reserve * rng.uniform(0.98, 1.25))
            net = int(lot.quantity_g * rng.uniform(0.95, 1.03)) if done else None
            trades.append(
                {
                    "lot_id": lot.id,
                    "buyer_id": rng.choice(recyclers),
                    "seller_id": lot.organization_id,
                    "price_fen_per_t": price,
                    "quantity_g": lot.quantity_g,
                    "lot_version": 1,
                    "created_at": closed,
                    "status": "closed" if done else "scheduled",
                    "net_g": net,
                    "delivered_at": delivered if done else None,
                    "settled_at": delivered + timedelta(hours=rng.randint(2, 120))
                    if done
                    else None,
                    "settled_fen": price * net // 1_000_000 if net else None,  # paid in full
                    "closed_at": delivered + timedelta(days=3) if done else None,
                    "end_use_kind": ("recycling" if rng.random() < 0.93 else "disposal")
                    if done
                    else None,
                }
            )
        for k in range(0, len(sales), 10_000):
            conn.execute(sa.insert(Sale), sales[k : k + 10_000])
            conn.execute(sa.insert(Trade), trades[k : k + 10_000])
        db.session.commit()
        print(
            f"  lots, sales, trades: {len(trades)} in {time.perf_counter() - t0:.1f} s", flush=True
        )

        t0 = time.perf_counter()
        stations = by_kind["station"]
        raw = db.session.connection().connection.driver_connection
        cols = (
            "station_id, stage, control_point, total, manual, manual_reason, gross_g, tares,"
            " net_g, result, sign, tier, raw_sha256, vehicle_plate, line, created_at,"
            " factory_id, category_id"
        )
        stages = ("receive", "receive", "sort", "sort", "bale")
        with raw.cursor() as cur, cur.copy(f"COPY station_weighings ({cols}) FROM STDIN") as cp:
            for i in range(args.weighings):
                stage = stages[i % 5]
                gid, _ = rng.choice(grades)
                net = rng.randint(50, 2_000) * 1000
                res = "anomaly" if rng.random() < 0.025 else "normal"
                at = start + timedelta(seconds=rng.randrange(span))
                cp.write_row(
                    (
                        rng.choice(stations),
                        stage,
                        stage,
                        False,
                        False,
                        "",
                        net + 20_000,
                        "[]",
                        net,
                        res,
                        "",
                        0,
                        "",
                        "",
                        "",
                        at,
                        rng.choice(producers) if stage == "receive" else None,
                        gid,
                    )
                )
        raw.commit()
        wmax = db.session.scalar(sa.text("select max(id) from station_weighings"))
        ded = [
            {
                "weighing_id": wid,
                "kind": "impurity",
                "grams": rng.randint(1, 30) * 1000,
                "reason": "杂质",
            }
            for wid in rng.sample(range(1, wmax + 1), args.weighings // 10)
        ]
        conn = db.session.connection()
        from station.models.flow import Deduction

        for k in range(0, len(ded), 20_000):
            conn.execute(sa.insert(Deduction), ded[k : k + 20_000])
        db.session.commit()
        print(
            f"  weighings: {args.weighings} (COPY) in {time.perf_counter() - t0:.1f} s", flush=True
        )

        t0 = time.perf_counter()
        conn = db.session.connection()
        logistics = by_kind["logistics"]
        conn.execute(
            sa.insert(Vehicle),
            [
                {
                    "organization_id": o,
                    "plate": f"粤S{o:05d}",
                    "vehicle_type": "rigid_7_5t",
                    "type_zh": "7.5吨厢式货车",
                    "capacity_kg": 7500,
                    "capacity_m3": 30,
                }
                for o in logistics
            ],
        )
        vehicle_of = dict(conn.execute(sa.select(Vehicle.organization_id, Vehicle.id)).all())
        plan_rows = []
        for d in range(365):
            day = (start + timedelta(days=d)).date()
            for o in logistics:
                km = rng.uniform(40, 160)
                plan_rows.append(
                    {
                        "organization_id": o,
                        "day": day,
                        "state": "published",
                        "published_at": start + timedelta(days=d),
                        "kpis": {
                            "plan": {
                                "km": round(km, 3),
                                "empty_share": round(rng.uniform(0.1, 0.4), 3),
                                "load_factor": round(rng.uniform(0.3, 0.8), 3),
                                "vehicles": 1,
                            }
                        },
                    }
                )
        for k in range(0, len(plan_rows), 10_000):
            conn.execute(sa.insert(RoutePlan), plan_rows[k : k + 10_000])
        plan_ids = conn.execute(
            sa.select(RoutePlan.id, RoutePlan.organization_id, RoutePlan.day)
        ).all()
        req_rows, meta = [], []
        for pid, org, day in plan_ids:
            for s in range(4):
                producer = rng.choice(producers)
                req_rows.append(
                    {
                        "source": "bench",
                        "source_id": pid * 10 + s,
                        "day": day,
                        "organization_id": producer,
                        "cluster_id": cid,
                        "site_name": "一厂",
                        "kg": 800,
                        "m3": 3,
                        "window_start_s": 8 * 3600,
                        "window_end_s": 17 * 3600,
                    }
                )
                meta.append((pid, org, s))
        for k in range(0, len(req_rows), 10_000):
            conn.execute(sa.insert(PickupRequest), req_rows[k : k + 10_000])
        req_ids = [
            r for (r,) in conn.execute(sa.select(PickupRequest.id).order_by(PickupRequest.id))
        ]
        stop_rows = []
        for rid, (pid, org, s) in zip(req_ids, meta, strict=True):
            stop_rows.append(
                {
                    "plan_id": pid,
                    "vehicle_id": vehicle_of[org],
                    "seq": s,
                    "request_id": rid,
                    "kind": "pickup",
                    "confirmed_at": None,
                }
            )
        for k in range(0, len(stop_rows), 10_000):
            conn.execute(sa.insert(RouteStop), stop_rows[k : k + 10_000])
        months, m = [], date(end.year, end.month, 1)
        for _ in range(13):
            months.append(m)
            m = (m - timedelta(days=1)).replace(day=1)
        n_reports = 0
        for group in (
            [
                {
                    "organization_id": o,
                    "month": m,
                    "value_added_fen": rng.randint(500, 3000) * 10**6,
                }
                for o in producers
                for m in months
            ],
            [
                {
                    "organization_id": o,
                    "month": m,
                    "recycled_input_g": rng.randint(100, 900) * 10**6,
                    "virgin_input_g": rng.randint(500, 2000) * 10**6,
                }
                for o in recyclers
                for m in months
            ],
            [
                {"organization_id": o, "month": m, "capacity_g": 400_000_000}
                for o in stations
                for m in months
            ],
        ):
            conn.execute(sa.insert(OrgMonthReport), group)
            n_reports += len(group)
        db.session.commit()
        print(
            f"  plans {len(plan_rows)}, stops {len(stop_rows)}, reports {n_reports}"
            f" in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        gov = db.session.execute(
            sa.insert(Organization).values(
                **{**_org_row(99_999, "government", rng), "cluster_id": cid}
            )
        ).inserted_primary_key[0]
        db.session.commit()
    return {"gov": gov, "producer": producers[0]}
