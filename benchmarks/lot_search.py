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
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    FAMILIES,
    WORDS,
    issue_tokens,
    percentile,
    scratch_database,
    seed_lots,
    vacuum_analyze,
)


def seed(app, n_orgs: int, n_lots: int, rng: random.Random) -> tuple[list[int], str]:
    """The shared bulk seeding, with one recycler whose token and site do the searching."""
    seeded = seed_lots(app, n_orgs, n_lots, rng, recyclers=1)
    vacuum_analyze(app)
    recycler = seeded.recycler_ids[0]
    return [seeded.site_of[recycler]], issue_tokens(app, [recycler])[recycler]


def scenarios(rng: random.Random, site_id: int) -> dict[str, Callable[[], dict[str, str]]]:
    families = FAMILIES
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
                page = search.page(query, 1, 20, count_limit=1_000)
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

    with scratch_database("huanlian_bench") as url:
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


if __name__ == "__main__":
    main()
