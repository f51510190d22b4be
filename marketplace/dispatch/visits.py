"""A vehicle's stops as the driver experiences them: consecutive stops of the same kind at the
same place (several lots delivered to the station in a row, two lots picked up at one plant)
are one visit with several lots.

Why here and not in the model: the planner and the database keep one row per lot — each lot is
confirmed, weighed and traced on its own — but a driver stops once, and a timeline or run sheet
that shows "station, station, station" reads as three trips. The pages number visits, not rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


def place_of(stop: Any) -> tuple[str, float | None, float | None]:
    """Where a stop happens: the destination of a delivery, the site of a pickup."""
    r = stop.request
    if stop.kind == "delivery":
        return (r.dest_name or "", r.dest_lat, r.dest_lon)
    return (r.site_name or "", r.lat, r.lon)


@dataclass
class Visit:
    """One stop of a vehicle, with the lots (route-stop rows) handled there, in order."""

    number: int
    kind: str
    stops: list[Any] = field(default_factory=list)

    @property
    def place(self) -> str:
        return place_of(self.stops[0])[0]

    @property
    def start_s(self) -> int | None:
        return self.stops[0].start_s

    @property
    def service_s(self) -> int:
        """Time at the place: from the first lot's start to the end of the last one's service."""
        first, last = self.stops[0], self.stops[-1]
        if first.start_s is None or last.start_s is None:
            return sum(s.request.service_s or 0 for s in self.stops)
        return last.start_s - first.start_s + (last.request.service_s or 0)

    @property
    def load_kg(self) -> Decimal | None:
        """What is on the truck when it leaves."""
        return self.stops[-1].load_kg

    @property
    def kg(self) -> Decimal:
        return sum((Decimal(s.request.kg) for s in self.stops), Decimal(0))

    @property
    def hazardous(self) -> bool:
        return any(s.request.hazardous for s in self.stops)

    @property
    def hw_codes(self) -> list[str]:
        return sorted({c for s in self.stops for c in (s.request.hw_codes or [])})

    @property
    def confirmed(self) -> bool:
        return all(s.confirmed_at is not None for s in self.stops)


def group(stops: list[Any]) -> list[Visit]:
    """Visits of a run's stops (ordered by seq): a new visit whenever kind or place changes."""
    visits: list[Visit] = []
    for s in stops:
        last = visits[-1] if visits else None
        if last is not None and last.kind == s.kind and place_of(last.stops[-1]) == place_of(s):
            last.stops.append(s)
        else:
            visits.append(Visit(number=len(visits) + 1, kind=s.kind, stops=[s]))
    return visits
