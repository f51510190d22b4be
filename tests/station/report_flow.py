"""A small known history for the report tests: on 30 Nov (Dongguan) a delivery of mixed
plastic is received (998 kg), sorted (850 + 119.8 kg), 500.2 kg of it baled and stored at A-01,
and a second delivery is received 100 kg short (an anomaly); on 1 Dec a stock-take finds the
bale at 500.0 kg (−0.2) and it leaves on an outbound load."""

from datetime import timedelta
from decimal import Decimal

from core.db import db
from marketplace.trading import escrow, ledger
from station.models import Package, TareKind
from station.services import outbound, setup, stages, stock
from station.services.weigh import Gross, TareSpec
from tests.station.conftest import T0

TZ = "Asia/Shanghai"
BOX = (TareSpec(TareKind.CONTAINER, "BOX-60"),)
TRUCK = TareSpec(TareKind.VEHICLE, "粤S12345")
PALLET = TareSpec(TareKind.PALLET, "PLT-1210")


def run(s) -> dict:
    """Run the history through the services and commit; returns the packages' labels."""

    def weigh(kg: str) -> Gross:
        return Gross(Decimal(kg), s.scale.id, f"\x02+{kg}\x03".encode())

    def delivery(number: str):
        return setup.create_delivery(
            s.operator,
            station_id=s.org.id,
            factory_id=s.factory.id,
            number=number,
            grade="PL-MIXED",
            record_ids=[s.record.id],
            vehicle_plate="粤S12345",
            now=T0,
        )

    first = delivery("SL-001")
    stages.deliver(s.operator, first.id, [(weigh("252.5"), BOX)] * 4, now=T0, tz=TZ)
    received = stages.receive(
        s.operator, first.id, weigh("5198"), [TRUCK], now=T0 + timedelta(hours=1), tz=TZ
    )
    receipt = db.session.get(Package, received.package_id)
    plastic, _paper, _total = stages.sort(
        s.operator,
        receipt.label,
        [stages.Output("高值塑料", weigh("850")), stages.Output("二类纸", weigh("119.8"))],
        now=T0 + timedelta(hours=2),
        tz=TZ,
    )
    plastic_label = db.session.get(Package, plastic.package_id).label
    baled = stages.bale(
        s.operator,
        {plastic_label: Decimal("500")},
        weigh("518.2"),
        [PALLET],
        now=T0 + timedelta(hours=3),
        tz=TZ,
    )
    bale = db.session.get(Package, baled.package_id)
    stages.warehouse_in(
        s.operator, bale.label, "A-01", weigh("518.2"), [PALLET], now=T0 + timedelta(hours=4)
    )
    short = delivery("SL-002")
    stages.receive(s.operator, short.id, weigh("5100"), [TRUCK], now=T0 + timedelta(hours=5), tz=TZ)
    db.session.commit()

    next_day = T0 + timedelta(days=1)
    stock.stocktake(s.operator, bale.label, Decimal("500.0"), "盘点复核", now=next_day)
    plan = outbound.create_plan(
        s.operator,
        buyer_id=s.buyer.id,
        grade="PL-PP-REGRIND",
        planned_kg=Decimal("500"),
        unit_price_fen_per_t=520_000,
        now=next_day,
    )
    escrow.post(ledger.top_up(s.buyer.id, 400_000))
    outbound.approve(s.manager, plan.id, now=next_day)
    outbound.load(
        s.operator,
        plan.id,
        vehicle_plate="粤S12345",
        gross=weigh("4700.0"),
        vehicle_tare=TRUCK,
        labels=[bale.label],
        vehicle_capacity_kg=Decimal("10000"),
        now=next_day + timedelta(hours=1),
    )
    db.session.commit()
    return {"bale": bale.label, "receipt": receipt.label}
