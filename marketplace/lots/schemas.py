"""API schemas for lots, archive versions, evidence and wanted requests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from core.units import fen_to_yuan, grams_to_kg
from marketplace.lots.models import EvidenceKind, Form, LotStatus, QuantityBasis
from marketplace.lots.properties import COMPOSITION_UNITS, SPECS, Source
from marketplace.lots.search import SORTS
from marketplace.orgs.schemas import LOADING
from marketplace.pagination import PageArgs
from marketplace.schema import ID, BaseSchema, decimal_range, max_decimals

HW = validate.Regexp(r"^\d{3}-\d{3}-\d{2}$", error="应为 xxx-xxx-xx")


class MeasurementSchema(BaseSchema):
    key = fields.Str(required=True, validate=validate.OneOf(sorted(SPECS)))
    value = fields.Raw(
        required=True, metadata={"description": "number, or a choice for colour etc."}
    )
    unit = fields.Str(required=True)
    method = fields.Str(load_default="", validate=validate.Length(max=120))
    source = fields.Enum(Source, by_value=True, load_default=Source.DECLARED)


class ComponentSchema(BaseSchema):
    component = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    value = fields.Decimal(required=True, allow_nan=False)
    unit = fields.Str(required=True, validate=validate.OneOf(COMPOSITION_UNITS))
    method = fields.Str(load_default="", validate=validate.Length(max=120))
    source = fields.Enum(Source, by_value=True, load_default=Source.DECLARED)


class BatchSchema(BaseSchema):
    work_orders = fields.List(
        fields.Str(validate=validate.Length(max=40)),
        load_default=list,
        validate=validate.Length(max=200),
    )
    period_start = fields.Date(allow_none=True, load_default=None)
    period_end = fields.Date(allow_none=True, load_default=None)


class RecurrenceSchema(BaseSchema):
    recurring = fields.Bool(load_default=False)
    frequency = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["daily", "weekly", "monthly", "quarterly"]),
    )
    expected_t_per_period = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, 100_000), max_decimals(3)],
    )


class ArchiveSchema(BaseSchema):
    """The digital archive a producer fills in; every edit makes a new version."""

    site_id = fields.Int(required=True, validate=ID)
    grade = fields.Str(required=True, metadata={"description": "grade code, e.g. PA-OCC"})
    title = fields.Str(required=True, validate=validate.Length(min=2, max=120))
    description = fields.Str(load_default="", validate=validate.Length(max=4000))
    quantity_t = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 100_000), max_decimals(3)],
        metadata={"description": "tonnes, at most 3 decimals (a kilogram)"},
    )
    quantity_basis = fields.Enum(QuantityBasis, by_value=True, required=True)
    form = fields.Enum(Form, by_value=True, required=True)
    package_count = fields.Int(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=1_000_000)
    )
    unit_weight_kg = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 100_000), max_decimals(3)],
    )
    bulk_density_kg_m3 = fields.Int(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=20_000)
    )
    available_from = fields.Date(load_default=None, allow_none=True)
    available_until = fields.Date(load_default=None, allow_none=True)
    loading = fields.List(fields.Str(validate=validate.OneOf(LOADING)), load_default=list)
    hw_codes = fields.List(fields.Str(validate=HW), load_default=list)
    industry_code = fields.Str(load_default="", validate=validate.Regexp(r"^([A-T]\d{2,4})?$"))
    process = fields.Str(load_default="", validate=validate.Length(max=120))
    batch = fields.Nested(BatchSchema, load_default=None, allow_none=True)
    recurrence = fields.Nested(RecurrenceSchema, load_default=None, allow_none=True)
    properties = fields.List(fields.Nested(MeasurementSchema), load_default=list)
    composition = fields.List(fields.Nested(ComponentSchema), load_default=list)
    ask_yuan_per_t = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, 10_000_000), max_decimals(2)],
    )

    @validates_schema
    def _recurrence_needs_frequency(self, data: dict[str, Any], **_: Any) -> None:
        rec = data.get("recurrence") or {}
        if rec.get("recurring") and not rec.get("frequency"):
            raise ValidationError({"recurrence.frequency": ["required for recurring generation"]})


def _decimal_str(value: Decimal) -> str:
    return format(value.normalize(), "f")


class LotSchema(BaseSchema):
    id = fields.Int()
    organization_id = fields.Int()
    organization_name = fields.Str(attribute="organization.legal_name")
    site_id = fields.Int()
    status = fields.Enum(LotStatus, by_value=True)
    version = fields.Int()
    title = fields.Str()
    grade = fields.Str(attribute="category.code")
    grade_name = fields.Str(attribute="category.name_zh")
    family = fields.Str(attribute="family_code")
    dql = fields.Int()
    quantity_t = fields.Function(lambda lot: _decimal_str(grams_to_kg(lot.quantity_g) / 1000))
    ask_yuan_per_t = fields.Function(
        lambda lot: str(fen_to_yuan(lot.ask_fen_per_t)) if lot.ask_fen_per_t is not None else None
    )
    lat = fields.Float()
    lon = fields.Float()
    hazardous = fields.Bool()
    available_from = fields.Date(allow_none=True)
    available_until = fields.Date(allow_none=True)
    listed_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime()


class EvidenceSchema(BaseSchema):
    id = fields.Int()
    kind = fields.Enum(EvidenceKind, by_value=True)
    sha256 = fields.Str()
    content_type = fields.Str()
    size_bytes = fields.Int()
    filename = fields.Str()
    uploaded_at = fields.AwareDateTime()
    lab_name = fields.Str()
    accreditation_no = fields.Str()
    method = fields.Str()
    test_date = fields.Date(allow_none=True)
    title = fields.Str()


class VersionSchema(BaseSchema):
    number = fields.Int()
    created_at = fields.AwareDateTime()
    created_by = fields.Int(allow_none=True)
    site_id = fields.Int()
    grade = fields.Str(attribute="category.code")
    title = fields.Str()
    description = fields.Str()
    quantity_t = fields.Function(lambda v: _decimal_str(grams_to_kg(v.quantity_g) / 1000))
    quantity_basis = fields.Enum(QuantityBasis, by_value=True)
    form = fields.Enum(Form, by_value=True)
    package_count = fields.Int(allow_none=True)
    unit_weight_kg = fields.Function(
        lambda v: _decimal_str(grams_to_kg(v.unit_weight_g)) if v.unit_weight_g else None
    )
    bulk_density_kg_m3 = fields.Int(allow_none=True)
    available_from = fields.Date(allow_none=True)
    available_until = fields.Date(allow_none=True)
    loading = fields.List(fields.Str())
    hazardous = fields.Bool()
    hw_codes = fields.List(fields.Str())
    industry_code = fields.Str()
    process = fields.Str()
    batch = fields.Dict()
    recurrence = fields.Dict()
    properties = fields.List(fields.Dict())
    composition = fields.List(fields.Dict())
    ask_yuan_per_t = fields.Function(
        lambda v: str(fen_to_yuan(v.ask_fen_per_t)) if v.ask_fen_per_t is not None else None
    )
    evidence_ids = fields.List(fields.Int())
    dql = fields.Int()
    dql_missing = fields.List(fields.Str(), metadata={"description": "what the next DQL needs"})


class LotDetailSchema(LotSchema):
    archive = fields.Method("_archive")
    evidence = fields.Method("_evidence")
    index = fields.Method("_index", metadata={"description": "ask against the grade's price index"})

    def _index(self, lot: Any) -> dict[str, Any] | None:
        from marketplace.trading.prices import latest_index

        point = latest_index(lot.category.code)
        if point is None:
            return None
        ratio = (lot.ask_fen_per_t / point.price_fen_per_t) if lot.ask_fen_per_t else None
        return {
            "week": point.week.isoformat(),
            "price_yuan_per_t": str(fen_to_yuan(point.price_fen_per_t)),
            "ask_ratio": round(ratio, 3) if ratio is not None else None,
        }

    def _archive(self, lot: Any) -> dict[str, Any]:
        from marketplace.lots.services import current_version

        return VersionSchema().dump(current_version(lot))

    def _evidence(self, lot: Any) -> list[dict[str, Any]]:
        from marketplace.lots.services import lot_evidence

        return EvidenceSchema(many=True).dump(lot_evidence(lot))


class EvidenceFormSchema(BaseSchema):
    kind = fields.Enum(EvidenceKind, by_value=True, required=True)
    title = fields.Str(load_default="", validate=validate.Length(max=120))
    lab_name = fields.Str(load_default="", validate=validate.Length(max=120))
    accreditation_no = fields.Str(load_default="", validate=validate.Length(max=60))
    method = fields.Str(load_default="", validate=validate.Length(max=120))
    test_date = fields.Date(load_default=None, allow_none=True)


class LotSearchArgs(PageArgs):
    family = fields.Str(load_default=None, validate=validate.Regexp(r"^[A-Z]{2}$"))
    grade = fields.Str(load_default=None, validate=validate.Length(max=24))
    min_dql = fields.Int(load_default=None, validate=validate.Range(min=1, max=4))
    min_t = fields.Decimal(
        load_default=None, allow_nan=False, validate=[decimal_range(0, 10_000_000), max_decimals(3)]
    )
    max_t = fields.Decimal(
        load_default=None, allow_nan=False, validate=[decimal_range(0, 10_000_000), max_decimals(3)]
    )
    max_price = fields.Decimal(
        load_default=None,
        allow_nan=False,
        validate=[decimal_range(0, 10_000_000), max_decimals(2)],
        metadata={"description": "yuan per tonne"},
    )
    site_id = fields.Int(
        load_default=None, validate=ID, metadata={"description": "one of my sites, for distance"}
    )
    radius_km = fields.Float(
        load_default=None, allow_nan=False, validate=validate.Range(min=0.1, max=2000)
    )
    available_on = fields.Date(load_default=None)
    q = fields.Str(load_default=None, validate=validate.Length(min=1, max=60))
    hazardous = fields.Bool(load_default=None, allow_none=True)
    sort = fields.Str(load_default="newest", validate=validate.OneOf(SORTS))
    mine = fields.Bool(
        load_default=False, metadata={"description": "my organisation's lots, any status"}
    )


class WantedCreateSchema(BaseSchema):
    site_id = fields.Int(
        required=True, validate=ID, metadata={"description": "one of my sites; the radius centre"}
    )
    category = fields.Str(
        required=True, metadata={"description": "a family (PA) or grade (PA-OCC)"}
    )
    quantity_t = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range("0.001", 1_000_000), max_decimals(3)],
    )
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    radius_km = fields.Int(required=True, validate=validate.Range(min=1, max=2000))
    max_contamination_pct = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, 100), max_decimals(2)],
    )
    max_moisture_pct = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, 100), max_decimals(2)],
    )
    min_dql = fields.Int(load_default=1, validate=validate.Range(min=1, max=4))
    price_idea_yuan_per_t = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=[decimal_range(0, 10_000_000), max_decimals(2)],
    )
    note = fields.Str(load_default="", validate=validate.Length(max=2000))


class WantedAnswerSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    lot_id = fields.Int(required=True, validate=ID)
    organization_id = fields.Int(dump_only=True)
    lot_title = fields.Str(attribute="lot.title", dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class WantedSchema(BaseSchema):
    id = fields.Int()
    organization_id = fields.Int()
    organization_name = fields.Str(attribute="organization.legal_name")
    site_id = fields.Int()
    category = fields.Str(attribute="category.code")
    category_name = fields.Str(attribute="category.name_zh")
    quantity_t = fields.Function(lambda w: _decimal_str(grams_to_kg(w.quantity_g) / 1000))
    period_start = fields.Date()
    period_end = fields.Date()
    radius_km = fields.Int()
    max_contamination_pct = fields.Decimal(as_string=True, allow_none=True)
    max_moisture_pct = fields.Decimal(as_string=True, allow_none=True)
    min_dql = fields.Int()
    price_idea_yuan_per_t = fields.Function(
        lambda w: (
            str(fen_to_yuan(w.price_idea_fen_per_t)) if w.price_idea_fen_per_t is not None else None
        )
    )
    note = fields.Str()
    open = fields.Bool()
    created_at = fields.AwareDateTime()
    answers = fields.List(fields.Nested(WantedAnswerSchema))


class FormatArgs(BaseSchema):
    format = fields.Str(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]))


# OpenAPI examples: a realistic OCC lot from a carton plant, and a paper mill's request.
ARCHIVE_EXAMPLE = {
    "site_id": 12,
    "grade": "PA-OCC",
    "title": "纸箱车间黄板纸边角料（打包）",
    "description": "模切工序边角料，干燥仓储",
    "quantity_t": "12.5",
    "quantity_basis": "weighbridge",
    "form": "bale",
    "package_count": 25,
    "unit_weight_kg": "500",
    "loading": ["forklift"],
    "available_from": "2026-12-01",
    "available_until": "2026-12-31",
    "industry_code": "C2231",
    "process": "模切",
    "batch": {
        "work_orders": ["WO-2611-118"],
        "period_start": "2026-11-01",
        "period_end": "2026-11-30",
    },
    "properties": [
        {
            "key": "moisture_pct",
            "value": "11.5",
            "unit": "%",
            "method": "GB/T 462-2023",
            "source": "lab",
        },
        {
            "key": "contamination_pct",
            "value": "0.8",
            "unit": "%",
            "method": "目测+称量",
            "source": "declared",
        },
    ],
    "composition": [
        {"component": "纤维", "value": "97.2", "unit": "%", "method": "实验室分析", "source": "lab"}
    ],
    "ask_yuan_per_t": "1650.00",
}
WANTED_EXAMPLE = {
    "site_id": 3,
    "category": "PA-OCC",
    "quantity_t": "300",
    "period_start": "2026-12-01",
    "period_end": "2026-12-31",
    "radius_km": 80,
    "max_moisture_pct": "12",
    "min_dql": 2,
    "price_idea_yuan_per_t": "1600.00",
    "note": "每周两车，9.6 米高栏",
}
