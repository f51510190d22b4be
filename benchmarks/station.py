"""The station benchmark (issue 6). Sections, run in order; each prints its figures and a
headline, and the last line joins the headlines.

- `parsers`: frames/s of every scale protocol's stream decoder (`Decoder.feed`) over a large
  generated buffer of valid frames with a random walk of weights, fed in chunks of 8–64 bytes
  as a serial port delivers them; every frame must come back (no error, same count). The
  figure is the best of `--repeat` passes. Goal: ≥ 50,000 frames/s for every protocol.

- `record`: receiving a delivery end-to-end through the service layer (`stages.receive`: the
  delivery note and its production records, the standard tare, the labelled receipt and its
  lineage, the quota check with the tolerance, the repeat rules over the week's alerts, the
  alert when anomalous — every 10th is — and the commit), on PostgreSQL holding the month
  below. p50/p95 over `--records`. Goal: p95 ≤ 20 ms.
- `reports`: the three reports through `station.services.reports` over 30 days × `--per-day`
  weighings (default 2,000: 60,000) on PostgreSQL: the daily inventory balance, process-record
  pages (a day, a day's second page, a month's anomalies), the month's disposal report by
  month and by day, and a day's process records as XLSX. Goals: daily report ≤ 1 s, monthly
  disposal ≤ 5 s.

`record` and `reports` share one scratch PostgreSQL database, created, bulk-loaded
(`benchmarks/station_data.py`) and dropped by the script.

    .venv/bin/python benchmarks/station.py [--sections parsers,record,reports] [--frames 100000]
        [--repeat 3] [--per-day 2000] [--records 300] [--runs 10]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import percentile
from station.scales import Reading, ScaleConfig, protocol_for

PARSER_GOAL_FPS = 50_000
RECORD_GOAL_MS = 20
DAILY_GOAL_MS = 1000
DISPOSAL_GOAL_MS = 5000

# (label, protocol, variant, division kg): every frame format the station reads.
FORMS: list[tuple[str, str, str | None, str]] = [
    ("mt-sics", "mt-sics", None, "0.001"),
    ("toledo-continuous", "toledo-continuous", None, "0.01"),
    ("toledo-continuous/no-checksum", "toledo-continuous", "no-checksum", "0.01"),
    ("toledo-8217", "toledo-8217", None, "0.001"),
    ("xk3190 (STX)", "xk3190", None, "0.5"),
    ("xk3190/reversed (=)", "xk3190", "reversed", "0.5"),
    ("xk3190/forward (=)", "xk3190", "forward", "0.5"),
    ("xk3190/command", "xk3190", "command", "0.5"),
    ("yaohua-a12e", "yaohua-a12e", None, "0.001"),
    ("yaohua-a12e/a12", "yaohua-a12e", "a12", "0.001"),
    ("st-gs", "st-gs", None, "0.5"),
    ("st-gs/no-unit", "st-gs", "no-unit", "0.5"),
]


@dataclass(frozen=True)
class ParserResult:
    """One protocol's throughput."""

    label: str
    frames: int
    n_bytes: int
    seconds: float

    @property
    def fps(self) -> float:
        return self.frames / self.seconds


def stream(config: ScaleConfig, n_frames: int, rng: random.Random) -> tuple[bytes, list[bytes]]:
    """`n_frames` valid frames (a random walk of weights, some unstable) and their chunks."""
    protocol = protocol_for(config)
    division = config.division_kg
    steps = 2000
    frames = []
    for _ in range(n_frames):
        steps = max(0, min(5000, steps + rng.randint(-3, 3)))
        weight = (division * steps).quantize(division)
        frames.append(protocol.encode(Reading(weight, "kg", rng.random() > 0.2, "G")))
    data = b"".join(frames)
    if config.protocol == "toledo-continuous":
        data += b"\x02"  # the next frame's STX ends the last one's wait for a checksum
    chunks, pos = [], 0
    while pos < len(data):
        size = rng.randint(8, 64)
        chunks.append(data[pos : pos + size])
        pos += size
    return data, chunks


