"""Lot search at market scale: 200,000 lots from 1,000 organisations on PostgreSQL.

Seeds a scratch database (created and dropped here) through the real migrations, bulk-loads
organisations, sites and listed lots spread over the Pearl River Delta, then times the common
searches — grade family + distance + DQL, free text, sort by price — through the service layer
(build + paginate, one page of 20) and through HTTP (a threaded werkzeug server on 127.0.0.1
with the real app, bearer token, JSON). Prints p50/p95 per scenario; the last line is the
overall HTTP search p95 in ms (goal: ≤ 50 ms).

    .venv/bin/python benchmarks/lot_search.py [--lots 200000] [--orgs 1000] [--queries 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WORDS = [
    "黄板纸",
    "白纸边",
    "水口料",
    "冲压边角料",
    "铝屑",
    "牛仔布",
    "线路板",
    "破碎料",
    "打包",
    "压块",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def seed(app, n_orgs: int, n_lots: int, rng: random.Random) -> tuple[list[int], str]:
    from core import auth, uscc
    from core.catalogue import Category
    from core.db import db
    from core.enums import Role
    from core.models import Organization, Site, User
    from core.time import utcnow
    from marketplace.lots.models import Lot, LotStatus
    from marketplace.seed.services import seed_reference_data

    with app.app_context():
        seed_reference_data()
        db.session.commit()
        grades = [
            (c.id, c.parent.code, c.code, c.name_zh)
            for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None)))
        ]
        conn = db.session.connection()
        org_rows = []
        for i in range(n_orgs):
            lat, lon = 22.6 + rng.random() * 0.8, 113.4 + rng.random() * 1.0
            org_rows.append(
                {
                    "kind": "producer" if i else "recycler",
                    "legal_name": f"基准测试企业{i:05d}有限公司",
                    "uscc": uscc.generate("441900", rng),
                    "address": "广东省东莞市",
                    "division_code": "441900",
                    "lat": lat,
                    "lon": lon,
                    "name_en": "",
                    "industry_code": "C2929",
                    "industry_name": "",
                    "contact_name": "",
                    "contact_phone": "",
                    "created_at": utcnow(),
                }
            )
        conn.execute(sa.insert(Organization), org_rows)
        orgs = conn.execute(
            sa.select(Organization.id, Organization.lat, Organization.lon).order_by(Organization.id)
        ).all()
        conn.execute(
            sa.insert(Site),
            [
                {
                    "organization_id": o.id,
                    "name": "一厂",
                    "address": "东莞",
                    "lat": o.lat,
                    "lon": o.lon,
                    "opening_hours": "08:00-17:30",
                    "loading": [],
                }
                for o in orgs
            ],
        )
        sites = dict(conn.execute(sa.select(Site.organization_id, Site.id)).all())
        now = utcnow()
        batch = []
        for i in range(n_lots):
            org = orgs[1 + i % (len(orgs) - 1)]
            gid, family, code, name = rng.choice(grades)
            word = rng.choice(WORDS)
            batch.append(
                {
                    "organization_id": org.id,
                    "site_id": sites[org.id],
                    "status": LotStatus.LISTED,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "listed_at": now - timedelta(minutes=i),
                    "title": f"{name}{word}",
                    "category_id": gid,
                    "family_code": family,
                    "dql": rng.choice([1, 1, 2, 2, 3, 4]),
                    "quantity_g": rng.randint(200, 60_000) * 1000,
                    "ask_fen_per_t": rng.randint(300, 60_000) * 100,
                    "lat": org.lat,
                    "lon": org.lon,
                    "available_from": None,
                    "available_until": None,
                    "hazardous": False,
                    "search_text": f"{name}{word} {code} 演示".lower(),
                }
            )
            if len(batch) == 5000:
                conn.execute(sa.insert(Lot), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(Lot), batch)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
        recycler = db.session.get(Organization, orgs[0].id)
        user = User(
            organization=recycler,
            username="bench",
            display_name="bench",
            role=Role.MANAGER,
            password_hash=auth.hash_password("benchmark password"),
        )
        db.session.add(user)
        db.session.commit()
        _, token = auth.issue_token(user, "bench", now=utcnow())
        db.session.commit()
        return [sites[orgs[0].id]], token


def scenarios(rng: random.Random, site_id: int) -> dict[str, Callable[[], dict[str, str]]]:
    families = ["PA", "PL", "FE", "NF", "TX", "EE"]
    return {
        "family+distance+dql": lambda: {
            "family": rng.choice(families),
            "site_id": str(site_id),
            "radius_km": str(rng.choice([20, 50, 80])),
            "min_dql": str(rng.choice([2, 3])),
            "sort": "distance",
        },
        "free text": lambda: {"q": rng.choice(WORDS)},
        "sort by price": lambda: {
            "sort": rng.choice(["price", "-price"]),
            "family": rng.choice(families),
        },
    }


def run_service(app, site_id: int, queries: int, rng: random.Random) -> dict:
    from core.db import db
    from core.models import Site
    from marketplace.lots import search
    from marketplace.pagination import paginate

    results = {}
    with app.app_context():
        site = db.session.get(Site, site_id)
        for name, make in scenarios(rng, site_id).items():
            times = []
            for _ in range(queries):
                args = make()
                query = search.LotQuery(
                    family=args.get("family"),
                    min_dql=int(args["min_dql"]) if "min_dql" in args else None,
                    near=(site.lat, site.lon) if "site_id" in args else None,
                    radius_km=float(args["radius_km"]) if "radius_km" in args else None,
                    q=args.get("q"),
                    sort=args.get("sort", "newest"),
                )
                start = time.perf_counter()
                page = paginate(search.build(query), 1, 20)
                [lot.organization.legal_name for lot in page["items"]]
                times.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            results[name] = times
    return results


def run_http(app, site_id: int, token: str, queries: int, rng: random.Random) -> dict:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port)
    headers = {"Authorization": f"Bearer {token}", "Connection": "keep-alive"}
    results = {}
    try:
        for name, make in scenarios(rng, site_id).items():
            times = []
            for _ in range(queries):
                start = time.perf_counter()
                conn.request("GET", "/api/v1/lots?" + urlencode(make()), headers=headers)
                response = conn.getresponse()
                body = response.read()
                times.append((time.perf_counter() - start) * 1000)
                if response.status != 200:
                    raise RuntimeError(f"{name}: {response.status} {body[:200]!r}")
                json.loads(body)
            results[name] = times
    finally:
        conn.close()
        server.shutdown()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=200_000)
    parser.add_argument("--orgs", type=int, default=1_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)

    from core.db import db
    from marketplace import create_app

    name = f"huanlian_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 10},
            }
        )
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
        t0 = time.perf_counter()
        site_ids, token = seed(app, args.orgs, args.lots, rng)
        print(
            f"seeded {args.lots} lots from {args.orgs} organisations in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        service = run_service(app, site_ids[0], args.queries, rng)
        http_times = run_http(app, site_ids[0], token, args.queries, rng)
        for layer, results in (("service", service), ("http", http_times)):
            for scenario, times in results.items():
                print(
                    f"{layer:8s} {scenario:22s} p50 {statistics.median(times):6.1f} ms   "
                    f"p95 {percentile(times, 0.95):6.1f} ms   (n={len(times)})"
                )
        everything = [t for times in http_times.values() for t in times]
        with app.app_context():
            db.engine.dispose()
        print(f"search p95 over HTTP at {args.lots} lots: {percentile(everything, 0.95):.1f} ms")
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
