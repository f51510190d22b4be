"""The OR-Tools routing model, built from integer arrays only.

This is the only module that imports OR-Tools (its sample APIs move between minor releases).
Everything the search evaluates is registered as data — transit matrices
(`RegisterTransitMatrix`) and unary vectors (`RegisterUnaryTransitVector`) — so the search
never calls back into Python, which is what keeps it fast on 1,000 stops.
"""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util.optional_boolean_pb2 import BOOL_FALSE as OFF

LARGE = 400  # nodes from which neighbourhoods are limited


@dataclass
class Arrays:
    """A compiled problem. Node 0..n-1; vehicles start and end at nodes `starts`/`ends`.

    `time_class[v]` picks a row of `times` (travel seconds incl. the service time of the
    origin); `cost_class[v]` a row of `costs` (arc cost). `windows[i]` is a list of (start,
    end) of the service start; `allowed[i]` the vehicles that may visit node i (None: all)."""

    n: int
    starts: list[int]
    ends: list[int]
    dist: np.ndarray
    times: list[np.ndarray]
    time_class: list[int]
    costs: list[np.ndarray]
    cost_class: list[int]
    loads: list[tuple[str, list[int], list[int]]]  # (name, demand per node, capacity per vehicle)
    windows: list[list[tuple[int, int]]]
    shift: list[tuple[int, int]]
    max_shift: list[int | None]
    span_cost: list[int]
    fixed_cost: list[int]
    allowed: list[list[int] | None]
    pairs: list[tuple[int, int]]
    optional: list[int]  # nodes that may be dropped (with `penalty`)
    penalty: int
    horizon: int
    locks: dict[int, list[int]] = field(default_factory=dict)
    lock_times: dict[int, int] = field(default_factory=dict)
    earliest_start: dict[int, int] = field(default_factory=dict)  # vehicle → min start
    closed: set[int] = field(default_factory=set)  # vehicles that end after their locks
    not_before: int = 0  # re-planning: nothing not yet done may start before now


@dataclass
class Solved:
    """Routes as node lists (without start/end), with service start and loads per node."""

    routes: list[list[int]]
    starts: list[int]  # service start time per visited node, aligned with routes
    begin: list[tuple[int, int]]  # per vehicle: (leave start, arrive end)
    dropped: list[int]
    status: str
    objective: int


def _params(a: Arrays, time_limit_s: float) -> pywrapcp.DefaultRoutingSearchParameters:
    p = pywrapcp.DefaultRoutingSearchParameters()
    fs = routing_enums_pb2.FirstSolutionStrategy
    p.first_solution_strategy = (
        fs.PARALLEL_CHEAPEST_INSERTION if a.pairs or a.n > LARGE else fs.PATH_CHEAPEST_ARC
    )
    p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    p.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    if a.n > LARGE:
        # only the nearest neighbours are tried by the move operators; expensive chain and
        # cross-exchange moves grow quadratically and starve GLS of iterations
        p.ls_operator_neighbors_ratio = min(1.0, 40 / a.n)
        p.ls_operator_min_neighbors = 20
        p.local_search_operators.use_relocate_expensive_chain = OFF
        p.local_search_operators.use_cross_exchange = OFF
        p.heuristic_close_nodes_lns_num_nodes = 5
    return p


STARTS = (
    "PATH_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_INSERTION",
    "PARALLEL_CHEAPEST_INSERTION",
    "SAVINGS",
)
START_SHARE = 0.1  # of the time limit, per first-solution strategy tried


