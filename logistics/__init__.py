"""Consolidated pickup routing (a plain library: OR-Tools, networkx, geopy, numpy only).

`read_solomon` / `read_vrplib` load benchmark files, `plan(problem, time_limit_s=…)` solves,
`check_plan` verifies a plan independently, `kpis` measures it against one trip per request.
"""

from logistics.checker import check_plan, check_routes, service_starts
from logistics.model import (
    Depot,
    Destination,
    InvalidProblem,
    Issue,
    Problem,
    Request,
    Vehicle,
    check,
    delivery_id,
    validate,
)
from logistics.plan import Dropped, Plan, Route, plan
from logistics.readers import read_solomon, read_vrplib

__all__ = [
    "Depot",
    "Destination",
    "Dropped",
    "InvalidProblem",
    "Issue",
    "Plan",
    "Problem",
    "Request",
    "Route",
    "Vehicle",
    "check",
    "check_plan",
    "check_routes",
    "delivery_id",
    "plan",
    "read_solomon",
    "read_vrplib",
    "service_starts",
    "validate",
]
