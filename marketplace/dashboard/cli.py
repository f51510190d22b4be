"""`flask dashboard refresh [--all]`: bring the dashboard's daily summaries up to date.

Dashboard reads refresh them too (only the days touched since the last refresh); run this after
a bulk import or a restore, or from cron at night, so the first read of the morning is not the
one that pays for it. `--all` throws the summaries away and rebuilds them from the readings.
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from marketplace.dashboard import summary

dashboard_cli = AppGroup("dashboard", help="驾驶舱汇总 / Dashboard summaries.")


@dashboard_cli.command("refresh")
@click.option("--all", "everything", is_flag=True, help="Rebuild every day from the readings.")
def refresh(everything: bool) -> None:
    """Rebuild the summary days that changed since the last refresh (or every day)."""
    t0 = time.perf_counter()
    n = summary.rebuild_all() if everything else len(summary.refresh())
    click.echo(f"weighing summary: {n} days rebuilt in {time.perf_counter() - t0:.1f} s")
