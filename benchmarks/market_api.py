"""Market API under load: lot search, lot detail and bids against gunicorn, from 32 clients.

Seeds a scratch PostgreSQL database (created here, dropped afterwards unless --keep) through the
real migrations: 200,000 listed lots with their archive version from 1,000 organisations, of
which 300 are recyclers with a licence covering every family, a haul radius reaching the whole
cluster, ample capacity, escrow money and a bearer token (core.auth.issue_token); half of the
lots are open ascending auctions with a far deadline, a quarter of those asking a deposit.
Then serves `wsgi:app` with gunicorn (2 workers) on 127.0.0.1 and runs, after a warm-up, one
phase of --seconds per line group:

1. capacity: each endpoint alone, closed loop (every client sends its next request when the
   last is answered): the trivial JSON endpoint `GET /healthz`, search `GET /api/v1/lots?…`
   (family + distance from the recycler's site + min DQL by distance, free text, family by price,
   grade + minimum quantity; mostly page 1), detail `GET /api/v1/lots/<id>`, and bids
   `POST /api/v1/lots/<id>/bids` (with an Idempotency-Key) on a hot set of auctions.
2. the mix (50 % search, 35 % detail, 15 % bid), closed loop: the capacity of the mix.
3. the mix at --load (0.5) of that capacity, open loop: Poisson arrivals spread over the same
   clients, latency counted from each scheduled arrival. The latency goals are judged here,
   because at saturation latency is queueing: clients / throughput, whatever the code does.

Bids raise the standing price: clients share what they know of each auction (the last accepted
amount) and bid one to five increments above it, a fifth with a proxy maximum. Racing clients
and hidden proxy maxima make some bids fall below the increment: those are refused with a 4xx by
the auction rules and counted apart from the accepted ones; any 5xx is a benchmark failure.

The load generator (benchmarks/loadgen.py) runs in this process on the same 2 cores as
gunicorn and PostgreSQL: raw sockets in threads, no parsing beyond the status line and
Content-Length, so it costs little, but what it costs is taken from the server. The CPU line
under each phase says how much went to the load generator, the gunicorn processes, this
database's PostgreSQL backends and the whole machine (the rest of which is other people's work
on a shared machine). The trivial endpoint suffers most from the client's share (about a sixth
of a core at its rate), so the ratio search / trivial errs on the high side. It is measured by
the same client at the same concurrency, without a token (it is a public liveness probe).
gunicorn's sync workers close the connection after each response, so every request of every
endpoint pays one TCP connect on the loopback; --threads N switches to gthread workers, which
keep connections alive.

    .venv/bin/python benchmarks/market_api.py [--lots 200000] [--orgs 1000] [--clients 32]
        [--seconds 30] [--load 0.5] [--threads 1] [--keep]

Prints one line per endpoint and phase; the last line is search throughput / trivial throughput.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    FAMILIES,
    ROOT,
    WORDS,
    issue_tokens,
    scratch_database,
    seed_lots,
    vacuum_analyze,
)
from benchmarks.loadgen import (
    Connection,
    CpuMeter,
    Request,
    encode,
    format_summary,
    run_closed,
    run_open,
    summarise,
)

MIX = {"search": 50, "detail": 35, "bid": 15}
REFUSED = {"bid": frozenset({409, 422})}
INCREMENT_FEN = 1_000  # 10 CNY/t, the default minimum increment
GRADES = ["PA-OCC", "PL-PP-REGRIND", "FE-HMS", "NF-AL-TURN", "TX-DENIM", "EE-PCB"]


@dataclass(frozen=True)
class Buyer:
    """A recycler the clients act as: its site (for distance searches) and bearer token."""

    org_id: int
    site_id: int
    token: str


def search_params(rng: random.Random, site_id: int) -> dict[str, str]:
    """The query string of one realistic search, as the market page sends it."""
    scenario = rng.choices(["near", "text", "price", "grade"], weights=[40, 25, 25, 10])[0]
    if scenario == "near":
        params = {
            "family": rng.choice(FAMILIES),
            "site_id": str(site_id),
            "radius_km": str(rng.choice([20, 50, 80])),
            "min_dql": str(rng.choice([2, 3])),
            "sort": "distance",
        }
    elif scenario == "text":
        params = {"q": rng.choice(WORDS)}
        if rng.random() < 0.3:
            params["family"] = rng.choice(FAMILIES)
    elif scenario == "price":
        params = {"family": rng.choice(FAMILIES), "sort": rng.choice(["price", "-price"])}
    else:
        params = {"grade": rng.choice(GRADES), "min_t": str(rng.choice([5, 10, 20]))}
    if rng.random() < 0.2:
        params["page"] = str(rng.randint(2, 5))
    return params


def next_bid(standing_fen: int, rng: random.Random) -> tuple[int, int | None]:
    """The amount (and sometimes a proxy maximum) a bidder offers over the standing price, in
    fen per tonne: one to five increments above, whole yuan."""
    amount = standing_fen + INCREMENT_FEN * rng.choice([1, 1, 1, 2, 3, 5])
    ceiling = amount + INCREMENT_FEN * rng.randint(2, 6) if rng.random() < 0.2 else None
    return amount, ceiling


def choose_kind(rng: random.Random, mix: dict[str, int] = MIX) -> str:
    """Which endpoint the next request of the mix goes to."""
    return rng.choices(list(mix), weights=list(mix.values()))[0]


class Workload:
    """Makes the requests of every phase and learns from the answers to bids."""

    def __init__(
        self, buyers: list[Buyer], lot_ids: list[int], auctions: dict[int, int], hot: list[int]
    ) -> None:
        self.buyers = buyers
        self.lot_ids = lot_ids
        self.hot = hot
        self.book = {lot: auctions[lot] for lot in hot}  # what clients know of the standing price
        self.lock = threading.Lock()

    @staticmethod
    def _auth(buyer: Buyer) -> dict[str, str]:
        return {"Authorization": f"Bearer {buyer.token}", "Accept": "application/json"}

    def trivial(self, rng: random.Random) -> Request:
        return Request("trivial", encode("GET", "/healthz", {"Accept": "application/json"}))

    def search(self, rng: random.Random) -> Request:
        buyer = rng.choice(self.buyers)
        path = "/api/v1/lots?" + urlencode(search_params(rng, buyer.site_id))
        return Request("search", encode("GET", path, self._auth(buyer)))

    def detail(self, rng: random.Random) -> Request:
        path = f"/api/v1/lots/{rng.choice(self.lot_ids)}"
        return Request("detail", encode("GET", path, self._auth(rng.choice(self.buyers))))

    def bid(self, rng: random.Random) -> Request:
        lot = rng.choice(self.hot)
        amount, ceiling = next_bid(self.book[lot], rng)
        body = {"amount_yuan_per_t": str(amount // 100)}
        if ceiling is not None:
            body["max_yuan_per_t"] = str(ceiling // 100)
        headers = {
            **self._auth(rng.choice(self.buyers)),
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.UUID(int=rng.getrandbits(128)).hex,
        }
        raw = encode("POST", f"/api/v1/lots/{lot}/bids", headers, json.dumps(body).encode())
        return Request("bid", raw, (lot, amount))

    def mixed(self, rng: random.Random) -> Request:
        return getattr(self, choose_kind(rng))(rng)

    def observe(self, req: Request, status: int, body: bytes) -> None:
        """An accepted bid raises the known price; one refused as too low teaches the bidder
        that someone (perhaps a proxy) stands higher."""
        if req.kind != "bid":
            return
        lot, amount = req.meta  # type: ignore[misc]
        with self.lock:
            if status == 201:
                self.book[lot] = max(self.book[lot], amount)
            elif status == 422:
                self.book[lot] += INCREMENT_FEN


def seed_trading(app, seeded, rng: random.Random, *, share: float) -> dict[int, int]:
    """Archive versions for every lot, recycler profiles and escrow, and open ascending sales on
    `share` of the lots; returns each auction's starting price (fen per tonne)."""
    from core.catalogue import Category
    from core.db import db
    from core.time import utcnow
    from marketplace.lots.models import Lot
    from marketplace.profiles.models import RecyclerProfile, recycler_scope
    from marketplace.trading import escrow, ledger
    from marketplace.trading.models import Sale

    now = utcnow()
    with app.app_context():
        conn = db.session.connection()
        # Version 1 of each archive, mirrored by its lot row as create_lot + publish write it.
        conn.execute(
            sa.text(
                "INSERT INTO lot_versions (lot_id, number, created_at, site_id, category_id, title,"
                " description, quantity_g, quantity_basis, form, loading, hazardous, hw_codes,"
                " industry_code, process, batch, recurrence, properties, composition,"
                " ask_fen_per_t, evidence_ids, dql, dql_missing)"
                " SELECT id, 1, created_at, site_id, category_id, title, '基准测试批次',"
                " quantity_g, 'estimated', 'bale', '[]', false, '[]', 'C2929', '冲压',"
                " '{}', '{}', '[]', '[]', ask_fen_per_t, '[]', dql, '[]' FROM lots"
            )
        )
        families = db.session.scalars(sa.select(Category.id).where(Category.parent_id.is_(None)))
        family_ids = list(families)
        conn.execute(
            sa.insert(RecyclerProfile),
            [
                {
                    "organization_id": org,
                    "licence_no": f"粤危废{org:06d}",
                    "licence_issuer": "东莞市生态环境局",
                    "licence_valid_until": date(now.year + 2, 12, 31),
                    "hw_codes": [],
                    "capacity_t_per_month": 1_000_000,
                    "haul_radius_km": 200,
                }
                for org in seeded.recycler_ids
            ],
        )
        profiles = conn.execute(sa.select(RecyclerProfile.id)).scalars().all()
        conn.execute(
            sa.insert(recycler_scope),
            [{"profile_id": p, "category_id": c} for p in profiles for c in family_ids],
        )
        on_sale = sorted(rng.sample(seeded.lot_ids, int(len(seeded.lot_ids) * share)))
        asks = dict(
            conn.execute(
                sa.select(Lot.id, Lot.ask_fen_per_t).where(Lot.ask_fen_per_t.is_not(None))
            ).all()
        )
        rows = [
            {
                "lot_id": lot,
                "mode": "ascending",
                "reserve_fen": asks[lot] * 95 // 10_000 * 100,
                "fixed_price_fen": None,
                "min_increment_fen": INCREMENT_FEN,
                "deposit_fen": rng.choice([0, 0, 0, 50_000, 100_000, 0, 0, 0]),
                "deadline": now + timedelta(days=rng.randint(20, 40)),
                "snipe_window_s": 300,
                "extension_s": 300,
                "outcome": "",
            }
            for lot in on_sale
        ]
        for i in range(0, len(rows), 5000):
            conn.execute(sa.insert(Sale), rows[i : i + 5000])
        for org in seeded.recycler_ids:  # a recorded bank top-up each, through the ledger
            escrow.post(ledger.top_up(org, 10_000_000_00), reference="基准测试充值")
        db.session.commit()
    return {lot: asks[lot] * 9 // 10_000 * 100 for lot in on_sale}


def backends(database: str) -> list[int]:
    """The PostgreSQL backend processes serving `database` (their titles name it)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    title = f.read()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                pids.append(int(entry))
    return pids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str, workers: int, threads: int) -> Iterator[tuple[tuple[str, int], Callable]]:
    """Serve wsgi:app as production does, on a free port; yields the address and a function
    listing the server's pids; stops it afterwards."""
    port = free_port()
    log = tempfile.NamedTemporaryFile("w", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "wsgi:app"]
    cmd += ["--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--backlog", "2048"]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    # the web tier alone, as production runs it: scheduled jobs in Celery beat or cron, not in
    # a ticker thread of each worker (it ran the recyclers' digest during the trivial phase)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark",
        "BROKER_URL": "",
        "FLASK_SCHEDULER_IN_PROCESS": "0",
    }
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def pids() -> list[int]:
        try:
            with open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
                return [proc.pid, *map(int, f.read().split())]
        except OSError:
            return [proc.pid]

    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log.name}")
            try:
                status, _ = Connection("127.0.0.1", port).send(encode("GET", "/healthz", {}))
                if status == 200 and len(pids()) == workers + 1:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s; see {log.name}")
            time.sleep(0.2)
        yield ("127.0.0.1", port), pids
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lots", type=int, default=200_000)
    parser.add_argument("--orgs", type=int, default=1_000)
    parser.add_argument("--recyclers", type=int, default=300)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30, help="per phase")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--load", type=float, default=0.5, help="share of the mix's capacity")
    parser.add_argument("--on-sale", type=float, default=0.5, help="share of lots on auction")
    parser.add_argument("--hot", type=int, default=1_000, help="auctions the bids go to")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not 0 < args.load <= 1 or args.recyclers >= args.orgs:
        parser.error("--load must be in (0, 1] and --recyclers below --orgs")
    rng = random.Random(7)

    from flask_migrate import upgrade

    from core.db import db
    from marketplace import create_app

    with scratch_database("huanlian_market", keep=args.keep) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark"})
        with app.app_context():
            upgrade()
        t0 = time.perf_counter()
        seeded = seed_lots(app, args.orgs, args.lots, rng, recyclers=args.recyclers)
        auctions = seed_trading(app, seeded, rng, share=args.on_sale)
        tokens = issue_tokens(app, seeded.recycler_ids)
        vacuum_analyze(app)
        with app.app_context():
            db.engine.dispose()
        print(
            f"seeded {args.lots} lots ({len(auctions)} on auction) from {args.orgs} organisations"
            f" ({args.recyclers} recyclers) in {time.perf_counter() - t0:.1f} s"
        )
        buyers = [Buyer(o, seeded.site_of[o], tokens[o]) for o in seeded.recycler_ids]
        hot = rng.sample(sorted(auctions), min(args.hot, len(auctions)))
        work = Workload(buyers, seeded.lot_ids, auctions, hot)
        failed = run_phases(args, work, url)
    if failed:
        sys.exit(1)


