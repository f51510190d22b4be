"""What a quote must satisfy to be accepted, pure: no Flask, no database.

Prices are integer fen on a basis: per tonne (元/吨 × the request's quantity) or lump sum (一口价).
Quotes may use either basis whatever the request's basis is; every comparison (the budget, one's
own previous quote, the lowest price, the ranking) is on the total a requester would pay,
`total_fen`, so a per-tonne quote and a lump-sum quote compete fairly. The budget is stated on
the request's basis and compared as a total too.

The checks run in a fixed order and the first one that fails is raised, naming its field:
own request (409) → provider kind (403) → licence for disposal (409, naming the eligibility
rule) → state (409) → deadline (409) → price > 0 (422) → validity covers the deadline (422)
→ validity not before the earliest service date (422) → within the budget (422) → strictly
below the provider's own current quote (409).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from core.enums import OrgKind
from core.errors import Conflict, Forbidden, Invalid
from core.i18n import N_
from marketplace.tenders.lifecycle import LABELS, ServiceStatus
from marketplace.trading.eligibility import Refusal

GRAMS_PER_TONNE = 1_000_000


class ServiceKind(enum.StrEnum):
    TRANSPORT = "transport"  # 运输
    DISPOSAL = "disposal"  # 处置/利用


class Basis(enum.StrEnum):
    PER_TONNE = "per_tonne"
    LUMP_SUM = "lump_sum"


# Who answers which kind of request.
PROVIDER_KIND: dict[ServiceKind, OrgKind] = {
    ServiceKind.TRANSPORT: OrgKind.LOGISTICS,
    ServiceKind.DISPOSAL: OrgKind.RECYCLER,
}


def total_fen(price_fen: int, basis: Basis, quantity_g: int) -> int:
    """What the requester pays for the whole request: per tonne × quantity (rounded half up to
    the fen), or the lump sum itself."""
    if basis is Basis.LUMP_SUM:
        return price_fen
    return (price_fen * quantity_g + GRAMS_PER_TONNE // 2) // GRAMS_PER_TONNE


@dataclass(frozen=True)
class RequestFacts:
    requester_id: int
    kind: ServiceKind
    status: ServiceStatus  # the effective status (see lifecycle.effective)
    deadline: datetime
    quantity_g: int
    basis: Basis
    budget_fen: int | None


@dataclass(frozen=True)
class Offer:
    provider_id: int
    provider_kind: OrgKind
    price_fen: int
    basis: Basis
    earliest_date: date
    valid_until: date


def check_quote(
    request: RequestFacts,
    offer: Offer,
    *,
    previous_total_fen: int | None,
    licence: Refusal | None,
    now: datetime,
) -> int:
    """The offer's total in fen if it may be accepted; otherwise the first refusal, raised."""
    if offer.provider_id == request.requester_id:
        raise Conflict("不能对本组织发布的服务需求报价", {"request": "own request"})
    wanted = PROVIDER_KIND[request.kind]
    if offer.provider_kind is not wanted:
        message = (
            N_("运输需求只接受物流企业报价")
            if wanted is OrgKind.LOGISTICS
            else N_("处置需求只接受持证回收利用企业报价")
        )
        raise Forbidden(message, {"kind": f"{request.kind.value} needs {wanted.value}"})
    if request.kind is ServiceKind.DISPOSAL and licence is not None:
        raise Conflict(
            "不符合处置资格：%(rule)s", {licence.rule: licence.detail}, rule=licence.rule
        )
    if request.status is not ServiceStatus.OPEN:
        err = Conflict(
            "服务需求状态为“%(status)s”，不能报价",
            {"status": request.status.value},
            status=request.status.value,
        )
        err.state_labels = LABELS  # type: ignore[attr-defined]
        raise err
    if now >= request.deadline:
        raise Conflict("报价已截止", {"deadline": request.deadline.isoformat()})
    if offer.price_fen <= 0:
        raise Invalid("报价必须大于零", {"price_yuan": "must be > 0"})
    if offer.valid_until < request.deadline.date():
        raise Invalid("报价有效期不能早于报价截止日", {"valid_until": "before the quote deadline"})
    if offer.valid_until < offer.earliest_date:
        raise Invalid("报价有效期不能早于最早服务日期", {"valid_until": "before earliest_date"})
    total = total_fen(offer.price_fen, offer.basis, request.quantity_g)
    if total <= 0:
        raise Invalid("报价必须大于零", {"price_yuan": "total rounds to zero"})
    if request.budget_fen is not None:
        ceiling = total_fen(request.budget_fen, request.basis, request.quantity_g)
        if total > ceiling:
            raise Invalid("报价超出需求方预算", {"price_yuan": "above the budget"})
    if previous_total_fen is not None and total >= previous_total_fen:
        raise Conflict(
            "修改报价只能降低，须低于您当前的报价",
            {"price_yuan": f"must be below your current total of {previous_total_fen} fen"},
        )
    return total
