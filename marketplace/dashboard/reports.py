"""Monthly figures an organisation reports itself (月度填报): what the platform cannot observe.

Four indicators need them: generation intensity (a factory's 工业增加值), substitution (a
buyer plant's virgin and recycled input), station utilisation (a station's capacity) and the
utilisation rate's prior stock (a factory's 往年贮存量 utilised this month). Each kind of
organisation reports its own fields only, a field sent by another kind is refused (it would
be counted nowhere and mislead the sender). A month is reported once and corrected in place:
the last figures count, and the audit log keeps who changed what when.

Units as the statistics are filed: 万元 and tonnes, up to fen and grams; stored in fen and
grams. A month after the current one is refused: nobody knows it yet.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from marshmallow import fields, validate

from core import audit
from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.errors import Invalid
from core.schema import BaseSchema, decimal_range, max_decimals
from core.time import to_local
from marketplace.dashboard.models import OrgMonthReport
from marketplace.dashboard.records import FIRST_DAY

# form field → (column, units per field unit): 1 万元 = 1,000,000 fen, 1 t = 1,000,000 g
FIELDS: dict[str, tuple[str, int]] = {
    "value_added_wan_yuan": ("value_added_fen", 1_000_000),
    "virgin_input_t": ("virgin_input_g", 1_000_000),
    "recycled_input_t": ("recycled_input_g", 1_000_000),
    "capacity_t": ("capacity_g", 1_000_000),
    "prior_stock_utilised_t": ("prior_stock_utilised_g", 1_000_000),
}
BY_KIND: dict[OrgKind, tuple[str, ...]] = {
    OrgKind.PRODUCER: ("value_added_wan_yuan", "prior_stock_utilised_t"),
    OrgKind.RECYCLER: ("value_added_wan_yuan", "virgin_input_t", "recycled_input_t"),
    OrgKind.STATION: ("capacity_t",),
}
REPORTERS = tuple(BY_KIND)
# YYYY-MM in ASCII digits; the length refuses what `$` lets through (a trailing newline), and
# both stay valid in the OpenAPI document (ECMA regexes have no \Z)
MONTH = r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"
MAX = Decimal("100000000")  # 1 亿 万元 or tonnes a month: beyond any one organisation


def _amount() -> fields.Decimal:
    return fields.Decimal(
        allow_none=True, as_string=True, validate=[decimal_range(0, MAX), max_decimals(6)]
    )


class ReportSchema(BaseSchema):
    """One month's figures; a field left out stays as it was, `null` clears it."""

    month = fields.String(
        required=True,
        validate=[validate.Length(equal=7), validate.Regexp(MONTH)],
        metadata={"example": "2026-11"},
    )
    value_added_wan_yuan = _amount()
    virgin_input_t = _amount()
    recycled_input_t = _amount()
    capacity_t = _amount()
    prior_stock_utilised_t = _amount()


class ReportOutSchema(BaseSchema):
    month = fields.String()
    value_added_wan_yuan = fields.Decimal(as_string=True, allow_none=True)
    virgin_input_t = fields.Decimal(as_string=True, allow_none=True)
    recycled_input_t = fields.Decimal(as_string=True, allow_none=True)
    capacity_t = fields.Decimal(as_string=True, allow_none=True)
    prior_stock_utilised_t = fields.Decimal(as_string=True, allow_none=True)
    created_at = fields.DateTime()


def as_dict(report: OrgMonthReport) -> dict[str, Any]:
    """A stored report in the units it was filed in."""
    out: dict[str, Any] = {"month": report.month.strftime("%Y-%m"), "created_at": report.created_at}
    for name, (column, per) in FIELDS.items():
        value = getattr(report, column)
        out[name] = None if value is None else _plain(Decimal(value) / per)
    return out


def _plain(d: Decimal) -> Decimal:
    """Without trailing zeros and without an exponent (1200, not 1.2E+3)."""
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def of(org_id: int, limit: int = 24) -> list[OrgMonthReport]:
    """An organisation's reports, the newest month first."""
    return list(
        db.session.scalars(
            sa.select(OrgMonthReport)
            .where(OrgMonthReport.organization_id == org_id)
            .order_by(OrgMonthReport.month.desc())
            .limit(limit)
        )
    )


def save(actor: Actor, data: dict[str, Any], *, now: datetime) -> tuple[OrgMonthReport, bool]:
    """Create or correct the actor's organisation's report of `data["month"]`; (report,
    created). The caller commits."""
    allowed = BY_KIND.get(actor.org_kind)
    if allowed is None:
        raise Invalid("该类企业无需月度填报", {"month": "no monthly report for this kind"})
    month = date(int(data["month"][:4]), int(data["month"][5:7]), 1)
    this_month = to_local(now).date().replace(day=1)
    if month > this_month:
        raise Invalid("不能填报未来月份", {"month": f"at most {this_month:%Y-%m}"})
    if month < FIRST_DAY:
        raise Invalid("月份太早", {"month": f"from {FIRST_DAY:%Y-%m}"})
    given = {k: data[k] for k in FIELDS if k in data}
    refused = sorted(k for k in given if k not in allowed)
    if refused:
        raise Invalid(
            "本类企业不填报：%(names)s",
            {k: f"not reported by a {actor.org_kind.value}" for k in refused},
            names=", ".join(refused),
        )
    if not given:
        raise Invalid("请至少填写一项", {allowed[0]: "one of " + ", ".join(allowed)})
    report = db.session.scalar(
        sa.select(OrgMonthReport).where(
            OrgMonthReport.organization_id == actor.org_id, OrgMonthReport.month == month
        )
    )
    created = report is None
    if report is None:
        report = OrgMonthReport(organization_id=actor.org_id, month=month, created_at=now)
        db.session.add(report)
    before = as_dict(report) if not created else {}
    for name, value in given.items():
        column, per = FIELDS[name]
        setattr(report, column, None if value is None else int(Decimal(value) * per))
    db.session.flush()
    audit.record(
        "dashboard.report_saved",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"report:{month:%Y-%m}",
        fields={k: None if v is None else str(v) for k, v in given.items()},
        before={k: None if before.get(k) is None else str(before[k]) for k in given}
        if before
        else None,
    )
    return report, created
