"""logistics is a plain library: no Flask, SQLAlchemy, nor any package of ours, nor PyVRP."""

from __future__ import annotations

import subprocess
import sys


def test_logistics_imports_no_flask_database_or_our_packages() -> None:
    code = (
        "import sys, logistics, logistics.kpis, logistics.zones, logistics.replan,"
        " logistics.synthetic, logistics.checker, logistics.distances;"
        "bad = [m for m in ('flask', 'sqlalchemy', 'flask_sqlalchemy', 'marketplace', 'core',"
        " 'station', 'passport', 'matching', 'pyvrp', 'vrplib') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
