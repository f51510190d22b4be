"""The recommender in the platform: serving latency from the database, fallback and model.

A scratch PostgreSQL database with `--lots` listed lots (archive version 1 each) from
`--orgs` organisations, `--recyclers` of them licensed recyclers (every family, 200 km, as
`market_api.py` seeds them). Measured through `marketplace.recommend.services` — the path the
API and the pages take: read the open lots and the licence, adapt the rows, rank, and record
the impressions — first with no model (the labelled fallback: feasible, nearest first), then
after a month of logged home lists with bids (every recycler shown 20 lots, bids drawn from a
rule it does not know: nearer and cheaper lots of its favourite family) and one training run.

    .venv/bin/python benchmarks/recommend_api.py [--lots 5000] [--orgs 300] [--recyclers 60]

Last line: p95 of recommended lots for a recycler with the model, at `--lots` open lots.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import percentile, scratch_database, seed_lots
from benchmarks.market_api import seed_trading


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(name: str, times: list[float]) -> str:
    return (
        f"{name:34s} p50 {statistics.median(times):7.1f} ms   "
        f"p95 {percentile(times, 0.95):7.1f} ms   (n={len(times)})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lots", type=int, default=5_000)
    ap.add_argument("--orgs", type=int, default=300)
    ap.add_argument("--recyclers", type=int, default=60)
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    rng = random.Random(11)

    import sqlalchemy as sa

    from core.auth import Actor
    from core.db import db
    from core.enums import OrgKind, Role
    from core.time import utcnow
    from marketplace import create_app
    from marketplace.lots.models import Lot
    from marketplace.recommend import services, training
    from marketplace.recommend.models import Impression
    from marketplace.trading.models import Bid

    with scratch_database("huanlian_rec") as url:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_IN_PROCESS": False}
        )
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
        t0 = time.perf_counter()
        seeded = seed_lots(app, args.orgs, args.lots, rng, recyclers=args.recyclers)
        seed_trading(app, seeded, rng, share=0.0)
        print(
            f"seeded {args.lots} listed lots, {args.recyclers} recyclers in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        actors = [Actor(None, o, OrgKind.RECYCLER, Role.MANAGER) for o in seeded.recycler_ids]  # type: ignore[arg-type]
        with app.test_request_context():
            owner_lots = list(db.session.scalars(sa.select(Lot).order_by(Lot.id).limit(args.n)))
            owners = [Actor(None, lot.organization_id, OrgKind.PRODUCER, Role.MANAGER)  # type: ignore[arg-type]
                      for lot in owner_lots]  # fmt: skip
            now = utcnow()

            def lots_for(i: int) -> None:
                services.recommend_lots(actors[i % len(actors)], 10, now=now, surface="api")
                db.session.rollback()

            def buyers_for(i: int) -> None:
                services.recommend_buyers(owners[i], owner_lots[i].id, 10, now=now, record=False)
                db.session.rollback()

            lots_for(0)  # warm the connection pool and imports
            fb_lots, fb_buyers = timed(lots_for, args.n), timed(buyers_for, args.n)
            print(line("fallback: top-10 lots for a recycler", fb_lots))
            print(line("fallback: top-10 buyers for a lot", fb_buyers))

            # a month of home lists with bids from a rule the model does not see
            start = now - timedelta(days=30)
            taste = {a.org_id: rng.choice(["FE", "NF", "PL", "PA"]) for a in actors}
            for n, actor in enumerate(actors):
                shown = services.recommend_lots(actor, 20, now=start, record=False)
                for pos, item in enumerate(shown.items):
                    lot = item.row
                    u = (1.5 if lot.family_code == taste[actor.org_id] else -1.0) - (
                        (item.distance_km or 0) / 60
                    )
                    at = start + timedelta(hours=n, minutes=pos)
                    db.session.add(Impression(buyer_org_id=actor.org_id, lot_id=lot.id,
                                              shown_to_org_id=actor.org_id, surface="home",
                                              position=pos, score=0.0, method="fallback",
                                              shown_at=at))  # fmt: skip
                    if rng.random() < 1 / (1 + math.exp(-u)):
                        db.session.add(Bid(lot_id=lot.id, organization_id=actor.org_id,
                                           amount_fen=100_000, lot_version=1,
                                           placed_at=at + timedelta(minutes=30)))  # fmt: skip
            db.session.commit()
            t0 = time.perf_counter()
            row = training.train(utcnow(), lambda *a, **k: None)
            db.session.commit()
            train_s = time.perf_counter() - t0
            print(
                f"training on {row.n_exposures} exposures ({row.n_bids} bids), metrics from "
                f"{row.metrics_source}: {train_s:.1f} s"
            )
            m_lots, m_buyers = timed(lots_for, args.n), timed(buyers_for, args.n)
            print(line("model: top-10 lots for a recycler", m_lots))
            print(line("model: top-10 buyers for a lot", m_buyers))
        with app.app_context():
            db.engine.dispose()
    print(
        f"recommended lots p95 at {args.lots} open lots: model {percentile(m_lots, 0.95):.0f} ms "
        f"(fallback {percentile(fb_lots, 0.95):.0f} ms)"
    )


if __name__ == "__main__":
    main()
