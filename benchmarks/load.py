"""The platform under a realistic mix (issue 12): browse, search, lot detail, bids, station
weighings and dashboards against gunicorn on a scratch PostgreSQL database holding a scaled-up
market, headless and bounded in time.

Seeds (bulk, `benchmarks/common.py`) `--lots` lots from `--orgs` organisations with archives,
recycler profiles, escrow and open auctions (`benchmarks/market_api.py`), then serves `wsgi:app`
with gunicorn and, after a warm-up, runs in one session:

1. the trivial JSON endpoint (`/healthz`) alone, closed loop: the ceiling of this stack;
2. the mix alone, closed loop: its capacity (requests/s);
3. the mix at `--load` of that capacity, open loop (Poisson arrivals, latency measured from the
   scheduled arrival, so queueing counts): p50/p95/p99 per kind and the error rate.

Mix: browse (the newest listings, paged, no filter) 22 %, search (category, distance, price
filters) 27 %, lot detail 27 %, bids 13 % (ascending auctions, `Idempotency-Key` on every one;
409/422 for a bid that lost a race is a rule's answer, not an error), weigh 6 % (a station's 送料:
one package of an open delivery note keyed in at the gate, weighed and labelled through
`/api/v1/station` as the weighing desk does; the station's standing data through the services,
`benchmarks/station_data.py`) and dashboard 5 % (a producer's own 23 indicators for the last 30
days). Reads: browse, search, detail, dashboard; writes: bid, weigh.

Goals: error rate 0 %, p95 ≤ 100 ms for reads and ≤ 200 ms for writes at the offered load,
mixed throughput ≥ 0.3 × trivial. The last line is mixed throughput / trivial throughput.

    .venv/bin/python benchmarks/load.py [--lots 50000] [--orgs 500] [--recyclers 150]
        [--clients 16] [--seconds 20] [--warmup 5] [--load 0.5] [--workers 2]
        [--deliveries 6000]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from typing import Any

from benchmarks.common import issue_tokens, scratch_database, seed_lots, vacuum_analyze
from benchmarks.loadgen import (
    CpuMeter,
    Request,
    encode,
    format_summary,
    run_closed,
    run_open,
    summarise,
)
from benchmarks.market_api import REFUSED, Buyer, Workload, backends, gunicorn, seed_trading
from benchmarks.station_data import delivery_note, set_up

MIX = {"browse": 22, "search": 27, "detail": 27, "bid": 13, "weigh": 6, "dashboard": 5}
WRITES = {"bid", "weigh"}
READ_GOAL_MS, WRITE_GOAL_MS, RATIO_GOAL = 100.0, 200.0, 0.3


class MixedLoad(Workload):
    """The market workload plus browsing, the station's 送料 weighings and producers' own
    dashboards; the mix is this benchmark's."""

    def __init__(self, *args: Any, station: Station, producers: list[tuple[int, str]]) -> None:
        super().__init__(*args)
        self.station = station
        self.producers = producers
        self.deliveries = iter(station.deliveries)
        self.taken = threading.Lock()

    def weigh(self, rng: random.Random) -> Request:
        """送料 of the next open delivery note: one package, keyed in at the gate (手工录入)."""
        with self.taken:
            delivery = next(self.deliveries)
        kg = f"{rng.randint(300, 1500)}.{rng.randint(0, 9)}"
        body = {
            "packages": [{"weight": {"manual_kg": kg, "manual_reason": "地磅检定中，人工录入"}}]
        }
        headers = {
            "Authorization": f"Bearer {self.station.token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        path = f"/api/v1/station/deliveries/{delivery}/deliver"
        return Request("weigh", encode("POST", path, headers, json.dumps(body).encode()))

    def dashboard(self, rng: random.Random) -> Request:
        """A producer's own indicators for the last 30 days (the dashboard's default)."""
        _, token = rng.choice(self.producers)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        return Request("dashboard", encode("GET", "/api/v1/dashboard/indicators", headers))

    def browse(self, rng: random.Random) -> Request:
        buyer = rng.choice(self.buyers)
        query = {"page": str(rng.randint(1, 20)), "per_page": "20"}
        path = "/api/v1/lots?" + urlencode(query)
        return Request("browse", encode("GET", path, self._auth(buyer)))

    def mixed(self, rng: random.Random) -> Request:
        kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
        return getattr(self, kind)(rng)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=50_000)
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--recyclers", type=int, default=150)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--load", type=float, default=0.5, help="share of the mix's capacity")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--deliveries", type=int, default=6000, help="open delivery notes for the 送料 weighings"
    )
    args = parser.parse_args()
    rng = random.Random(12)

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from core.db import db
    from marketplace import create_app

    with scratch_database("huanlian_load") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
        with app.app_context():
            upgrade()
        seeded = seed_lots(app, args.orgs, args.lots, rng, recyclers=args.recyclers)
        auctions = seed_trading(app, seeded, rng, share=0.5)
        tokens = issue_tokens(app, seeded.recycler_ids)
        station = seed_station(app, deliveries=args.deliveries)
        owners = rng.sample(seeded.producer_ids, 20)
        producers = list(issue_tokens(app, owners).items())
        vacuum_analyze(app)
        with app.app_context():
            db.engine.dispose()
        print(f"seeded {args.lots} lots ({len(auctions)} on auction), {args.orgs} organisations")
        buyers = [Buyer(o, seeded.site_of[o], tokens[o]) for o in seeded.recycler_ids]
        hot = rng.sample(sorted(auctions), min(1000, len(auctions)))
        work = MixedLoad(
            buyers, seeded.lot_ids, auctions, hot, station=station, producers=producers
        )
        database = sa.engine.make_url(url).database
        failed = run(args, work, url, database)
    if failed:
        sys.exit(1)