def _search(
    routing: pywrapcp.RoutingModel, a: Arrays, time_limit_s: float, full_s: float | None = None
) -> object:
    """Several first solutions, each taken to a local optimum, then guided local search
    from the best for the rest of the time.

    No one construction wins on every kind of day: insertion heuristics build far better
    starts when windows are tight, the cheapest-arc path when they are wide, and GLS does
    not always recover from a poor start within a dispatcher's time limit; savings builds
    the many short routes that wide windows want (without it a 200-stop wide-window day
    stayed 12 % above the best known instead of 3 %). Trying the four briefly and keeping the
    best is cheaper than guessing the kind of day."""
    if a.pairs or a.n > LARGE or time_limit_s < 1.0:
        return routing.SolveWithParameters(_params(a, time_limit_s))
    fs = routing_enums_pb2.FirstSolutionStrategy
    best, best_cost, spent = None, None, 0.0
    for name in STARTS:
        p = _params(a, (full_s or time_limit_s) * START_SHARE)
        p.first_solution_strategy = getattr(fs, name)
        p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        t = time.perf_counter()
        sol = routing.SolveWithParameters(p)
        spent += time.perf_counter() - t
        if sol is not None and (best_cost is None or sol.ObjectiveValue() < best_cost):
            best, best_cost = routing.solver().Assignment(sol), sol.ObjectiveValue()
    rest = _params(a, max(0.05, time_limit_s - spent))
    if best is None:
        return routing.SolveWithParameters(rest)
    sol = routing.SolveFromAssignmentWithParameters(best, rest)
    return sol if sol is not None else best


def _timed(a: Arrays) -> bool:
    """Whether time constrains anything. A plain CVRP (no windows, shifts, spans or locks)
    gets no time dimension at all: on 1,000 stops its cumul and slack variables made every
    local-search move so slow that GLS never left the first solution."""
    if a.locks or a.not_before or any(a.span_cost) or any(m is not None for m in a.max_shift):
        return True
    if any(s > 0 or e < a.horizon - 1 for s, e in a.shift):
        return True
    depots = set(a.starts) | set(a.ends)
    return any(a.windows[i] != [(0, a.horizon)] for i in range(a.n) if i not in depots)


def _untimed_schedule(a: Arrays, v: int, route: list[int]) -> list[int]:
    """Leave at the shift start, no waiting: times at start, each stop, end."""
    t = a.times[a.time_class[v]]
    clock, prev = a.shift[v][0], a.starts[v]
    out = [clock]
    for node in [*route, a.ends[v]]:
        clock += int(t[prev, node])
        out.append(clock)
        prev = node
    return out


def _time_dimension(
    routing: pywrapcp.RoutingModel, manager: pywrapcp.RoutingIndexManager, a: Arrays
) -> object:
    """The time dimension: travel + service per vehicle speed, windows with their gaps cut
    out, shifts, maximum shift, span cost, pickup before delivery, locked times."""
    nv = len(a.starts)
    time_cb = [routing.RegisterTransitMatrix(m.tolist()) for m in a.times]
    routing.AddDimensionWithVehicleTransits(
        [time_cb[a.time_class[v]] for v in range(nv)], a.horizon, a.horizon, False, "time"
    )
    tdim = routing.GetDimensionOrDie("time")
    depots = set(a.starts) | set(a.ends)
    for node in range(a.n):
        if node in depots:
            continue
        ws = sorted(a.windows[node])
        cumul = tdim.CumulVar(manager.NodeToIndex(node))
        cumul.SetRange(ws[0][0], ws[-1][1])
        if node in a.lock_times:
            cumul.SetValue(a.lock_times[node])
        elif a.not_before:
            cumul.SetMin(max(ws[0][0], a.not_before))
        for (_, e1), (s2, _) in itertools.pairwise(ws):
            if s2 - 1 >= e1 + 1:
                cumul.RemoveInterval(e1 + 1, s2 - 1)
    for v in range(nv):
        s, e = a.shift[v]
        tdim.CumulVar(routing.Start(v)).SetRange(max(s, a.earliest_start.get(v, s)), e)
        tdim.CumulVar(routing.End(v)).SetRange(s, e)
        if a.max_shift[v] is not None:
            tdim.SetSpanUpperBoundForVehicle(a.max_shift[v], v)
        if a.span_cost[v]:
            tdim.SetSpanCostCoefficientForVehicle(a.span_cost[v], v)
        routing.AddVariableMaximizedByFinalizer(tdim.CumulVar(routing.Start(v)))
        routing.AddVariableMinimizedByFinalizer(tdim.CumulVar(routing.End(v)))
    for p, d in a.pairs:
        routing.solver().Add(
            tdim.CumulVar(manager.NodeToIndex(p)) <= tdim.CumulVar(manager.NodeToIndex(d))
        )
    return tdim


