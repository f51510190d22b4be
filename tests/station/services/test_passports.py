"""Every stage appends to the passports of what it moved: weighings with the net in KGM and the
scale's reading, the sorting split and the baling merge with their inputs' chain heads,
warehouse-in and outbound — and the bale's passport verifies with its whole lineage."""

from __future__ import annotations

import sqlalchemy as sa

from core.db import db
from passport.services import proofs, scan, store
from station.models import Package, Stage
from tests.station.services.test_stages import test_a_delivery_goes_through_every_stage as journey


def steps(label: str) -> list[str]:
    return [str(e.get("bizStep")).rsplit("/", 1)[-1] for e in store.lot_events(label)]


def of_stage(stage: Stage) -> list[Package]:
    return list(db.session.scalars(sa.select(Package).where(Package.stage == stage)))


def test_the_stages_write_the_passports(app, station, weigh) -> None:
    journey(app, station, weigh)
    delivered = of_stage(Stage.DELIVER)
    assert {tuple(steps(p.label)) for p in delivered} == {("sensor_reporting",)}
    weighing = store.lot_events(delivered[0].label)[0]
    assert weighing["quantityList"][0]["uom"] == "KGM"
    assert weighing["quantityList"][0]["quantity"] == 250.0
    reports = weighing["sensorElementList"][0]["sensorReport"]
    assert {r["uom"] for r in reports} == {"KGM"}
    assert reports[0]["value"] == 250.0
    (receipt,) = of_stage(Stage.RECEIVE)
    assert steps(receipt.label) == ["sensor_reporting", "sorting"]
    plastic = next(p for p in of_stage(Stage.SORT) if p.material == "高值塑料")
    assert steps(plastic.label) == ["sorting", "sensor_reporting", "baling"]
    (bale,) = of_stage(Stage.BALE)
    assert steps(bale.label) == ["baling", "sensor_reporting", "storing", "shipping"]
    split = store.lot_events(plastic.label)[0]
    head = split["ilmd"]["hl:inputHeads"][0]
    assert head["hl:lot"].endswith(receipt.label)
    assert head["hl:seq"] == 1  # the receipt's head before the split: its weighing
    report = proofs.verify_lot(bale.label)
    assert report.ok, report.problems
    assert set(proofs.ancestors(bale.label, proofs.stored_log().size)) == {
        bale.label,
        plastic.label,
        receipt.label,
    }
    graph = scan.lineage_graph(bale.label)
    assert {n["id"] for n in graph.nodes} >= {bale.label, plastic.label, receipt.label}
