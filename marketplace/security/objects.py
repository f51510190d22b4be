"""Object-level guard for writes: before a view changes an object named in its URL, the
caller's organisation must be a party to it.

Services already check ownership, but two patterns let a refusal slip past the audit log or
answer something other than 403/404: API views validate the request body before the service
looks at the object (a stranger got 422), and page views catch the service's refusal and
redirect with a flash message (a stranger got 302, unaudited). This guard runs before the view,
so every write by a non-party is refused (404 where the services hide such objects from
strangers, 403 where they refuse them) with an `access.denied` entry. Reads stay with the
services: what a user may *see* (listed lots, open service requests) is wider than what it may
change.

`tests/marketplace/test_object_access.py` fails for an object route that writes without a party
lookup here and is not declared shared there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import request

from core.db import db
from core.errors import Forbidden, NotFound

Parties = Callable[[Any], set[int] | None]  # path value → organisations that may change it


def _column(model_path: str, *columns: str, key: str = "id") -> Parties:
    def parties(value: Any) -> set[int] | None:
        module, name = model_path.rsplit(".", 1)
        model = getattr(__import__(module, fromlist=[name]), name)
        row = db.session.execute(
            sa.select(*(getattr(model, c) for c in columns)).where(getattr(model, key) == value)
        ).first()
        return None if row is None else {v for v in row if v is not None}

    return parties


def _bid(value: Any) -> set[int] | None:
    from marketplace.lots.models import Lot
    from marketplace.trading.models import Bid

    row = db.session.execute(
        sa.select(Lot.organization_id).join(Bid, Bid.lot_id == Lot.id).where(Bid.id == int(value))
    ).first()
    return None if row is None else {row[0]}


def _dispute(value: Any) -> set[int] | None:
    from marketplace.trading.models import Dispute, Trade

    row = db.session.execute(
        sa.select(Trade.seller_id, Trade.buyer_id)
        .join(Dispute, Dispute.trade_id == Trade.id)
        .where(Dispute.id == int(value))
    ).first()
    return None if row is None else set(row)


def _stop(value: Any) -> set[int] | None:
    from marketplace.dispatch.models import RoutePlan, RouteStop

    row = db.session.execute(
        sa.select(RoutePlan.organization_id)
        .join(RouteStop, RouteStop.plan_id == RoutePlan.id)
        .where(RouteStop.id == int(value))
    ).first()
    return None if row is None else {row[0]}


def _token(value: Any) -> set[int] | None:
    from core.models import ApiToken, User

    row = db.session.execute(
        sa.select(User.organization_id)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.id == int(value))
    ).first()
    return None if row is None else {row[0]}


def _webhook_delivery(value: Any) -> set[int] | None:
    from marketplace.notify.models import WebhookDelivery, WebhookEndpoint

    row = db.session.execute(
        sa.select(WebhookEndpoint.organization_id)
        .join(WebhookDelivery, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
        .where(WebhookDelivery.id == int(value))
    ).first()
    return None if row is None else {row[0]}


def _org(value: Any) -> set[int] | None:
    return {int(value)}


ST = "station.models"
# parameter, or parameter@blueprint where one name means two things → who may change it
PARTIES: dict[str, Parties] = {
    "lot_id": _column("marketplace.lots.models.Lot", "organization_id"),
    "bid_id": _bid,
    "trade_id": _column("marketplace.trading.models.Trade", "seller_id", "buyer_id"),
    "dispute_id": _dispute,
    "plan_id@dispatch": _column("marketplace.dispatch.models.RoutePlan", "organization_id"),
    "plan_id@dispatch_api": _column("marketplace.dispatch.models.RoutePlan", "organization_id"),
    "plan_id@station": _column(f"{ST}.OutboundPlan", "station_id"),
    "plan_id@station_api": _column(f"{ST}.OutboundPlan", "station_id"),
    "stop_id": _stop,
    "token_id": _token,
    "org_id": _org,
    "notification_id": _column("marketplace.notify.models.Notification", "organization_id"),
    "endpoint_id": _column("marketplace.notify.models.WebhookEndpoint", "organization_id"),
    "delivery_id@webhooks": _webhook_delivery,
    "delivery_id@webhooks_api": _webhook_delivery,
    "delivery_id@station_api": _column(f"{ST}.Delivery", "station_id"),
    "request_id": _column("marketplace.tenders.models.ServiceRequest", "organization_id"),
    "wanted_id": _column("marketplace.lots.models.WantedRequest", "organization_id"),
    "weighing_id": _column(f"{ST}.Weighing", "station_id"),
    "order_id": _column(f"{ST}.WorkOrder", "station_id"),
    "alert_id": _column(f"{ST}.Alert", "station_id"),
    "scale_id": _column(f"{ST}.Scale", "organization_id"),
    "label": _column(f"{ST}.Package", "station_id", key="label"),
}
# Where the services answer a stranger "not found" (the object is hidden from it), the guard
# does the same; elsewhere it answers 403 as they do, so a client sees one convention per kind.
HIDDEN = frozenset(
    {
        "plan_id@dispatch",
        "plan_id@dispatch_api",
        "stop_id",
        "plan_id@station",
        "plan_id@station_api",
        "delivery_id@station_api",
        "weighing_id",
        "order_id",
        "alert_id",
        "scale_id",
        "label",
        "notification_id",
    }
)
# Writes on another organisation's object that are the point of the feature.
OPEN_WRITES = frozenset(
    {
        "trading_api.place_bid",
        "trading.place_bid",
        "tenders_api.submit_quote",
        "tenders.quote",
        "wanted_api.answer_wanted",
        "lots.wanted_answer",
        "security_admin.pii_erase",  # admin only, by kind rule
        "catalogue_api.update_category",  # reference data, admin only
        "jobs_api.retry_job",  # admin only, by kind rule: re-runs anyone's failed job
    }
)
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def lookups_for(endpoint: str, arguments: set[str]) -> list[tuple[str, Parties, bool]]:
    """(parameter, party lookup, hidden?) for a route, the most specific object first."""
    blueprint = endpoint.split(".")[0]
    found = []
    for name in sorted(arguments, key=lambda n: n not in ("bid_id", "dispute_id")):
        key = f"{name}@{blueprint}" if f"{name}@{blueprint}" in PARTIES else name
        if key in PARTIES:
            found.append((name, PARTIES[key], key in HIDDEN))
    return found


def guard_writes() -> None:
    """Before-request hook (after the access rule): refuse a non-party's write as not found."""
    from flask import g

    actor = g.get("actor")
    if request.method in SAFE or actor is None or actor.is_admin or not request.view_args:
        return
    endpoint = request.endpoint or ""
    if endpoint in OPEN_WRITES:
        return
    for name, lookup, hidden in lookups_for(endpoint, set(request.view_args))[:1]:
        parties = lookup(request.view_args[name])
        if parties is None:
            return  # no such object: the view answers its own 404
        if actor.org_id not in parties:
            g.denial_audited = True  # the error handler writes the entry
            err = NotFound("对象不存在") if hidden else Forbidden("无权修改其他组织的数据")
            err.audit = {  # type: ignore[attr-defined]
                "user_id": actor.user_id,
                "organization_id": actor.org_id,
                "target": f"{name}:{request.view_args[name]}",
            }
            raise err
