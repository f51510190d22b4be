"""Offline use: plan a benchmark file and print its routes.

    python -m logistics FILE [--time-limit 10]

FILE is a Solomon/Gehring-Homberger `.txt` or a VRPLIB `.vrp`. Prints one line per route
(customer numbers), then the distance, vehicles, dropped stops and what the independent
checker says; exits 1 if the checker finds anything.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from logistics import check_plan, plan, read_solomon, read_vrplib


def main(argv: list[str] | None = None) -> int:
    """The console entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m logistics", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args(argv)
    read = read_vrplib if args.file.suffix.lower() == ".vrp" else read_solomon
    problem = read(args.file)
    result = plan(problem, time_limit_s=args.time_limit)
    for k, route in enumerate(result.routes, 1):
        print(f"Route #{k}: {' '.join(str(s) for s in route)}")
    problems = check_plan(problem, result)
    verdict = "ok" if not problems else problems[:3]
    print(
        f"distance {result.distance:.2f}  vehicles {len(result.routes)}"
        f"  dropped {len(result.dropped)}  checker {verdict}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
