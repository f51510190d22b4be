"""Service requests and quotes: publish, see what is relevant, quote and lower a quote.

Who sees what: the requester (and cluster readers) see its requests with every quote, the
provider's name and rating; a provider sees the open requests it may quote on — transport
requests for logistics companies, disposal requests for recyclers that pass the same
eligibility as bidding on a lot (licence scope and every HW code, haul radius from the nearest
site, remaining monthly capacity: `marketplace.trading.eligibility`) — and, on each, its own
quote history and the current lowest total, never who offered it.

A quote locks its request's row (SELECT … FOR UPDATE), so quotes, revisions and the award on
one request are serialised: the deadline and the state are checked against the latest truth,
and a quote cannot slip in after the award.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core import auth
from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind
from core.errors import Forbidden, Invalid, NotFound
from core.models import Site
from core.units import tonnes_to_grams, yuan_to_fen
from marketplace.lots.models import Lot
from marketplace.tenders import lifecycle, quoting
from marketplace.tenders.lifecycle import ServiceStatus
from marketplace.tenders.models import ServiceQuote, ServiceRequest
from marketplace.tenders.quoting import PROVIDER_KIND, Basis, ServiceKind
from marketplace.trading.eligibility import LotFacts, Refusal, refusal
from marketplace.trading.services import buyer_facts

REQUESTERS = frozenset({OrgKind.PRODUCER, OrgKind.STATION})
PROVIDERS = frozenset(PROVIDER_KIND.values())
MAX_TONNES = Decimal(100_000)
LIST_LIMIT = 200


@dataclass
class RequestView:
    """A request as one reader sees it: its effective status and the auction's standing."""

    request: ServiceRequest
    status: ServiceStatus
    n_providers: int = 0
    lowest_total_fen: int | None = None
    my_quote: ServiceQuote | None = None  # the reader's current quote, for providers
    refusal: Refusal | None = None  # why the reader may not quote, for recyclers


# --- publishing ------------------------------------------------------------------------------


def _grade(code: str) -> Category:
    cat = db.session.scalar(sa.select(Category).where(Category.code == code))
    if cat is None or not cat.active:
        raise Invalid("品级不存在", {"grade": "unknown grade"})
    if cat.parent_id is None:
        raise Invalid("请选择具体品级，而不是大类", {"grade": "a grade, not a family"})
    return cat