def bench_parsers(n_frames: int = 100_000, repeat: int = 3, seed: int = 6) -> list[ParserResult]:
    """Decode a generated stream per protocol; raise if any frame is lost or refused."""
    results = []
    for label, name, variant, division in FORMS:
        config = ScaleConfig(
            protocol=name,
            variant=variant,
            port="bench",
            division_kg=Decimal(division),
            capacity_kg=Decimal(6000),
        )
        data, chunks = stream(config, n_frames, random.Random(seed))
        best = float("inf")
        for _ in range(repeat):
            decoder = protocol_for(config).decoder()
            feed = decoder.feed
            started = time.perf_counter()
            out: list[object] = []
            for chunk in chunks:
                out += feed(chunk)
            best = min(best, time.perf_counter() - started)
            bad = [item for item in out if not isinstance(item, Reading)]
            if len(out) != n_frames or bad:
                raise SystemExit(f"{label}: {len(out)} items, {len(bad)} errors: {bad[:3]}")
        results.append(ParserResult(label, n_frames, len(data), best))
    return results


def section_parsers(args: argparse.Namespace) -> str:
    """Print one line per protocol; return the headline."""
    print(f"parsers: {args.frames:,} frames per protocol, chunks of 8-64 bytes, "
          f"best of {args.repeat}")  # fmt: skip
    results = bench_parsers(args.frames, args.repeat)
    for r in results:
        print(
            f"  {r.label:<31} {r.fps:>11,.0f} frames/s  {r.n_bytes / r.seconds / 1e6:6.1f} MB/s"
            f"  ({r.seconds:.3f} s)"
        )
    slowest = min(results, key=lambda r: r.fps)
    return (
        f"slowest parser {slowest.label}: {slowest.fps:,.0f} frames/s "
        f"= {slowest.fps / PARSER_GOAL_FPS:.1f}x the {PARSER_GOAL_FPS:,} frames/s goal"
    )


def section_record(args: argparse.Namespace) -> str:
    from benchmarks.station_reports import record_weighings, round_trips

    database = _database(args)
    gc.freeze()  # what the set-up built stays, as the app's start-up objects do under wsgi.py
    times = record_weighings(database, args.records)
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    trips, statements = round_trips(_database(args), args.records)
    t50, t95 = percentile(trips, 0.5), percentile(trips, 0.95)
    print(f"record: receive a delivery through the services, n={len(times)}")
    print(f"  p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {max(times):6.1f} ms")
    print(f"  baseline SELECT 1 round trip: p50 {t50:5.2f} ms   p95 {t95:5.2f} ms")
    print(f"  statements per receipt: {statements:.0f}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  machine load average (1, 5, 15 min): {load} on {os.cpu_count()} cores")
    verdict = "met" if p95 <= RECORD_GOAL_MS else "missed"
    return f"record p95 {p95:.1f} ms ({verdict}: goal {RECORD_GOAL_MS} ms)"


def section_reports(args: argparse.Namespace) -> str:
    from benchmarks.station_reports import run_reports

    timings = run_reports(_database(args), args.runs)
    print(f"reports: best and median of {args.runs} runs, {args.per_day:,} weighings a day")
    for name, (best, median, rows) in timings.items():
        print(f"  {name:<36} best {best:8.1f} ms   median {median:8.1f} ms   ({rows} rows)")
    daily = timings["inventory (a day)"][1]
    monthly = timings["disposal (month by month)"][1]
    return (
        f"daily report {daily:.0f} ms = {DAILY_GOAL_MS / daily:.0f}x under the {DAILY_GOAL_MS} ms "
        f"goal, monthly disposal {monthly:.0f} ms = {DISPOSAL_GOAL_MS / monthly:.1f}x under the "
        f"{DISPOSAL_GOAL_MS} ms goal"
    )


RESOURCES = ExitStack()
_DATABASE: list[Any] = []


def _database(args: argparse.Namespace) -> Any:
    """The shared scratch database with the month loaded (made on first use)."""
    if not _DATABASE:
        from benchmarks.station_reports import prepare

        _DATABASE.append(RESOURCES.enter_context(prepare(args.per_day)))
    return _DATABASE[0]


SECTIONS: dict[str, Callable[[argparse.Namespace], str]] = {
    "parsers": section_parsers,
    "record": section_record,
    "reports": section_reports,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-day", type=int, default=2000, help="weighings a day, 30 days")
    parser.add_argument("--records", type=int, default=300, help="receipts timed in `record`")
    parser.add_argument("--runs", type=int, default=10, help="runs of each report")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; known: {list(SECTIONS)}")
    with RESOURCES:
        headlines = [SECTIONS[name](args) for name in chosen]
    print("headline: " + "; ".join(headlines))


if __name__ == "__main__":
    main()