@dataclass
class Model:
    """A built routing model; `disabled` vehicles are forced empty (route minimisation)."""

    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    tdim: object
    disabled: frozenset[int] = frozenset()


def build(a: Arrays, disabled: frozenset[int] = frozenset()) -> Model:
    """The routing model of `a`, closed by the first solve."""
    nv = len(a.starts)
    manager = pywrapcp.RoutingIndexManager(a.n, nv, a.starts, a.ends)
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    cost_cb = [routing.RegisterTransitMatrix(m.tolist()) for m in a.costs]
    for v in range(nv):
        routing.SetArcCostEvaluatorOfVehicle(cost_cb[a.cost_class[v]], v)
        if a.fixed_cost[v]:
            routing.SetFixedCostOfVehicle(a.fixed_cost[v], v)

    tdim = _time_dimension(routing, manager, a) if _timed(a) else None
    for name, demand, caps in a.loads:
        cb = routing.RegisterUnaryTransitVector(demand)
        routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, name)
    for node in range(a.n):
        if node in a.starts or node in a.ends:
            continue
        idx = manager.NodeToIndex(node)
        if a.allowed[node] == []:
            solver.Add(routing.ActiveVar(idx) == 0)  # no vehicle may serve it
        elif a.allowed[node] is not None:
            # the vehicle-visit restriction; SetAllowedVehiclesForIndex's SWIG wrapper rejects
            # every Python sequence in OR-Tools 9.15, so the domain of VehicleVar is cut instead
            keep = set(a.allowed[node])
            routing.VehicleVar(idx).RemoveValues([v for v in range(nv) if v not in keep])
    for p, d in a.pairs:
        pi, di = manager.NodeToIndex(p), manager.NodeToIndex(d)
        routing.AddPickupAndDelivery(pi, di)  # same route, pickup first
        solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
    locked = {node for chain in a.locks.values() for node in chain}
    for node in a.optional:
        if node not in locked:
            routing.AddDisjunction([manager.NodeToIndex(node)], a.penalty)
    for v, chain in a.locks.items():
        prev = routing.Start(v)
        for node in chain:
            idx = manager.NodeToIndex(node)
            solver.Add(routing.NextVar(prev) == idx)
            prev = idx
    for v in a.closed:
        prev = routing.Start(v)
        for node in a.locks.get(v, []):
            prev = manager.NodeToIndex(node)
        solver.Add(routing.NextVar(prev) == routing.End(v))
    for v in disabled:
        solver.Add(routing.NextVar(routing.Start(v)) == routing.End(v))
    return Model(routing, manager, tdim, frozenset(disabled))


def routes_of(m: Model, sol: object) -> list[list[int]]:
    """Node lists per vehicle (start and end left out) of a solution of `m`."""
    out = []
    for v in range(m.routing.vehicles()):
        idx = sol.Value(m.routing.NextVar(m.routing.Start(v)))  # type: ignore[attr-defined]
        route = []
        while not m.routing.IsEnd(idx):
            route.append(m.manager.IndexToNode(idx))
            idx = sol.Value(m.routing.NextVar(idx))  # type: ignore[attr-defined]
        out.append(route)
    return out


def _extract(a: Arrays, m: Model, sol: object, status: str) -> Solved:
    """The solution's routes, service starts and drops; `status` is the first phase's (a
    later ruin-and-recreate round that found nothing better must not make it a failure)."""
    nv = len(a.starts)
    routes = routes_of(m, sol)
    starts: list[int] = []
    begin: list[tuple[int, int]] = []
    visited = {node for r in routes for node in r}
    for v in range(nv):
        if m.tdim is not None:
            idx = sol.Value(m.routing.NextVar(m.routing.Start(v)))  # type: ignore[attr-defined]
            while not m.routing.IsEnd(idx):
                starts.append(sol.Value(m.tdim.CumulVar(idx)))  # type: ignore[attr-defined]
                idx = sol.Value(m.routing.NextVar(idx))  # type: ignore[attr-defined]
            begin.append(
                (sol.Value(m.tdim.CumulVar(m.routing.Start(v))),  # type: ignore[attr-defined]
                 sol.Value(m.tdim.CumulVar(m.routing.End(v))))  # type: ignore[attr-defined]
            )  # fmt: skip
        else:
            times = _untimed_schedule(a, v, routes[v])
            starts.extend(times[1:-1])
            begin.append((times[0], times[-1]))
    dropped = [i for i in a.optional if i not in visited]
    return Solved(routes, starts, begin, dropped, status, sol.ObjectiveValue())  # type: ignore[attr-defined]


