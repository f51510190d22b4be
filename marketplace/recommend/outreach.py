"""Reaching buyers: a producer's invitation to one recommended recycler, and the daily digest.

Both go through `notify.publish` (in-app, webhooks, e-mail when SMTP is configured) and both
are shown lists, so both are recorded as impressions with the model version that chose them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

import matching
from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.errors import Conflict, Invalid
from core.i18n import N_
from core.models import Organization
from marketplace.lots.models import LotStatus
from marketplace.notify import publish
from marketplace.recommend import adapter, services
from marketplace.recommend.models import Impression

DIGEST_K = 5
DIGEST_EVERY = timedelta(hours=20)  # at most one digest a day, whatever the scheduler does


def invite(actor: Actor, lot_id: int, buyer_org_id: int, *, now: datetime) -> Impression:
    """Invite a recycler to bid on the actor's listed lot; it must be able to take the lot."""
    lot = services.lot_for_owner(actor, lot_id)
    if lot.status != LotStatus.LISTED:
        raise Conflict("批次未发布，不能邀请出价")
    org = db.session.get(Organization, buyer_org_id)
    if org is None or org.kind is not OrgKind.RECYCLER:
        raise Invalid("请选择一家回收利用企业", {"buyer_org_id": "not a recycler"})
    buyer = adapter.buyer(buyer_org_id, now)
    (target,) = adapter.lots([lot])
    if not matching.is_feasible(buyer, target):
        raise Invalid(
            "该企业的许可范围、收运半径或处理能力不能承接此批次",
            {"buyer_org_id": "cannot take this lot"},
        )
    done = db.session.scalar(
        sa.select(Impression.id).where(
            Impression.surface == "invite",
            Impression.lot_id == lot.id,
            Impression.buyer_org_id == buyer_org_id,
        )
    )
    if done is not None:
        raise Conflict("已邀请过该企业")
    ranked = services.recommend_buyers(actor, lot.id, services.MAX_K, now=now, record=False)
    item = next((i for i in ranked.items if i.id == buyer_org_id), None)
    imp = Impression(
        buyer_org_id=buyer_org_id,
        lot_id=lot.id,
        shown_to_org_id=buyer_org_id,
        surface="invite",
        position=ranked.items.index(item) if item else len(ranked.items),
        score=float(item.score or 0.0) if item else 0.0,
        method=ranked.method,
        model_version_id=ranked.version_row.id if ranked.version_row else None,
        shown_at=now,
    )
    db.session.add(imp)
    db.session.flush()
    publish(
        "recommend.invited",
        [buyer_org_id],
        message=N_("%(seller)s 邀请您对批次 %(lot)s 出价。"),
        params={"seller": lot.organization.legal_name, "lot": f"#{lot.id} {lot.title}"},
        link=f"/lots/{lot.id}?rec={imp.id}",
        payload={"lot_id": lot.id, "impression_id": imp.id},
        now=now,
    )
    return imp


def send_digests(now: datetime) -> int:
    """Each recycler with a licence and something new for it gets today's top lots once."""
    sent = 0
    recent = set(
        db.session.scalars(
            sa.select(Impression.buyer_org_id).where(
                Impression.surface == "digest", Impression.shown_at > now - DIGEST_EVERY
            )
        )
    )
    orgs = db.session.scalars(
        sa.select(Organization)
        .where(Organization.kind == OrgKind.RECYCLER)
        .order_by(Organization.id)
    )
    actors = [
        Actor(user_id=None, org_id=org.id, org_kind=org.kind, role=None)  # type: ignore[arg-type]
        for org in orgs
        if org.id not in recent and adapter.profile_of(org.id) is not None
    ]
    # all lists at once: the batch ranking spreads the day's lots across recyclers
    lists = services.recommend_lots_many(actors, DIGEST_K, now=now, surface="digest")
    for org_id, result in lists.items():
        if not result.items:
            continue
        titles = "；".join(f"#{i.row.id} {i.row.title}" for i in result.items)
        publish(
            "recommend.digest",
            [org_id],
            message=N_("今日为您推荐 %(n)s 个批次：%(titles)s"),
            params={"n": len(result.items), "titles": titles[:250]},
            link="/recommendations",
            payload={
                "lot_ids": [i.id for i in result.items],
                "model_version": result.model_version,
            },
            now=now,
        )
        sent += 1
    return sent