def run_phases(args: argparse.Namespace, work: Workload, url: str) -> bool:
    """Every phase against one gunicorn; prints the figures; True when any request failed."""
    kind = "sync" if args.threads == 1 else f"gthread×{args.threads}"
    with gunicorn(url, args.workers, args.threads) as (address, pids):
        print(
            f"gunicorn wsgi:app, {args.workers} {kind} workers on {address[0]}:{address[1]};"
            f" {args.clients} clients; {args.seconds:g} s per phase after a"
            f" {args.warmup:g} s warm-up"
        )
        database = sa.engine.make_url(url).database
        groups = {"gunicorn": pids, "postgres": lambda: backends(database)}
        closed = dict(address=address, observe=work.observe, clients=args.clients)
        run_closed(make=work.mixed, seconds=args.warmup, seed=99, **closed)
        failures = 0
        capacity = {}
        print("capacity: each endpoint alone, closed loop")
        for n, name in enumerate(["trivial", "search", "detail", "bid"]):
            with CpuMeter(groups) as cpu:
                samples = run_closed(
                    make=getattr(work, name), seconds=args.seconds, seed=n, **closed
                )
            s = summarise(samples, args.seconds, REFUSED)[name]
            capacity[name] = s.throughput
            failures += s.errors
            print(format_summary(s, show_refused=name == "bid"))
            print(cpu.line())
        shares = ", ".join(f"{v} % {k}" for k, v in MIX.items())
        print(f"mix ({shares}), closed loop")
        with CpuMeter(groups) as cpu:
            samples = run_closed(make=work.mixed, seconds=args.seconds, seed=10, **closed)
        mix_capacity = len(samples) / args.seconds
        for name in MIX:
            s = summarise(samples, args.seconds, REFUSED)[name]
            failures += s.errors
            print(format_summary(s, show_refused=name == "bid"))
        print(cpu.line())
        rate = mix_capacity * args.load
        print(
            f"mix at {args.load:.0%} of its capacity ({rate:.1f} of {mix_capacity:.1f} req/s),"
            " open loop: Poisson arrivals, latency from the scheduled arrival"
        )
        with CpuMeter(groups) as cpu:
            samples = run_open(
                address, work.mixed, work.observe, clients=args.clients,
                seconds=args.seconds, rate=rate, seed=11,
            )  # fmt: skip
        at_load = summarise(samples, args.seconds, REFUSED)
        for name in MIX:
            failures += at_load[name].errors
            print(format_summary(at_load[name], show_refused=name == "bid"))
        print(cpu.line())
    ratio = capacity["search"] / capacity["trivial"]
    print(
        f"goals at {args.load:.0%} load: search p95 {at_load['search'].p95_ms:.1f} ms (≤ 50),"
        f" bid p95 {at_load['bid'].p95_ms:.1f} ms (≤ 100); ratio ≥ 0.25;"
        f" failed requests: {failures}"
    )
    if failures:
        print(f"FAILED: {failures} requests answered 5xx, an unexpected status, or not at all")
    print(f"search throughput / trivial throughput: {ratio:.2f}")
    return failures > 0


if __name__ == "__main__":
    main()