@dataclass
class Station:
    token: str
    deliveries: list[int]


def seed_station(app: Any, *, deliveries: int) -> Station:
    """A station with its standing data (`benchmarks/station_data.py`, through the services)
    and open delivery notes from its factories, each to be weighed once by the mix."""
    from core.db import db
    from core.time import to_local, utcnow

    bench = set_up(app, factories=4, first_day=to_local(utcnow()).date(), days=1, seed=4_411)
    with app.app_context():
        notes = [delivery_note(bench, f"SL-LOAD-{i:06d}", now=utcnow()) for i in range(deliveries)]
        db.session.flush()
        ids = [note.id for note in notes]
        db.session.commit()
    token = issue_tokens(app, [bench.station_id])[bench.station_id]
    return Station(token, ids)


def run(args: argparse.Namespace, work: MixedLoad, url: str, database: str) -> bool:
    """The three phases; prints the figures; True when a goal on errors was missed."""
    with gunicorn(url, args.workers, 1) as (address, pids):
        print(
            f"gunicorn wsgi:app, {args.workers} sync workers; {args.clients} clients;"
            f" {args.seconds:g} s per phase after a {args.warmup:g} s warm-up"
        )
        groups = {"gunicorn": pids, "postgres": lambda: backends(database)}
        closed = dict(address=address, observe=work.observe, clients=args.clients)
        run_closed(make=work.mixed, seconds=args.warmup, seed=99, **closed)

        with CpuMeter(groups) as cpu:
            samples = run_closed(make=work.trivial, seconds=args.seconds, seed=1, **closed)
        trivial = summarise(samples, args.seconds)["trivial"]
        print("trivial JSON endpoint (/healthz), closed loop")
        print(format_summary(trivial))
        print(cpu.line())

        with CpuMeter(groups) as cpu:
            samples = run_closed(make=work.mixed, seconds=args.seconds, seed=2, **closed)
        capacity = len(samples) / args.seconds
        mix = summarise(samples, args.seconds, REFUSED)
        print(f"mix ({', '.join(f'{v} % {k}' for k, v in MIX.items())}), closed loop")
        for kind in MIX:
            print(format_summary(mix[kind], show_refused=kind in WRITES))
        print(f"  all       throughput {capacity:7.1f} req/s")
        print(cpu.line())

        rate = capacity * args.load
        with CpuMeter(groups) as cpu:
            samples = run_open(
                address, work.mixed, work.observe, clients=args.clients,
                seconds=args.seconds, rate=rate, seed=3,
            )  # fmt: skip
        at_load = summarise(samples, args.seconds, REFUSED)
        print(
            f"mix at {args.load:.0%} of its capacity ({rate:.1f} req/s), open loop:"
            " Poisson arrivals, latency from the scheduled arrival"
        )
        for kind in MIX:
            print(format_summary(at_load[kind], show_refused=kind in WRITES))
        print(cpu.line())

    errors = sum(s.errors for s in [*mix.values(), *at_load.values()]) + trivial.errors
    total = sum(s.requests for s in [*mix.values(), *at_load.values()]) + trivial.requests
    reads_p95 = max(at_load[k].p95_ms for k in MIX if k not in WRITES)
    writes_p95 = max(at_load[k].p95_ms for k in WRITES)
    ratio = capacity / trivial.throughput
    print(
        f"goals: error rate {100 * errors / total:.2f} % (0 %); reads p95 {reads_p95:.1f} ms"
        f" (≤ {READ_GOAL_MS:g}); writes p95 {writes_p95:.1f} ms (≤ {WRITE_GOAL_MS:g});"
        f" ratio {ratio:.2f} (≥ {RATIO_GOAL})"
    )
    print(f"mixed throughput / trivial throughput: {ratio:.2f}")
    return errors > 0


if __name__ == "__main__":
    main()