def _values(actor: Actor, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Validate a new request; every problem is collected and named at once."""
    site = db.session.get(Site, data["site_id"])
    if site is None or site.organization_id != actor.org_id:
        raise Invalid("场地不存在或不属于本组织", {"site_id": "not one of your sites"})
    lot = None
    if data.get("lot_id") is not None:
        lot = db.session.get(Lot, data["lot_id"])
        if lot is None or lot.organization_id != actor.org_id:
            raise Invalid("只能关联本组织的批次", {"lot_id": "not one of your lots"})
    code = data.get("grade") or (lot.category.code if lot else None)
    if code is None:
        raise Invalid("请选择品级（或关联一个批次）", {"grade": "required without lot_id"})
    grade = _grade(code)
    problems: dict[str, str] = {}
    if lot is not None and lot.category_id != grade.id:
        problems["grade"] = f"the lot is {lot.category.code}"
    tonnes = data.get("quantity_t")
    if tonnes is None and lot is None:
        problems["quantity_t"] = "required without lot_id"
    elif tonnes is not None and not Decimal(0) < tonnes <= MAX_TONNES:
        problems["quantity_t"] = f"must be > 0 and ≤ {MAX_TONNES} t"
    hw_codes = data.get("hw_codes")
    if hw_codes is None:  # the lot's codes, else every code the grade may carry
        if lot is not None:
            from marketplace.lots.services import current_version

            hw_codes = list(current_version(lot).hw_codes)
        else:
            hw_codes = list(grade.hw_codes)
    hw_codes = list(dict.fromkeys(hw_codes))
    if grade.hazardous and (not hw_codes or set(hw_codes) - set(grade.hw_codes)):
        problems["hw_codes"] = f"one or more of {', '.join(grade.hw_codes)}"
    elif not grade.hazardous and hw_codes:
        problems["hw_codes"] = "this grade is not hazardous waste"
    start, end = data["window_start"], data["window_end"]
    if end < start:
        problems["window_end"] = "before window_start"
    elif end < now.date():
        problems["window_end"] = "in the past"
    if data["deadline"] <= now:
        problems["deadline"] = "in the past"
    elif data["deadline"].date() > end:
        problems["deadline"] = "after the service window"
    if problems:
        raise Invalid("服务需求有误：%(names)s", problems, names=", ".join(problems))
    budget = data.get("budget_yuan")
    return {
        "site_id": site.id,
        "category_id": grade.id,
        "lot_id": lot.id if lot else None,
        "quantity_g": tonnes_to_grams(tonnes) if tonnes is not None else lot.quantity_g,  # type: ignore[union-attr]
        "hw_codes": hw_codes,
        "window_start": start,
        "window_end": end,
        "description": data.get("description", ""),
        "deadline": data["deadline"],
        "basis": Basis(data.get("basis", Basis.PER_TONNE)),
        "budget_fen": yuan_to_fen(budget) if budget is not None else None,
    }


def create_request(actor: Actor, data: dict[str, Any], *, now: datetime) -> ServiceRequest:
    """A producer or station publishes a request for quotes from one of its sites."""
    if actor.org_kind not in REQUESTERS:
        raise Forbidden("只有产废企业和回收站可以发布服务需求", {"kind": "producer or station"})
    auth.require_write_org(actor, actor.org_id, target="service_request:new")
    request = ServiceRequest(
        organization_id=actor.org_id,
        created_by=actor.user_id,
        kind=ServiceKind(data["kind"]),
        status=ServiceStatus.OPEN,
        created_at=now,
        **_values(actor, data, now),
    )
    db.session.add(request)
    db.session.flush()
    return request


# --- reading ---------------------------------------------------------------------------------


def current_quotes(request_id: int) -> list[ServiceQuote]:
    """Each provider's latest revision on a request (the quotes that count), cheapest first."""
    latest = (
        sa.select(ServiceQuote.organization_id, sa.func.max(ServiceQuote.revision).label("rev"))
        .where(ServiceQuote.request_id == request_id)
        .group_by(ServiceQuote.organization_id)
        .subquery()
    )
    stmt = (
        sa.select(ServiceQuote)
        .join(
            latest,
            sa.and_(
                ServiceQuote.organization_id == latest.c.organization_id,
                ServiceQuote.revision == latest.c.rev,
            ),
        )
        .where(ServiceQuote.request_id == request_id)
        .order_by(ServiceQuote.total_fen, ServiceQuote.id)
    )
    return list(db.session.scalars(stmt))


def history(request_id: int, org_id: int) -> list[ServiceQuote]:
    """One provider's revisions on a request, newest first (the first is the current quote)."""
    return list(
        db.session.scalars(
            sa.select(ServiceQuote)
            .where(ServiceQuote.request_id == request_id, ServiceQuote.organization_id == org_id)
            .order_by(ServiceQuote.revision.desc())
        )
    )


def _standing(ids: list[int]) -> dict[int, tuple[int, int]]:
    """request id → (providers who quoted, lowest total). Quotes only ever go down, so the
    lowest of all revisions is the lowest current quote."""
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            ServiceQuote.request_id,
            sa.func.count(sa.distinct(ServiceQuote.organization_id)),
            sa.func.min(ServiceQuote.total_fen),
        )
        .where(ServiceQuote.request_id.in_(ids))
        .group_by(ServiceQuote.request_id)
    )
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def request_facts(request: ServiceRequest) -> LotFacts:
    """A request as eligibility facts: its grade, HW codes, site and quantity."""
    return LotFacts(
        family=request.category.family_code,
        grade=request.category.code,
        hw_codes=frozenset(request.hw_codes),
        lat=request.site.lat,
        lon=request.site.lon,
        quantity_g=request.quantity_g,
    )


def licence_refusal(actor: Actor, request: ServiceRequest, *, now: datetime) -> Refusal | None:
    """Why a recycler may not quote on a disposal request (None when it may, or not disposal)."""
    if request.kind is not ServiceKind.DISPOSAL or actor.org_kind is not OrgKind.RECYCLER:
        return None
    return refusal(request_facts(request), buyer_facts(actor.org_id, now))


def _views(actor: Actor, requests: list[ServiceRequest], now: datetime) -> list[RequestView]:
    standing = _standing([r.id for r in requests])
    views = []
    for r in requests:
        n, lowest = standing.get(r.id, (0, None))
        views.append(RequestView(r, lifecycle.effective(r.status, r.deadline, now, n), n, lowest))
    if actor.org_kind in PROVIDERS and requests:
        mine: dict[int, ServiceQuote] = {}
        for q in db.session.scalars(
            sa.select(ServiceQuote)
            .where(
                ServiceQuote.organization_id == actor.org_id,
                ServiceQuote.request_id.in_([r.id for r in requests]),
            )
            .order_by(ServiceQuote.revision)
        ):
            mine[q.request_id] = q  # the last one seen is the latest revision
        for v in views:
            v.my_quote = mine.get(v.request.id)
    return views