def solve(a: Arrays, time_limit_s: float) -> Solved:
    """Build and solve; always returns (empty routes with everything dropped at worst).

    With time to spare on a timed day, the search is split: the first-solution portfolio and
    guided local search for `MAIN_SHARE` of the limit, then route minimisation
    (`fewer_routes`), then ruin-and-recreate rounds from the best plan for the last
    `FINAL_SHARE` (`ruin_and_recreate`)."""
    deadline = time.monotonic() + time_limit_s
    nv = len(a.starts)
    m = build(a)
    # staged on timed days only: on plain CVRP (X-n1001's zones) it measured no better than
    # guided local search alone, and there the route count is set by capacity, not windows
    staged = (
        time_limit_s >= MIN_STAGED_S
        and m.tdim is not None
        and not a.locks
        and not a.closed
        and nv > 1
    )
    sol = _search(m.routing, a, time_limit_s * MAIN_SHARE if staged else time_limit_s, time_limit_s)
    if sol is None:
        status = routing_enums_pb2.RoutingSearchStatus.Value.Name(m.routing.status())
        return Solved([[] for _ in range(nv)], [], [(0, 0)] * nv, list(a.optional), status, -1)
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(m.routing.status())
    servable = [i for i in a.optional if a.allowed[i] != []]
    if staged and len({x for r in routes_of(m, sol) for x in r}) < len(servable):
        # stops still dropped after the first phase: the whole time goes to guided local
        # search, which is what inserts them (the later phases only take what is better)
        sol = m.routing.solver().Assignment(sol)
        rest = deadline - time.monotonic()
        again = (
            m.routing.SolveFromAssignmentWithParameters(sol, _params(a, rest))
            if rest > 0.05
            else None
        )
        if again is not None and again.ObjectiveValue() <= sol.ObjectiveValue():
            sol = again
            status = routing_enums_pb2.RoutingSearchStatus.Value.Name(m.routing.status())
        return _extract(a, m, sol, status)
    if not staged:
        return _extract(a, m, sol, status)
    best_m, best = fewer_routes(a, m, sol, deadline - time_limit_s * FINAL_SHARE)
    best_m, best = ruin_and_recreate(a, m, best_m, best, deadline, time_limit_s * RUIN_SLICE)
    return _extract(a, best_m, best, status)


