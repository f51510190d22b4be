"""The station's passport hooks (station → passport is allowed): what moves through the stages
appends its EPCIS events in the stage's own transaction, one line at each call site.

- 送料 deliver, 收料 receive: an ObjectEvent (sensor_reporting) per package, the net in
  ``quantityList`` (KGM), gross and tare as ``sensorReport``;
- 分拣 sort: a TransformationEvent split (receipt → outputs, the receipt's chain head
  recorded), then each output's weighing;
- 打包 bale: a TransformationEvent merge (the masses taken from each sorted package → the
  bale), then the bale's weighing;
- 入库 warehouse-in: an ObjectEvent storing at the location;
- 出库 outbound: an ObjectEvent shipping per bale, to the buyer, under the outbound plan.

A package's passport ID is its label (``ST01-SRT-20261201-0007``). Transformations check mass
balance with the station's own allowance (``STATION_TOLERANCE``): the station's quota rules
already raise graded alerts for deviations, so the passport refuses only physically
implausible gains, not the deviations the station is there to report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from fractions import Fraction

from core.units import kg_to_grams
from passport import epcis
from passport.lineage import Tolerance
from passport.services import config, store
from station.models import Package, Weighing

STATION_TOLERANCE = Tolerance(relative=Fraction(5, 100))


def _uri(package: Package) -> str:
    return config.lot_uri(package.label)


def _site(station_id: int) -> str:
    return f"{config.base_url()}/site/station-{station_id}"


def _scale(weighing: Weighing) -> str:
    return f"{config.base_url()}/scale/{weighing.scale_id or 'manual'}"


def weighed(package: Package, weighing: Weighing, now: datetime) -> None:
    """A package weighed at a stage (its passport begins here when it is new)."""
    tare = sum(kg_to_grams(t.get("kg", 0)) for t in weighing.tares or [])
    store.record(
        epcis.weighing(
            _uri(package),
            at=now,
            net_g=weighing.net_g,
            gross_g=weighing.gross_g,
            tare_g=tare or None,
            scale=_scale(weighing),
            location=_site(package.station_id),
        ),
        new_lots=[package.label],
    )


def _head(package: Package) -> tuple[int, str]:
    row = store.get_lot(package.label)
    return row.seq, row.head or ""


def transformed(
    inputs: Sequence[tuple[Package, int]],
    outputs: Sequence[Package],
    kind: str,
    now: datetime,
) -> None:
    """A split (sorting) or merge (baling): inputs with the grams taken, outputs with their net.

    The outputs come into being with the event, registered in its append.
    """
    heads = {_uri(p): _head(p) for p, _grams in inputs}
    event = epcis.transformation(
        [epcis.Portion(_uri(p), grams) for p, grams in inputs],
        [epcis.Portion(_uri(p), p.net_g) for p in outputs],
        at=now,
        kind=kind,  # type: ignore[arg-type]
        input_heads=heads,
        location=_site(outputs[0].station_id),
        tolerance=STATION_TOLERANCE,
    )
    store.record(event, tolerance=STATION_TOLERANCE, new_lots=[p.label for p in outputs])


def sorted_out(
    receipt: Package, outputs: Sequence[tuple[Package, Weighing]], now: datetime
) -> None:
    """分拣: the split, then each output's weighing."""
    transformed([(receipt, receipt.net_g)], [p for p, _w in outputs], "sorting", now)
    for package, weighing in outputs:
        weighed(package, weighing, now)


def baled(
    taken: Sequence[tuple[Package, int]], bale: Package, weighing: Weighing, now: datetime
) -> None:
    """打包: the merge of what was taken from each sorted package, then the bale's weighing."""
    transformed(taken, [bale], "baling", now)
    weighed(bale, weighing, now)


def stored(package: Package, location_code: str, weighing: Weighing, now: datetime) -> None:
    """入库: the bale is stored at a location of the station."""
    location = f"{_site(package.station_id)}/location/{location_code}"
    store.record(epcis.storing(_uri(package), at=now, location=location, mass_g=weighing.net_g))


def shipped(packages: Sequence[Package], buyer_id: int, plan_number: str, now: datetime) -> None:
    """出库: each bale leaves for the buyer under the outbound plan."""
    for package in packages:
        store.record(
            epcis.shipping(
                _uri(package),
                at=now,
                origin=_site(package.station_id),
                destination=f"{config.base_url()}/org/{buyer_id}",
                mass_g=package.net_g,
                transaction=f"{config.base_url()}/outbound/{plan_number}",
            )
        )
