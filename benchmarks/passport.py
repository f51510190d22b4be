"""Passport benchmark (pure parts): Merkle appends, verifying a lot, the whole log, proofs at 1M.

    .venv/bin/python benchmarks/passport.py [--sections append,lot,log,proof,db]
        [--events 100000] [--leaves 1000000] [--repeat 5] [--db-events 4000]

One line per figure; each section returns a headline and the last line joins them with the
ratio against the goals (lot ≤ 50 ms, proof at 1M leaves ≤ 10 ms, database append ≥ 1,000
events/s on PostgreSQL; ``db`` is in ``benchmarks/passport_db.py`` and needs PostgreSQL). Add a
section by writing ``section_<name>(args) -> (headline, ratio or None)`` and listing it in
``SECTIONS``.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.passport_db import section_db
from passport import checkpoint as cp
from passport import epcis
from passport.chain import build_chain, event_hash, verify_chain
from passport.ids import lot_uri
from passport.ledger import Ledger
from passport.merkle import MemoryNodeStore, MerkleLog, leaf_hash, root_of, verify_inclusion
from passport.verify import verify_bundle

HOST = "huanlian.example"
T0 = datetime(2026, 12, 1, tzinfo=UTC)
SCALE = f"https://{HOST}/scale/S1"


def best_ms(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best, median) wall time of `action` in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def weighings(lot: str, n: int) -> list[dict]:
    return [
        epcis.weighing(
            lot_uri(HOST, lot), at=T0 + timedelta(minutes=i), net_g=1000 + i, scale=SCALE
        )
        for i in range(n)
    ]


def section_append(args: argparse.Namespace) -> tuple[str, float | None]:
    log = MerkleLog(MemoryNodeStore())
    leaves = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(args.appends)]
    start = time.perf_counter()
    for leaf in leaves:
        log.append(leaf)
    rate = args.appends / (time.perf_counter() - start)
    print(f"append: {args.appends:,} leaves to the in-memory Merkle store: {rate:,.0f} leaves/s")
    ledger = Ledger(HOST)
    events = weighings("HL-BENCH", 5000)
    start = time.perf_counter()
    for event in events:
        ledger.append(event)
    rate2 = len(events) / (time.perf_counter() - start)
    print(
        f"append: ledger (event hash, chain entry, log leaf) of built events: {rate2:,.0f} events/s"
    )
    return f"append {rate:,.0f} leaves/s, ledger {rate2:,.0f} events/s", None


def section_lot(args: argparse.Namespace) -> tuple[str, float | None]:
    ledger = Ledger(HOST)
    key = cp.generate_private_key()
    for i in range(args.other):  # other lots' entries, so the log is not just this lot
        ledger.append(
            epcis.storing(lot_uri(HOST, f"HL-O{i}"), at=T0, location=f"https://{HOST}/site/1")
        )
    for event in weighings("HL-LOT", 100):
        ledger.append(event)
    signed = ledger.checkpoint(key, T0)
    older = signed
    for event in weighings("HL-LATER", 10):
        ledger.append(event)
    signed = ledger.checkpoint(key, T0 + timedelta(hours=1))
    pem = cp.public_key_to_pem(key.public_key())
    bundle = ledger.bundle("HL-LOT", signed, pem, at=T0, older=older)
    assert verify_bundle(bundle, trusted_key=pem, kept=older).ok
    best, median = best_ms(lambda: verify_bundle(bundle, trusted_key=pem, kept=older), args.repeat)
    print(
        f"lot: verify a lot of 100 events (log {ledger.log.size:,}, proofs, heads, consistency): best {best:.1f} ms, median {median:.1f} ms"  # noqa: E501
    )
    best_x, median_x = best_ms(
        lambda: verify_bundle(bundle, trusted_key=pem, kept=older, expand=True), args.repeat
    )
    print(f"lot: the same with JSON-LD expansion: best {best_x:.1f} ms, median {median_x:.1f} ms")
    return f"lot of 100 events verified in {median:.1f} ms", 50 / median


def section_log(args: argparse.Namespace) -> tuple[str, float | None]:
    lots = max(1, args.events // 100)
    start = time.perf_counter()
    events = {f"HL-{n}": weighings(f"HL-{n}", 100) for n in range(lots)}
    built = time.perf_counter() - start
    chains = {lot: build_chain(lot, evs) for lot, evs in events.items()}
    log = MerkleLog(MemoryNodeStore())
    for lot in chains:
        for entry in chains[lot]:
            log.append(entry.leaf())
    root = log.root()
    start = time.perf_counter()
    problems = 0
    leaves = []
    for lot, entries in chains.items():
        problems += len(verify_chain(lot, entries))
        for entry, event in zip(entries, events[lot], strict=True):
            problems += entry.event_hash != event_hash(event)
            leaves.append(leaf_hash(entry.leaf()))
    ok = root_of(leaves) == root and problems == 0
    took = time.perf_counter() - start
    print(
        f"log: built {lots * 100:,} events in {built:.1f} s; verified every event hash, chain and the log root in {took:.2f} s ({lots * 100 / took:,.0f} events/s, {'ok' if ok else 'FAILED'})"  # noqa: E501
    )
    return f"whole log of {lots * 100:,} events verified in {took:.1f} s", None


def section_proof(args: argparse.Namespace) -> tuple[str, float | None]:
    start = time.perf_counter()
    store = MemoryNodeStore.from_leaf_hashes(
        hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(args.leaves)
    )
    log = MerkleLog(store)
    root = log.root()
    print(
        f"proof: built a stored tree of {args.leaves:,} leaves in {time.perf_counter() - start:.1f} s"  # noqa: E501
    )
    indexes = [(i * 7_919) % args.leaves for i in range(1000)]
    start = time.perf_counter()
    proofs = [log.inclusion_proof(i) for i in indexes]
    per_proof = (time.perf_counter() - start) / len(indexes) * 1000
    assert all(
        verify_inclusion(i, args.leaves, store.levels[0][i], p, root)
        for i, p in zip(indexes, proofs, strict=True)
    )
    start = time.perf_counter()
    for i in range(1, 1001):
        log.consistency_proof(args.leaves - i * 997)
    per_consistency = time.perf_counter() - start
    print(
        f"proof: inclusion proof at {args.leaves:,} leaves: {per_proof:.3f} ms each; consistency proof: {per_consistency:.3f} ms each"  # noqa: E501
    )
    return f"inclusion proof at {args.leaves:,} leaves {per_proof:.3f} ms", 10 / per_proof


SECTIONS = {
    "append": section_append,
    "lot": section_lot,
    "log": section_log,
    "proof": section_proof,
    "db": section_db,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--appends", type=int, default=200_000)
    parser.add_argument("--other", type=int, default=10_000, help="other lots' entries in the log")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db-events", type=int, default=4_000, help="appended per database")
    args = parser.parse_args()
    headlines, ratios = [], []
    for name in args.sections.split(","):
        headline, ratio = SECTIONS[name](args)
        headlines.append(headline)
        if ratio is not None:
            ratios.append(ratio)
    worst = f"; worst ratio to goal {min(ratios):.1f}×" if ratios else ""
    print("headline: " + "; ".join(headlines) + worst)


if __name__ == "__main__":
    main()
