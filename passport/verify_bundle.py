"""Verify a passport export bundle offline: ``python -m passport.verify_bundle bundle.json``.

Needs only this package's pure modules and its PyPI libraries (no platform, no database, no
network: the JSON-LD context and the schema ship in ``passport/data``). Prints one line per
problem (where, code, message) and a summary; exit status 0 when the bundle verifies, 1 when
problems were found, 2 when a file cannot be read.

    python -m passport.verify_bundle bundle.json \\
        [--public-key platform.pem]     # pin the platform's published key (recommended)
        [--kept checkpoint.json]        # a signed checkpoint you saved earlier
        [--schema EPCIS-JSON-Schema.json ...]   # more schemas the document must pass
        [--expand] [--lang zh|en] [--json]

Without ``--public-key`` the bundle is checked against the key it carries, which proves it is
intact but not who signed it: compare the printed key ID with the one the platform publishes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from passport.validate import validator
from passport.verify import verify_bundle


class DuplicateKey(ValueError):
    """JSON with a repeated key: readers disagree on which value wins, so it is refused."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f"duplicate key {key!r}")
        result[key] = value
    return result


def read_json(path: Path) -> Any:
    """A JSON file, refusing repeated keys (RFC 8785 input must not have any)."""
    return json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m passport.verify_bundle", description=__doc__.split("\n")[0]
    )
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--public-key", type=Path, help="PEM of the platform key you trust")
    parser.add_argument("--kept", type=Path, help="a signed checkpoint you kept")
    parser.add_argument(
        "--schema", type=Path, action="append", default=[], help="extra JSON Schema"
    )
    parser.add_argument("--expand", action="store_true", help="also expand the document as JSON-LD")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        bundle = read_json(args.bundle)
        trusted = args.public_key.read_text(encoding="ascii") if args.public_key else None
        kept = read_json(args.kept) if args.kept else None
        extra = [(path.name, validator(read_json(path))) for path in args.schema]
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = verify_bundle(bundle, trusted_key=trusted, kept=kept, extra=extra, expand=args.expand)
    if args.json:
        print(json.dumps(report.to_json(args.lang), ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    for item in report.problems:
        print(f"{item.where}: [{item.code}] {item.text(args.lang)}")
    verdict = (
        ("OK" if report.ok else f"{len(report.problems)} problem(s)")
        if args.lang == "en"
        else ("验证通过" if report.ok else f"发现 {len(report.problems)} 个问题")
    )
    print(
        f"{verdict} — lot {report.lot}, {report.events} events, log size {report.tree_size}, "
        f"checkpoint {report.checkpoint_time}, key {report.key_id}"
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