def ruin_and_recreate(
    a: Arrays, m: Model, best_m: Model, best: object, deadline: float, slice_s: float
) -> tuple[Model, object]:
    """Large-neighbourhood restarts until `deadline`: remove the `RUIN_SHARE` of stops
    nearest to a random one from the best plan, re-insert them and descend to a local optimum
    (at most `slice_s`), keep the result when its objective is lower.

    Why: guided local search on tight windows settles in one basin (the same distance to the
    metre whatever the time limit); a ruined neighbourhood rebuilt from scratch is the move
    that leaves it. The seed is fixed, so a plan is reproducible given the same time."""
    rng = random.Random(len(a.starts) * 7919 + a.n)
    if best_m is m:  # the model's own assignment is overwritten by its next solve
        best = m.routing.solver().Assignment(best)
    routes = routes_of(best_m, best)
    stops = [node for r in routes for node in r]
    k = max(2, round(len(stops) * RUIN_SHARE))
    partner = {p: d for p, d in a.pairs} | {d: p for p, d in a.pairs}
    misses = 0
    while stops and time.monotonic() + min(slice_s, 0.2) < deadline:
        seed = rng.choice(stops)
        gone = set(np.argsort(a.dist[seed])[: k + len(a.starts)].tolist()) & set(stops)
        gone = set(sorted(gone, key=lambda x: a.dist[seed][x])[:k])
        gone |= {partner[x] for x in gone if x in partner}  # a pickup goes with its delivery
        kept = [[x for x in r if x not in gone] for r in routes]
        hint = m.routing.ReadAssignmentFromRoutes(kept, True)
        if hint is None:
            # after a solve that ended on its time limit the model rejected every hint, even
            # the best plan's own routes (seen on R203); a fresh model of the same arrays
            # takes it
            m = build(a)
            hint = m.routing.ReadAssignmentFromRoutes(kept, True)
        if hint is None:
            misses += 1
            if misses > 20:
                break
            continue
        p = _params(a, min(slice_s, deadline - time.monotonic()))
        p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        found = m.routing.SolveFromAssignmentWithParameters(hint, p)
        if found is not None and found.ObjectiveValue() < best.ObjectiveValue():  # type: ignore[attr-defined]
            best_m, best = m, m.routing.solver().Assignment(found)
            routes = routes_of(best_m, best)
            stops = [node for r in routes for node in r]
    return best_m, best


MIN_STAGED_S = 2.0  # below this the whole limit goes to one search
MAIN_SHARE = 0.3  # of the limit: first solutions and guided local search
SLICE_SHARE = 0.1  # of the limit, per attempt to empty a route
FINAL_SHARE = 0.45  # of the limit kept for ruin and recreate
RUIN_SHARE = 0.15  # of the served stops removed per ruin-and-recreate round
RUIN_SLICE = 0.05  # of the limit, per ruin-and-recreate round


def fewer_routes(a: Arrays, m: Model, sol: object, until: float) -> tuple[Model, object]:
    """Route minimisation: empty the route with the fewest stops and re-insert its stops with
    that vehicle (and every unused one) disabled, by guided local search from the remaining
    routes; repeat while it works and time is left (until `until`, time.monotonic()).

    Why: on tight windows guided local search settles with one or two routes more than
    needed and cannot get rid of them (emptying a route costs more than any single move
    gains); one route fewer usually also means less distance. An attempt is kept only when it
    serves as many stops at a lower objective, so the result is never worse than the input;
    one that serves fewer tries the next-shortest route once, one that is longer ends the
    phase (on wide windows fewer routes are not shorter, and the time is better spent by
    guided local search)."""
    nv = len(a.starts)
    slice_s = max(0.2, (until - time.monotonic()) * SLICE_SHARE / (1 - MAIN_SHARE - FINAL_SHARE))
    best_m, best = m, sol
    current = routes_of(m, sol)
    served = sum(len(r) for r in current)
    failures = 0
    while failures < 2 and time.monotonic() + slice_s <= until:
        used = [v for v in range(nv) if current[v]]
        if len(used) < 2:
            break
        order = sorted(used, key=lambda v: (len(current[v]), _route_cost(a, v, current[v])))
        victim = order[min(failures, len(order) - 1)]
        trial = build(a, frozenset(v for v in range(nv) if not current[v]) | {victim})
        hint = trial.routing.ReadAssignmentFromRoutes(  # a fresh model: closes it
            [[] if v == victim else r for v, r in enumerate(current)], True
        )
        found = (
            None
            if hint is None
            else trial.routing.SolveFromAssignmentWithParameters(hint, _params(a, slice_s))
        )
        routes = routes_of(trial, found) if found is not None else None
        if routes is None or sum(len(r) for r in routes) < served:
            failures += 1
            continue
        if found.ObjectiveValue() >= best.ObjectiveValue():  # type: ignore[union-attr, attr-defined]
            break  # served by fewer routes but longer (wide windows): the time goes to GLS
        failures, current, best_m, best = 0, routes, trial, found
    return best_m, best


def _route_cost(a: Arrays, v: int, route: list[int]) -> int:
    seq = [a.starts[v], *route, a.ends[v]]
    return int(sum(a.costs[a.cost_class[v]][x, y] for x, y in itertools.pairwise(seq)))
