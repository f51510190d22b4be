"""The market's passport hooks: each lifecycle step appends its EPCIS event in the same
transaction as the step itself (a one-line call at each call site).

A market lot's passport ID is ``HL-`` + its id padded to six digits (``HL-000042``); parties
and sites are opaque URIs (``<base>/org/<id>``, ``<base>/site/<id>``), never names, prices or
contacts — the events are public. What members of a trade may see beyond them comes from
``member_details``, plugged into ``passport.hooks`` at start-up.

| step | call site | event |
|---|---|---|
| listing | ``lots.services.publish_lot`` | ObjectEvent ADD, commissioning (producer, category) |
| award | ``trading.services._award`` (auction close and accepted offer) | TransactionEvent |
| pickup | ``trading.trades.confirm_pickup``, ``dispatch.services.confirm`` | ObjectEvent shipping |
| collection of a recurring lot | ``dispatch.services.confirm`` | ObjectEvent shipping |
| delivery | ``trading.trades.confirm_delivery`` | ObjectEvent receiving, weighbridge net |
| end use | ``trading.certificates.close`` | ObjectEvent DELETE, decommissioning |

A lot that was listed before passports existed gets its listing event the first time a later
step needs it, so every chain starts at a listing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from core.catalogue import Category
from core.db import db
from core.models import Organization
from core.units import fen_to_yuan
from marketplace.lots.models import Lot
from marketplace.trading.models import Trade
from passport import epcis, hooks
from passport.models import PassportLot
from passport.services import config, store

END_USES = {"recycling": "recycling", "reuse": "reuse", "energy": "energy_recovery"}


def passport_id(lot_id: int) -> str:
    """The passport ID of a market lot."""
    return f"HL-{lot_id:06d}"


def org_uri(org_id: int) -> str:
    return f"{config.base_url()}/org/{org_id}"


def site_uri(site_id: int) -> str:
    return f"{config.base_url()}/site/{site_id}"


def trade_uri(trade_id: int) -> str:
    return f"{config.base_url()}/trade/{trade_id}"


def listed(lot: Lot, now: datetime) -> None:
    """The lot is published: its passport begins (or a re-listing is recorded)."""
    pid = passport_id(lot.id)
    category = db.session.get(Category, lot.category_id)
    store.record(
        epcis.listing(
            config.lot_uri(pid),
            at=now,
            producer=org_uri(lot.organization_id),
            category=category.code if category else str(lot.category_id),
            mass_g=lot.quantity_g,
            site=site_uri(lot.site_id),
        ),
        new_lots=[pid],
    )


def _ensure(lot: Lot, now: datetime) -> str:
    """The lot's passport URI, with its listing event first if it never had one."""
    pid = passport_id(lot.id)
    row = db.session.get(PassportLot, pid)
    if row is None or row.seq == 0:
        listed(lot, min(lot.listed_at or now, now))
    return config.lot_uri(pid)


def awarded(trade: Trade, lot: Lot, now: datetime) -> None:
    """The award: a TransactionEvent from seller to buyer (no price: that is for members)."""
    uri = _ensure(lot, now)
    store.record(
        epcis.trade(
            uri,
            at=now,
            transaction=trade_uri(trade.id),
            seller=org_uri(trade.seller_id),
            buyer=org_uri(trade.buyer_id),
            mass_g=trade.quantity_g,
        )
    )


def picked_up(
    trade: Trade, now: datetime, *, mass_g: int | None = None, carrier_id: int | None = None
) -> None:
    """The buyer's carrier collects the lot: shipping, in transit. A dispatched truck's driver
    gives the weight loaded and the carrier (``dispatch.services.confirm``)."""
    uri = _ensure(trade.lot, now)
    store.record(
        epcis.shipping(
            uri,
            at=now,
            origin=site_uri(trade.lot.site_id),
            destination=org_uri(trade.buyer_id),
            carrier=org_uri(carrier_id) if carrier_id is not None else None,
            mass_g=trade.quantity_g if mass_g is None else mass_g,
            transaction=trade_uri(trade.id),
        )
    )


def collected(lot: Lot, now: datetime, *, mass_g: int, carrier_id: int) -> None:
    """A dispatched truck collects a recurring lot's load for the station (no trade yet):
    shipping from the site into the carrier's hands, with the weight the driver recorded."""
    uri = _ensure(lot, now)
    store.record(
        epcis.shipping(
            uri,
            at=now,
            origin=site_uri(lot.site_id),
            destination=org_uri(carrier_id),
            carrier=org_uri(carrier_id),
            mass_g=mass_g,
        )
    )


def delivered(trade: Trade, now: datetime) -> None:
    """Arrival at the buyer with the weighbridge net."""
    uri = _ensure(trade.lot, now)
    store.record(
        epcis.receiving(
            uri,
            at=now,
            location=org_uri(trade.buyer_id),
            receiver=org_uri(trade.buyer_id),
            mass_g=trade.net_g,
            transaction=trade_uri(trade.id),
        )
    )


def closed(trade: Trade, now: datetime) -> None:
    """The buyer confirms the end use: the lot's passport ends."""
    uri = _ensure(trade.lot, now)
    use = END_USES.get(trade.end_use_kind or "", "disposal")
    store.record(epcis.end_use(uri, at=now, use=use, product=trade.end_use))  # type: ignore[arg-type]


def member_details(lot: str, actor: Any) -> dict[str, Any] | None:
    """Price, parties and their contacts for the seller's and the buyer's members only."""
    if not lot.startswith("HL-") or not lot[3:].isdigit():
        return None
    row = db.session.get(Lot, int(lot[3:]))
    if row is None:
        return None
    trade = db.session.scalar(sa.select(Trade).where(Trade.lot_id == row.id))
    members = {row.organization_id} | ({trade.buyer_id} if trade else set())
    if actor.org_id not in members:
        return None
    details: dict[str, Any] = {_("批次"): row.title}
    if row.ask_fen_per_t is not None:
        details[_("报价（元/吨）")] = fen_to_yuan(row.ask_fen_per_t)
    if trade is not None:
        details[_("成交价（元/吨）")] = fen_to_yuan(trade.price_fen_per_t)
        for label, org_id in ((_("卖方"), trade.seller_id), (_("买方"), trade.buyer_id)):
            org = db.session.get(Organization, org_id)
            if org is not None:
                contact = f"{org.contact_name} {org.contact_phone}".strip()
                details[label] = f"{org.legal_name} · {contact}" if contact else org.legal_name
    return details


def plug_in() -> None:
    """Give the passport the market's view of who may see a lot's private details."""
    hooks.plug_in(member_details)
