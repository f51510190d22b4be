"""The OR-Tools routing model, built from integer arrays only.

This is the only module that imports OR-Tools (its sample APIs move between minor releases).
Everything the search evaluates is registered as data — transit matrices
(`RegisterTransitMatrix`) and unary vectors (`RegisterUnaryTransitVector`) — so the search
never calls back into Python, which is what keeps it fast on 1,000 stops.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2, routing_ils_pb2
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
    zone: bool = False  # one zone of a larger day (`logistics.zones`)


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


def descent_params(
    a: Arrays, start: str, seconds: float
) -> pywrapcp.DefaultRoutingSearchParameters:
    """One first-solution strategy (a `FirstSolutionStrategy` name) taken to a local optimum."""
    p = _params(a, seconds)
    p.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, start)
    p.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    return p


def _search(routing: pywrapcp.RoutingModel, a: Arrays, time_limit_s: float) -> object:
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
    best, best_cost, spent = None, None, 0.0
    for name in STARTS:
        t = time.perf_counter()
        sol = routing.SolveWithParameters(descent_params(a, name, time_limit_s * START_SHARE))
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
    """A built routing model with its index manager and time dimension (None: untimed)."""

    routing: pywrapcp.RoutingModel
    manager: pywrapcp.RoutingIndexManager
    tdim: object


def build(a: Arrays) -> Model:
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
    return Model(routing, manager, tdim)


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
    """The solution's routes, service starts and drops, with the search's `status`."""
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

    A day with time to spare goes to iterated local search (`iterated`); pickup-and-delivery
    days, days over `LARGE` stops, re-plans with locked stops and short limits go to guided
    local search (`_search`)."""
    deadline = time.monotonic() + time_limit_s
    nv = len(a.starts)
    if iterates(a, time_limit_s):
        found = iterated(a, deadline)
        if found is not None:
            m, sol = found
            # SolveWithIteratedLocalSearch leaves the model's status at ROUTING_NOT_SOLVED
            # even when it returns a plan; a returned plan is a success
            return _extract(a, m, sol, "ROUTING_SUCCESS")
    m = build(a)
    sol = _search(m.routing, a, max(0.05, deadline - time.monotonic()))
    status = routing_enums_pb2.RoutingSearchStatus.Value.Name(m.routing.status())
    if sol is None:
        return Solved([[] for _ in range(nv)], [], [(0, 0)] * nv, list(a.optional), status, -1)
    return _extract(a, m, sol, status)


MIN_ILS_S = 2.0  # below this the whole limit goes to one guided local search
ILS_STARTS = ("SAVINGS", "PARALLEL_CHEAPEST_INSERTION", "PATH_CHEAPEST_ARC")
# move operators that are themselves small ruin-and-recreates (insertion LNS, expensive-chain
# relocation): inside ILS they repeat the perturbation's work and took most of each descent
HEAVY_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_global_cheapest_insertion_visit_types_lns",
    "use_local_cheapest_insertion_visit_types_lns",
    "use_relocate_expensive_chain",
)


def iterates(a: Arrays, time_limit_s: float) -> bool:
    """Whether the day goes to iterated local search: at least `MIN_ILS_S`, more than one
    vehicle, no locked stops, no pickup-and-delivery pairs and at most `LARGE` stops (a zone
    of a larger day is one of these).

    Pairs and days over `LARGE` stops keep the search they were measured with (GLS, with
    limited neighbourhoods on large days), re-plans keep their locks. Plain CVRP iterates too:
    X-n101, X-n200 and X-n502 at 10 s gave a mean ratio to PyVRP of 1.0141 against 1.0261 with
    guided local search in the same run."""
    return (
        time_limit_s >= MIN_ILS_S
        and not a.locks
        and not a.closed
        and not a.pairs
        and len(a.starts) > 1
        and a.n <= LARGE
    )


def ruin_only(a: Arrays) -> bool:
    """Whether iterated local search skips its descent after each ruin-and-recreate: for an
    untimed zone of a large day, as SISR itself does.

    Measured, not derived: on X-n1001's five zones (12 s each) the descent-free search gave
    75,819 and 75,847 in two runs against 76,956 with it (−1.4 %); X-n502's three zones
    −0.2 %. On whole days of 100–200 stops it did not pay (X-n101, X-n200 +0.3 to +0.75 %)
    and with time windows it was far worse (Solomon goal set 1.0193 against 1.0038), so
    those keep the descent."""
    return a.zone and not _timed(a)


def _ils_params(a: Arrays, start: str, seconds: float) -> pywrapcp.DefaultRoutingSearchParameters:
    """Iterated local search: SISR ruin (strings removed from routes near a random stop, the
    ruin of Christiaens & Vanden Berghe), re-insertion by local cheapest insertion, a greedy
    descent (none for `ruin_only` days), simulated-annealing acceptance of the reference plan
    (temperatures from the plan's own cost scale)."""
    ruin = ruin_only(a)
    p = descent_params(a, start, seconds)
    p.use_iterated_local_search = True
    for name in HEAVY_OPERATORS:
        setattr(p.local_search_operators, name, OFF)
    ils = p.iterated_local_search_parameters
    ils.perturbation_strategy = routing_ils_pb2.PerturbationStrategy.RUIN_AND_RECREATE
    ils.improve_perturbed_solution = not ruin
    rr = ils.ruin_recreate_parameters
    rr.ruin_composition_strategy = routing_ils_pb2.RuinCompositionStrategy.RUN_ONE_RANDOMLY
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = 10  # the SISR paper's L_max and c-bar
    # without the descent a ruin must move more to leave the basin: 20 stops on average gave
    # X-n1001's zones 75,315 and 75,384 against 75,795–75,847 with 10 (5: 78,893; 30: 75,568)
    sisr.avg_num_removed_visits = 20 if ruin else 10
    sisr.bypass_factor = 0.01
    ils.reference_solution_acceptance_strategy.simulated_annealing.automatic_temperatures = True
    return p


def iterated(a: Arrays, deadline: float) -> tuple[Model, object] | None:
    """OR-Tools' iterated local search from each of `ILS_STARTS` for an equal share of the
    time left; the best plan with its model (None: no start gave one).

    Why: guided local search on tight windows settles in one basin (the same distance to the
    metre whatever the time limit); ruin-and-recreate leaves it. Why three starts: one run
    follows one trajectory, and which construction leads to the best one varies from day to
    day (on the Solomon goal set, ILS from savings alone gave a mean ratio to PyVRP of 1.0076,
    from the cheapest arc 1.0062, the three in turn 1.0047). ILS must be entered through
    `SolveWithIteratedLocalSearch`: `SolveWithParameters` ignores `use_iterated_local_search`
    and stops at the first local optimum. Each start gets a fresh model, so the returned
    assignment is not overwritten by a later solve."""
    best: tuple[Model, object] | None = None
    for k, start in enumerate(ILS_STARTS):
        share = (deadline - time.monotonic()) / (len(ILS_STARTS) - k)
        if share < 0.05:
            break
        m = build(a)
        sol = m.routing.SolveWithIteratedLocalSearch(_ils_params(a, start, share))
        if sol is not None and (best is None or sol.ObjectiveValue() < best[1].ObjectiveValue()):  # type: ignore[attr-defined]
            best = (m, sol)
    return best
