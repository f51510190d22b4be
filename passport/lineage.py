"""Lineage of lots through sorting splits and baling merges, as a networkx graph with mass.

Nodes are lots (their IDs or URIs, whatever the caller uses consistently); an edge parent →
child says that mass of the parent went into the child, with

- ``weight``: the parent's share of the child's inputs, Σ-normalised — ``in_p / Σ in`` for
  the transformation that made the child (material of a transformation is taken as mixed, so
  every output carries its inputs in proportion to their masses);
- ``mass_g``: the grams of the parent that went into the child, ``in_p × out_c / Σ out``;
- ``event``: the transformation's event ID.

**Shares.** The share of each origin factory (or category) in a lot is mass-weighted through
every split and merge: a lot that declares the attribute is 100 % that value; one that does not
inherits Σ weight × share of its parents; a root that declares nothing counts as unknown
(``None``). Fractions are exact (``fractions.Fraction``) so shares sum to exactly 1.

**Rules.** A lot is produced by at most one transformation; a transformation that would make a
cycle (an output that is already an ancestor of an input) is refused; so is one whose outputs
outweigh its inputs beyond the tolerance (Σ out ≤ Σ in × (1 + relative) + absolute). Graphs
read from stored events (``from_events``) keep such an imbalance and flag it instead
(``imbalances``), because history cannot be refused after the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import networkx as nx

from core.errors import Invalid


@dataclass(frozen=True)
class Tolerance:
    """How much heavier outputs may weigh than inputs: weighing error, never a gain of mass."""

    relative: Fraction = Fraction(5, 1000)  # 0.5 % of the inputs
    absolute_g: int = 0

    def allowance_g(self, inputs_g: int) -> Fraction:
        return inputs_g * self.relative + self.absolute_g


DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True)
class Imbalance:
    """A transformation whose outputs outweigh its inputs beyond the tolerance."""

    event: str
    inputs_g: int
    outputs_g: int
    allowance_g: Fraction


def check_mass_balance(
    inputs_g: Sequence[int], outputs_g: Sequence[int], tolerance: Tolerance | None = None
) -> None:
    """Refuse (``Invalid`` on ``outputs``) when Σ outputs > Σ inputs + tolerance."""
    for field, masses in (("inputs", inputs_g), ("outputs", outputs_g)):
        if any(not isinstance(m, int) or isinstance(m, bool) or m < 0 for m in masses):
            raise Invalid("重量必须是非负整数克", {field: "non-negative integer grams"})
    total_in, total_out = sum(inputs_g), sum(outputs_g)
    allowed = (tolerance or DEFAULT_TOLERANCE).allowance_g(total_in)
    if total_out > total_in + allowed:
        raise Invalid(
            "产出重量 %(out)s 克超过投入 %(in_)s 克（容差 %(tol)s 克），质量不平衡",
            {"outputs": "outweigh inputs"},
            out=total_out,
            in_=total_in,
            tol=int(allowed),
        )


class Lineage:
    """The lineage graph; build it with ``add_lot`` / ``add_transformation`` or ``from_events``."""

    def __init__(self) -> None:
        self.graph = nx.DiGraph()
        self.imbalances: list[Imbalance] = []

    def add_lot(self, lot: Hashable, **attributes: Any) -> None:
        """Declare a lot, e.g. ``add_lot("HL-1", factory="ORG-7", category="paper.occ")``."""
        self.graph.add_node(lot)
        self.graph.nodes[lot].update({k: v for k, v in attributes.items() if v is not None})

    def add_transformation(
        self,
        event: str,
        inputs: Mapping[Hashable, int],
        outputs: Mapping[Hashable, int],
        *,
        tolerance: Tolerance | None = None,
        strict: bool = True,
    ) -> None:
        """Add a split or merge; refuses cycles, a second producer, and (strict) mass imbalance."""
        if not inputs or not outputs:
            raise Invalid("转换需要至少一个投入和一个产出", {"outputs": "required"})
        if set(inputs) & set(outputs):
            raise Invalid("同一批次在转换中出现两次", {"outputs": "duplicate lot"})
        try:
            check_mass_balance(list(inputs.values()), list(outputs.values()), tolerance)
        except Invalid:
            if strict:
                raise
            allowed = (tolerance or DEFAULT_TOLERANCE).allowance_g(sum(inputs.values()))
            self.imbalances.append(
                Imbalance(event, sum(inputs.values()), sum(outputs.values()), allowed)
            )
        for output in outputs:
            if output in self.graph and self.graph.in_degree(output):
                raise Invalid(
                    "批次 %(lot)s 已由另一次转换产出",
                    {"outputs": "produced twice"},
                    lot=str(output),
                )
            for source in inputs:
                if (
                    output in self.graph
                    and source in self.graph
                    and nx.has_path(self.graph, output, source)
                ):
                    raise Invalid(
                        "转换会形成循环：%(lot)s 已是投入的来源",
                        {"outputs": "cycle"},
                        lot=str(output),
                    )
        total_in, total_out = sum(inputs.values()), sum(outputs.values())
        for lot in (*inputs, *outputs):
            self.graph.add_node(lot)
        for source, mass_in in inputs.items():
            for output, mass_out in outputs.items():
                weight = Fraction(mass_in, total_in) if total_in else Fraction(1, len(inputs))
                flow = Fraction(mass_in * mass_out, total_out) if total_out else Fraction(0)
                self.graph.add_edge(source, output, weight=weight, mass_g=round(flow), event=event)

    def ancestors(self, lot: Hashable) -> set[Hashable]:
        """Every lot that went (directly or not) into `lot`."""
        return nx.ancestors(self.graph, lot) if lot in self.graph else set()

    def descendants(self, lot: Hashable) -> set[Hashable]:
        """Every lot that `lot` went into."""
        return nx.descendants(self.graph, lot) if lot in self.graph else set()

    def shares(self, lot: Hashable, attribute: str) -> dict[Any, Fraction]:
        """The mass-weighted share of each value of `attribute` (e.g. ``factory``) in `lot`."""
        if lot not in self.graph:
            raise Invalid("批次不在谱系中：%(lot)s", {"lot": "unknown"}, lot=str(lot))
        memo: dict[Hashable, dict[Any, Fraction]] = {}
        for node in nx.topological_sort(self.graph.subgraph({lot} | self.ancestors(lot))):
            declared = self.graph.nodes[node].get(attribute)
            parents = list(self.graph.predecessors(node))
            if declared is not None or not parents:
                memo[node] = {declared: Fraction(1)}
                continue
            mixed: dict[Any, Fraction] = {}
            for parent in parents:
                weight = self.graph.edges[parent, node]["weight"]
                for value, share in memo[parent].items():
                    mixed[value] = mixed.get(value, Fraction(0)) + weight * share
            memo[node] = mixed
        return dict(sorted(memo[lot].items(), key=lambda kv: (-kv[1], str(kv[0]))))

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        """Nodes and edges as plain data (for the page's graph and for export)."""
        return {
            "nodes": [{"id": n, **attrs} for n, attrs in self.graph.nodes(data=True)],
            "edges": [
                {
                    "from": a,
                    "to": b,
                    "mass_g": d["mass_g"],
                    "weight": str(d["weight"]),
                    "event": d["event"],
                }
                for a, b, d in self.graph.edges(data=True)
            ],
        }

    @classmethod
    def from_events(
        cls,
        events: Iterable[Mapping[str, Any]],
        *,
        lot_of: Callable[[str], Hashable] = str,
        tolerance: Tolerance | None = None,
    ) -> Lineage:
        """The lineage of stored TransformationEvents (KGM quantities), imbalances flagged.

        Events retracted by an error declaration are left out; their corrective events count.
        """
        events = list(events)
        retracted = {e.get("eventID") for e in events if "errorDeclaration" in e}
        lineage = cls()
        for position, event in enumerate(events):
            if event.get("type") != "TransformationEvent" or "errorDeclaration" in event:
                continue
            if event.get("eventID") in retracted:
                continue
            sides = []
            for key in ("inputQuantityList", "outputQuantityList"):
                side: dict[Hashable, int] = {}
                for element in event.get(key) or []:
                    if element.get("uom") != "KGM" or not isinstance(
                        element.get("quantity"), int | float
                    ):
                        raise Invalid(
                            "转换事件缺少以千克计的数量", {f"eventList[{position}].{key}": "KGM"}
                        )
                    lot = lot_of(element["epcClass"])
                    side[lot] = side.get(lot, 0) + round(element["quantity"] * 1000)
                sides.append(side)
            lineage.add_transformation(
                str(event.get("eventID", position)),
                sides[0],
                sides[1],
                tolerance=tolerance,
                strict=False,
            )
        return lineage
