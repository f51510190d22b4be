"""The demo's service tenders (服务询价): completed ones with ratings, open ones with quotes.

Everything goes through the real services (publish, quote, lower, choose, complete, rate) with
times set in the past, so the history obeys every rule a user would meet. Two fictional carriers
join the demo cluster's one logistics company so that transport requests get competing quotes
and the ranking has ratings to weigh. Deterministic for a given seed and anchor time; runs once
(nothing happens when service requests already exist).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from core import uscc
from core.auth import Actor
from core.db import db
from core.enums import OrgKind, Role
from core.models import Organization, Site
from marketplace.tenders import awards, services
from marketplace.tenders.models import ServiceRequest
from marketplace.tenders.quoting import Basis
from marketplace.trading.eligibility import refusal

CARRIERS = [  # fictional, with real-world coordinates of logistics parks in Dongguan
    {
        "legal_name": "东莞市捷运通物流有限公司（演示）",
        "name_en": "Jieyuntong Logistics (demo)",
        "address": "广东省东莞市厚街镇环岗工业区物流中心",
        "lat": 22.9403,
        "lon": 113.6731,
    },
    {
        "legal_name": "东莞市大岭山顺达货运有限公司（演示）",
        "name_en": "Dalingshan Shunda Freight (demo)",
        "address": "广东省东莞市大岭山镇莲花山工业区",
        "lat": 22.8994,
        "lon": 113.7784,
    },
]
# How well each carrier tends to serve (the stars it gets are drawn around this).
QUALITY = [4.6, 3.8, 3.0]
TRANSPORT_GRADES = ["PA-OCC", "PA-CORR-EDGE", "PL-PE-FILM", "FE-HMS", "TX-COTTON", "PL-PP-REGRIND"]
DISPOSAL_GRADES = ["FE-TURN", "PL-MIXED", "TX-LEATHER", "GL-COLOUR", "EE-PCB"]
COMMENTS = {
    5: "准时到场，装车规范",
    4: "服务不错，略有延误",
    3: "一般",
    2: "迟到较久",
    1: "未按约定",
}


def _actor(org: Organization) -> Actor:
    return Actor(user_id=None, org_id=org.id, org_kind=org.kind, role=Role.OPERATOR)  # type: ignore[arg-type]


def _carriers(rng: random.Random) -> list[Organization]:
    """The demo cluster's carrier plus the two fictional ones (added once)."""
    existing = list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.kind == OrgKind.LOGISTICS)
            .order_by(Organization.id)
        )
    )
    cluster_id = existing[0].cluster_id if existing else None
    names = {o.legal_name for o in existing}
    for c in CARRIERS:
        if c["legal_name"] in names:
            continue
        code = uscc.generate("441900", rng)
        while db.session.scalar(sa.select(Organization.id).where(Organization.uscc == code)):
            code = uscc.generate("441900", rng)
        org = Organization(
            kind=OrgKind.LOGISTICS,
            uscc=code,
            division_code="441900",
            industry_code="G5430",
            industry_name="道路货物运输",
            cluster_id=cluster_id,
            **c,
        )
        org.sites.append(Site(name="车场", address=c["address"], lat=c["lat"], lon=c["lon"]))
        db.session.add(org)
        existing.append(org)
    db.session.flush()
    return existing


def _publish(
    rng: random.Random, org: Organization, kind: str, grade: str, start: datetime
) -> ServiceRequest:
    site = org.sites[0]
    basis = rng.choice([Basis.PER_TONNE, Basis.PER_TONNE, Basis.LUMP_SUM])
    tonnes = Decimal(rng.randint(20, 150)) / 10
    data: dict[str, Any] = {
        "kind": kind,
        "site_id": site.id,
        "grade": grade,
        "quantity_t": tonnes,
        "window_start": (start + timedelta(days=3)).date(),
        "window_end": (start + timedelta(days=6)).date(),
        "description": "演示数据：叉车装货，需带篷布。"
        if kind == "transport"
        else "演示数据：需提供处置资质与转移联单。",
        "deadline": start + timedelta(days=2),
        "basis": basis,
        "budget_yuan": None,
    }
    if rng.random() < 0.4:  # some set a budget, on their basis
        per_t = Decimal(rng.randint(120, 180) if kind == "transport" else rng.randint(400, 700))
        data["budget_yuan"] = per_t if basis is Basis.PER_TONNE else (per_t * tonnes).quantize(1)
    return services.create_request(_actor(org), data, now=start)


