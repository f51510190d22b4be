"""A multi-lot passport built in memory through the real modules: listings, weighings, a split,
a merge, a trade, a correction — and lots around it, so the log holds other lots' entries too.

    F1 → HL-A ─ sorting ─▶ HL-A1 ─┐
                      └─▶ HL-A2   ├─ baling ─▶ HL-BALE ─ store, sample, inspect, trade, ship,
    F2 → HL-B ────────────────────┘                      receive, end use
    F3 → HL-C (listed, weighed; its storing corrected by an error declaration)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from passport import checkpoint as cp
from passport import epcis
from passport.epcis import Measurement, Portion
from passport.ids import lot_uri
from passport.ledger import Ledger

HOST = "huanlian.example"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
SITE = f"https://{HOST}/site/ST01"
BUYER_SITE = f"https://{HOST}/site/RC09"
SCALE = f"https://{HOST}/scale/ST01-1"


def org(n: int) -> str:
    return f"https://{HOST}/org/{n}"


def uri(lot: str) -> str:
    return lot_uri(HOST, lot)


@dataclass
class World:
    ledger: Ledger
    key: Any
    public_pem: str
    older: dict[str, Any]
    signed: dict[str, Any]
    bundle: dict[str, Any]


def build_world() -> World:
    """The ledger with two checkpoints, and the bale's bundle proving consistency between them."""
    ledger = Ledger(HOST)
    key = cp.generate_private_key()
    t = iter(T0 + timedelta(minutes=7 * i) for i in range(100))
    for lot, factory, grams in (("HL-A", 1, 1_250_000), ("HL-B", 2, 480_500), ("HL-C", 3, 90_000)):
        ledger.append(
            epcis.listing(
                uri(lot),
                at=next(t),
                producer=org(factory),
                category="paper.occ",
                mass_g=grams,
                grade="OCC-11",
            )
        )
        ledger.append(
            epcis.collection(
                uri(lot), at=next(t), producer=org(factory), collector=org(20), mass_g=grams
            )
        )
        ledger.append(
            epcis.weighing(
                uri(lot),
                at=next(t),
                net_g=grams - 500,
                gross_g=grams + 30_000,
                tare_g=30_500,
                scale=SCALE,
                location=SITE,
            )
        )
    older = ledger.checkpoint(key, next(t))
    ledger.transform(
        [Portion(uri("HL-A"), 1_249_500)],
        [Portion(uri("HL-A1"), 1_000_000), Portion(uri("HL-A2"), 240_000)],
        at=next(t),
        kind="sorting",
    )
    ledger.transform(
        [Portion(uri("HL-A1"), 1_000_000), Portion(uri("HL-B"), 480_000)],
        [Portion(uri("HL-BALE"), 1_478_000)],
        at=next(t),
        kind="baling",
    )
    bale = uri("HL-BALE")
    stored = epcis.storing(uri("HL-C"), at=next(t), location=SITE, mass_g=89_500)
    ledger.append(stored)
    declaration, corrective = epcis.correction(
        stored,
        epcis.storing(uri("HL-C"), at=next(t), location=BUYER_SITE, mass_g=89_500),
        at=next(t),
    )
    ledger.append(declaration)
    ledger.append(corrective)
    ledger.append(epcis.storing(bale, at=next(t), location=SITE, mass_g=1_478_000))
    ledger.append(
        epcis.sampling(bale, at=next(t), sample_g=500, sample=f"https://{HOST}/sample/S-1")
    )
    ledger.append(
        epcis.inspection(
            bale,
            at=next(t),
            conformant=True,
            measurements=[Measurement("Dimensionless", 11.5, "P1")],
        )
    )
    terms = epcis.commitment({"price_fen_per_t": 165_000, "buyer": "ORG-9"}, b"0123456789abcdef")
    ledger.append(
        epcis.trade(
            bale,
            at=next(t),
            transaction=f"https://{HOST}/trade/HLT-77",
            seller=org(30),
            buyer=org(9),
            mass_g=1_478_000,
            terms_commitment=terms,
        )
    )
    ledger.append(
        epcis.shipping(
            bale, at=next(t), origin=SITE, destination=BUYER_SITE, carrier=org(40), mass_g=1_478_000
        )
    )
    ledger.append(
        epcis.receiving(bale, at=next(t), location=BUYER_SITE, receiver=org(9), mass_g=1_476_000)
    )
    ledger.append(epcis.end_use(bale, at=next(t), use="recycling", product="再生箱板纸"))
    ledger.append(
        epcis.weighing(uri("HL-A2"), at=next(t), net_g=239_000, scale=SCALE, location=SITE)
    )
    signed = ledger.checkpoint(key, next(t))
    public_pem = cp.public_key_to_pem(key.public_key())
    bundle = ledger.bundle("HL-BALE", signed, public_pem, at=next(t), older=older)
    return World(ledger, key, public_pem, older, signed, bundle)