def open_for(actor: Actor, *, now: datetime) -> list[RequestView]:
    """The open requests a provider may quote on now (transport or licensed disposal)."""
    kind = next((k for k, who in PROVIDER_KIND.items() if who is actor.org_kind), None)
    if kind is None:
        return []
    requests = list(
        db.session.scalars(
            sa.select(ServiceRequest)
            .where(
                ServiceRequest.status == ServiceStatus.OPEN,
                ServiceRequest.kind == kind,
                ServiceRequest.deadline > now,
            )
            .order_by(ServiceRequest.deadline, ServiceRequest.id)
            .limit(LIST_LIMIT)
        )
    )
    if kind is ServiceKind.DISPOSAL:
        facts = buyer_facts(actor.org_id, now)
        requests = [r for r in requests if refusal(request_facts(r), facts) is None]
    return _views(actor, requests, now)


def quoted_by(actor: Actor, *, now: datetime) -> list[RequestView]:
    """Every request my organisation has quoted on, newest first, with my current quote."""
    ids = sa.select(ServiceQuote.request_id).where(ServiceQuote.organization_id == actor.org_id)
    requests = db.session.scalars(
        sa.select(ServiceRequest)
        .where(ServiceRequest.id.in_(ids))
        .order_by(ServiceRequest.id.desc())
        .limit(LIST_LIMIT)
    )
    return _views(actor, list(requests), now)


def visible(actor: Actor, *, now: datetime) -> list[RequestView]:
    """Requesters: their own requests. Providers: what they may quote on. Readers: all."""
    if actor.org_kind in PROVIDERS:
        return open_for(actor, now=now)
    stmt = sa.select(ServiceRequest).order_by(ServiceRequest.id.desc()).limit(LIST_LIMIT)
    if not (actor.is_admin or actor.is_government):
        stmt = stmt.where(ServiceRequest.organization_id == actor.org_id)
    return _views(actor, list(db.session.scalars(stmt)), now)


def get_view(actor: Actor, request_id: int, *, now: datetime) -> RequestView:
    """One request, if the reader may see it: its requester and cluster readers; a provider of
    the right kind while it may quote on it, and afterwards if it has quoted."""
    request = db.session.get(ServiceRequest, request_id)
    if request is None:
        raise NotFound("服务需求不存在")
    view = _views(actor, [request], now)[0]
    if auth.can_read_org(actor, request.organization_id):
        return view
    if view.my_quote is not None:
        return view
    if PROVIDER_KIND[request.kind] is actor.org_kind and view.status is ServiceStatus.OPEN:
        view.refusal = licence_refusal(actor, request, now=now)
        if view.refusal is None:
            return view
    raise NotFound("服务需求不存在")  # as if absent: others' requests are not listed either


# --- quoting ---------------------------------------------------------------------------------


def lock_request(request_id: int) -> ServiceRequest:
    """The request's row, locked for this transaction and re-read (never a stale copy)."""
    request = db.session.scalar(
        sa.select(ServiceRequest)
        .where(ServiceRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if request is None:
        raise NotFound("服务需求不存在")
    return request


def n_providers(request_id: int) -> int:
    """How many providers have quoted on a request."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(ServiceQuote.organization_id))).where(
                ServiceQuote.request_id == request_id
            )
        )
        or 0
    )


def submit_quote(
    actor: Actor, request_id: int, data: dict[str, Any], *, now: datetime
) -> ServiceQuote:
    """Quote, or lower one's quote (a new revision); refused with the rule that refuses it."""
    request = lock_request(request_id)
    mine = history(request_id, actor.org_id)
    previous = mine[0] if mine else None
    facts = quoting.RequestFacts(
        requester_id=request.organization_id,
        kind=request.kind,
        status=lifecycle.effective(request.status, request.deadline, now, n_providers(request_id)),
        deadline=request.deadline,
        quantity_g=request.quantity_g,
        basis=request.basis,
        budget_fen=request.budget_fen,
    )
    offer = quoting.Offer(
        provider_id=actor.org_id,
        provider_kind=actor.org_kind,
        price_fen=yuan_to_fen(data["price_yuan"]),
        basis=Basis(data["basis"]),
        earliest_date=data["earliest_date"],
        valid_until=data["valid_until"],
    )
    total = quoting.check_quote(
        facts,
        offer,
        previous_total_fen=previous.total_fen if previous else None,
        licence=licence_refusal(actor, request, now=now),
        now=now,
    )
    quote = ServiceQuote(
        request_id=request.id,
        organization_id=actor.org_id,
        user_id=actor.user_id,
        revision=previous.revision + 1 if previous else 1,
        price_fen=offer.price_fen,
        basis=offer.basis,
        total_fen=total,
        earliest_date=offer.earliest_date,
        valid_until=offer.valid_until,
        note=data.get("note", ""),
        created_at=now,
    )
    db.session.add(quote)
    db.session.flush()
    return quote
