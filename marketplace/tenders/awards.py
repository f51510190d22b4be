"""Choosing a quote (the service award, 服务订单), cancelling, completing, rating; the ranking.

Choosing locks the request's row (SELECT … FOR UPDATE, re-read) so two clicks or two users
serialise: the second sees the request already awarded and gets the lifecycle's 409. The
unique `service_awards.request_id` is the second line, for a database without row locks. The
requester may choose any current, still-valid quote of the request — not only the top-ranked —
before or after the deadline.

A provider's rating is the mean and count of the stars requesters gave it after completed
services (shown as 4.6 ★ (12); "no rating yet" without any, never 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from core import audit, auth
from core.auth import Actor
from core.db import db
from core.errors import Conflict, Invalid, NotFound
from core.models import Organization
from marketplace.tenders import lifecycle, ranking
from marketplace.tenders.lifecycle import LABELS, ServiceStatus
from marketplace.tenders.models import ServiceAward, ServiceQuote, ServiceRating, ServiceRequest
from marketplace.tenders.services import current_quotes, lock_request, n_providers


@dataclass(frozen=True)
class RankedQuote:
    """A current quote with its place in the ranking and its provider's rating."""

    quote: ServiceQuote
    ranked: ranking.Ranked
    rating: ranking.Rating


def ratings(org_ids: list[int]) -> dict[int, ranking.Rating]:
    """Each provider's ratings (count and stars); providers without any are absent."""
    if not org_ids:
        return {}
    rows = db.session.execute(
        sa.select(ServiceRating.provider_id, sa.func.count(), sa.func.sum(ServiceRating.stars))
        .where(ServiceRating.provider_id.in_(org_ids))
        .group_by(ServiceRating.provider_id)
    )
    return {r[0]: ranking.Rating(int(r[1]), int(r[2])) for r in rows}


def rating_of(org_id: int) -> ranking.Rating:
    """One provider's rating (an empty Rating when it has none yet)."""
    if db.session.get(Organization, org_id) is None:
        raise NotFound("组织不存在")
    return ratings([org_id]).get(org_id, ranking.Rating())


def ranked_quotes(actor: Actor, request_id: int) -> list[RankedQuote]:
    """The current quotes ranked by score, for the requester and cluster readers only."""
    request = db.session.get(ServiceRequest, request_id)
    if request is None:
        raise NotFound("服务需求不存在")
    auth.require_read_org(actor, request.organization_id, target=f"service_request:{request_id}")
    quotes = current_quotes(request_id)
    by_org = ratings([q.organization_id for q in quotes])
    candidates = {
        q.id: ranking.Candidate(
            q.id, q.total_fen, by_org.get(q.organization_id, ranking.Rating()), q.created_at
        )
        for q in quotes
    }
    quote_by_id = {q.id: q for q in quotes}
    return [
        RankedQuote(quote_by_id[r.quote_id], r, candidates[r.quote_id].rating)
        for r in ranking.rank(list(candidates.values()))
    ]


def _own_locked(actor: Actor, request_id: int) -> ServiceRequest:
    request = lock_request(request_id)
    auth.require_write_org(actor, request.organization_id, target=f"service_request:{request_id}")
    return request


def _state(request: ServiceRequest, now: datetime) -> ServiceStatus:
    return lifecycle.effective(request.status, request.deadline, now, n_providers(request.id))


def choose(actor: Actor, request_id: int, quote_id: int, *, now: datetime) -> ServiceAward:
    """The requester chooses a quote: the request is awarded to its provider at its price."""
    request = _own_locked(actor, request_id)
    quote = db.session.get(ServiceQuote, quote_id)
    if quote is None or quote.request_id != request.id:
        raise Invalid("报价不属于该服务需求", {"quote_id": "not a quote of this request"})
    target = lifecycle.check(_state(request, now), ServiceStatus.AWARDED)
    latest = next(
        q for q in current_quotes(request.id) if q.organization_id == quote.organization_id
    )
    if latest.id != quote.id:
        raise Conflict(
            "该报价已被服务商的新报价取代，请选择其最新报价",
            {"quote_id": f"superseded by quote {latest.id}"},
        )
    if now.date() > quote.valid_until:
        raise Conflict("报价已过有效期", {"quote_id": f"valid until {quote.valid_until}"})
    request.status = target
    award = ServiceAward(
        request_id=request.id,
        quote_id=quote.id,
        provider_id=quote.organization_id,
        requester_id=request.organization_id,
        price_fen=quote.price_fen,
        basis=quote.basis,
        total_fen=quote.total_fen,
        awarded_at=now,
        awarded_by=actor.user_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(award)
            db.session.flush()
    except IntegrityError as exc:  # only without row locks: the constraint catches the race
        raise Conflict("该服务需求已定标", {"request": "already awarded"}) from exc
    audit.record(
        "service.awarded",
        user_id=actor.user_id,
        organization_id=request.organization_id,
        target=f"service_request:{request.id}",
        provider=quote.organization_id,
        total_fen=quote.total_fen,
    )
    return award


def cancel(actor: Actor, request_id: int, *, now: datetime) -> ServiceRequest:
    """The requester withdraws an open request (quotes stay on record)."""
    request = _own_locked(actor, request_id)
    request.status = lifecycle.check(_state(request, now), ServiceStatus.CANCELLED)
    request.cancelled_at = now
    db.session.flush()
    return request


def complete(actor: Actor, request_id: int, *, now: datetime) -> ServiceAward:
    """The requester confirms the chosen service was done."""
    request = _own_locked(actor, request_id)
    request.status = lifecycle.check(_state(request, now), ServiceStatus.COMPLETED)
    award = request.award
    assert award is not None  # awarded is the only way to completed
    award.completed_at = now
    db.session.flush()
    return award


def rate(
    actor: Actor, request_id: int, stars: int, comment: str = "", *, now: datetime
) -> ServiceRating:
    """The requester rates the provider of a completed service, once, 1–5 stars."""
    request = _own_locked(actor, request_id)
    if request.status is not ServiceStatus.COMPLETED:
        err = Conflict(
            "服务完成后才能评价（当前：%(status)s）",
            {"status": request.status.value},
            status=_state(request, now).value,
        )
        err.state_labels = LABELS  # type: ignore[attr-defined]
        raise err
    if not 1 <= stars <= 5:
        raise Invalid("评分应为1至5星", {"stars": "between 1 and 5"})
    award = request.award
    assert award is not None
    if award.rating is not None:
        raise Conflict("该服务已评价", {"rating": "already rated"})
    rating = ServiceRating(
        award_id=award.id,
        provider_id=award.provider_id,
        requester_id=request.organization_id,
        stars=stars,
        comment=comment,
        created_at=now,
        created_by=actor.user_id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(rating)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("该服务已评价", {"rating": "already rated"}) from exc
    return rating
