"""The routing benchmark hands PyVRP the same problem the planner solves."""

from __future__ import annotations

import logistics
from benchmarks.vrptw import BENCH, best_known, bks, run_ours, run_pyvrp


def test_both_solvers_are_checked_on_the_same_c101() -> None:
    problem = logistics.read_solomon(BENCH / "vrptw/solomon/C101.txt")
    ours = run_ours(problem, 1.0)
    ref = run_pyvrp(problem, 1.0)
    assert ours.problems == []
    assert ref.problems == []  # PyVRP's routes pass our checker: same windows and capacity
    known, convention = best_known(bks(), "C101")  # type: ignore[misc]
    assert convention == "dist_real"
    # on the ×100 integer matrix both are within a few per cent of the real-valued BKS
    assert known * 0.99 < ref.distance < known * 1.05
    assert known * 0.99 < ours.distance < known * 1.08
