"""A plan's routes as GeoJSON (RFC 7946: [lon, lat]): one LineString per vehicle from its depot
through its stops and back, one Point per visit (several lots at one place are one stop). The
plan page's map draws the same document, so the export and the map cannot disagree."""

from __future__ import annotations

from typing import Any

from marketplace.dispatch.models import RoutePlan
from marketplace.dispatch.problem import clock

COLOURS = ("#198754", "#0d6efd", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#d63384", "#6c757d")


def _point(stop: Any) -> list[float] | None:
    r = stop.request
    lat, lon = (r.dest_lat, r.dest_lon) if stop.kind == "delivery" else (r.lat, r.lon)
    return None if lat is None or lon is None else [round(lon, 6), round(lat, 6)]


def routes(plan: RoutePlan, runs: list[Any]) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    for k, run in enumerate(runs):
        if not run.stops:
            continue
        colour = COLOURS[k % len(COLOURS)]
        depot = run.vehicle.depot
        home = [round(depot.lon, 6), round(depot.lat, 6)] if depot is not None else None
        line = [home] if home else []
        for visit in run.visits:  # several lots at one place are one point
            s = visit.stops[0]
            pt = _point(s)
            if pt is None:
                continue
            line.append(pt)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": pt},
                    "properties": {
                        "vehicle": run.vehicle.plate,
                        "seq": visit.number,
                        "kind": s.kind,
                        "name": visit.place,
                        "lots": len(visit.stops),
                        "start": clock(s.start_s),
                        "colour": colour,
                    },
                }
            )
        if home:
            line.append(home)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "vehicle": run.vehicle.plate,
                    "stops": len(run.stops),
                    "colour": colour,
                },
            }
        )
    return {"type": "FeatureCollection", "name": f"plan-{plan.id}-{plan.day}", "features": features}