def _quotes(
    rng: random.Random,
    request: ServiceRequest,
    providers: list[Organization],
    start: datetime,
    step: timedelta,
) -> None:
    """Each provider quotes once, `step` apart; about a third lower their quote later."""
    base = rng.randint(70, 110) if request.kind.value == "transport" else rng.randint(250, 450)
    tonnes = Decimal(request.quantity_g) / 1_000_000
    for i, org in enumerate(providers):
        per_t = Decimal(base + rng.randint(-15, 25))
        # With a budget, quote on its basis and stay within it.
        basis = (
            request.basis
            if request.budget_fen is not None
            else rng.choice([Basis.PER_TONNE, Basis.LUMP_SUM])
        )
        price = per_t if basis is Basis.PER_TONNE else (per_t * tonnes).quantize(1)
        if request.budget_fen is not None:
            price = min(price, Decimal(request.budget_fen) / 100)
        data = {
            "price_yuan": price,
            "basis": basis,
            "earliest_date": request.window_start,
            "valid_until": request.window_end,
            "note": rng.choice(["", "含税", "9.6 米高栏", "可当天调车"]),
        }
        when = start + step * (i + 1)
        services.submit_quote(_actor(org), request.id, data, now=when)
        if rng.random() < 0.35:
            lower = {**data, "price_yuan": (price * Decimal("0.95")).quantize(Decimal("0.01"))}
            services.submit_quote(_actor(org), request.id, lower, now=when + step / 2)


def _providers(
    rng: random.Random, kind: str, request: ServiceRequest, carriers: list[Organization]
) -> list[Organization]:
    if kind == "transport":
        return rng.sample(carriers, k=rng.randint(2, len(carriers)))
    recyclers = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind == OrgKind.RECYCLER)
        .order_by(Organization.id)
    )
    from marketplace.trading.services import buyer_facts

    facts = services.request_facts(request)
    return [r for r in recyclers if refusal(facts, buyer_facts(r.id, request.created_at)) is None]


def seed_tenders(*, now: datetime, seed: int = 20261201) -> int:
    """Write the demo tenders; returns how many requests were made (0 when already there)."""
    if db.session.scalar(sa.select(sa.func.count(ServiceRequest.id))):
        return 0
    rng = random.Random(seed)
    carriers = _carriers(rng)
    requesters = list(
        db.session.scalars(
            sa.select(Organization)
            .where(Organization.kind.in_([OrgKind.PRODUCER, OrgKind.STATION]))
            .order_by(Organization.id)
        )
    )
    quality = {c.id: QUALITY[i % len(QUALITY)] for i, c in enumerate(carriers)}
    made = 0
    plan = [("transport", d) for d in range(60, 5, -6)] + [("disposal", d) for d in (50, 30, 12)]
    for kind, days_ago in plan:  # history: chosen, done and rated
        org = requesters[0] if made % 3 == 0 else rng.choice(requesters)
        grades = TRANSPORT_GRADES if kind == "transport" else DISPOSAL_GRADES
        start = now - timedelta(days=days_ago)
        request = _publish(rng, org, kind, rng.choice(grades), start)
        made += 1
        providers = _providers(rng, kind, request, carriers)
        if not providers:
            continue
        _quotes(rng, request, providers, start, timedelta(hours=3))
        decided = request.deadline + timedelta(hours=3)
        ranked = awards.ranked_quotes(_actor(org), request.id)
        pick = ranked[0] if rng.random() < 0.8 or len(ranked) == 1 else ranked[1]
        awards.choose(_actor(org), request.id, pick.quote.id, now=decided)
        if days_ago < 8:
            continue  # the newest stays chosen but not yet done
        done = decided + timedelta(days=3)
        awards.complete(_actor(org), request.id, now=done)
        mean = quality.get(pick.quote.organization_id, 4.2)
        stars = max(1, min(5, round(rng.gauss(mean, 0.7))))
        awards.rate(_actor(org), request.id, stars, COMMENTS[stars], now=done)
    for i, (kind, grade) in enumerate(
        [
            ("transport", "PA-OCC"),
            ("transport", "PL-PE-FILM"),
            ("disposal", "FE-TURN"),
            ("transport", "FE-HMS"),
            ("disposal", "PL-MIXED"),
        ]
    ):  # open now, with quotes (the last one still waiting for its first)
        org = requesters[0] if i < 2 else rng.choice(requesters)
        start = now - timedelta(hours=20 + 3 * i)
        request = _publish(rng, org, kind, grade, start)
        made += 1
        if i < 4:
            providers = _providers(rng, kind, request, carriers)
            _quotes(rng, request, providers, start, timedelta(hours=1))
    db.session.flush()
    return made
