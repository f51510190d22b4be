"""API schemas of the station: weights in kg as strings with up to three decimals at the edge,
integer grams inside."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from core.schema import ID, BaseSchema, decimal_range, max_decimals
from core.units import grams_to_kg, yuan_to_fen
from station.models import RecordKind, Stage, TareKind
from station.quota import DeductionKind

KG = [decimal_range(0, 1_000_000), max_decimals(3)]
CODE = validate.Regexp(r"^[A-Z0-9-]{1,20}$", error="大写字母、数字和 -")


class WorkOrderRef(fields.Field):
    """A work order as a client names it: its id (a JSON number) or its number (a string);
    empty is none. Which order it is, and whether it may be booked, the service decides."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("工单 id 或编号")
        text = str(value).strip()
        if len(text) > 40:
            raise ValidationError("最多 40 个字符")
        return text or None


def _work_order() -> WorkOrderRef:
    return WorkOrderRef(
        load_default=None,
        allow_none=True,
        metadata={"description": "the work order (id or number) the weighing is booked against"},
    )


def _kg(attr: str) -> fields.Function:
    return fields.Function(
        lambda o: str(grams_to_kg(getattr(o, attr))) if getattr(o, attr) is not None else None
    )


class WeightSchema(BaseSchema):
    """Where a gross weight comes from: a scale's stable reading, or a manual entry."""

    scale_id = fields.Int(load_default=None, allow_none=True, validate=ID)
    manual_kg = fields.Decimal(load_default=None, allow_none=True, allow_nan=False, validate=KG)
    manual_reason = fields.Str(load_default="", validate=validate.Length(max=200))

    @validates_schema
    def _one_source(self, data: dict[str, Any], **_: Any) -> None:
        if (data["scale_id"] is None) == (data["manual_kg"] is None):
            raise ValidationError("give scale_id or manual_kg", "scale_id")


class TareInSchema(BaseSchema):
    kind = fields.Enum(TareKind, by_value=True, required=True)
    ref = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    measured_kg = fields.Decimal(load_default=None, allow_none=True, allow_nan=False, validate=KG)


class DeductionInSchema(BaseSchema):
    kind = fields.Enum(DeductionKind, by_value=True, required=True)
    kg = fields.Decimal(required=True, allow_nan=False, validate=KG)
    reason = fields.Str(required=True, validate=validate.Length(min=2, max=200))


class TareSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    kind = fields.Enum(TareKind, by_value=True, required=True)
    ref = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    weight_kg = fields.Decimal(
        required=True, allow_nan=False, validate=KG, load_only=True, as_string=True
    )
    weight = _kg("weight_g")
    valid_from = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(load_default=None, allow_none=True)


class LocationSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    code = fields.Str(required=True, validate=CODE)
    name = fields.Str(load_default="", validate=validate.Length(max=60))


class ToleranceSchema(BaseSchema):
    control_point = fields.Str(
        required=True, validate=validate.OneOf(["receive", "sort", "bale", "outbound"])
    )
    grade = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=24))
    policy = fields.Dict(
        required=True,
        metadata={
            "description": 'e.g. {"shortfall": {"basis": "lenient_max", "absolute_kg": "2", '
            '"percent": "2"}, "excess": null, "value_cap_fen": null, "floor_divisions": 2}'
        },
    )


class RatioLineSchema(BaseSchema):
    label = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    grade = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=24))
    ratio = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range(0, 1), max_decimals(6)],
        as_string=True,
    )
    residue = fields.Bool(load_default=False)


class RatioSetSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    version = fields.Int(dump_only=True)
    grade = fields.Str(required=True, load_only=True, validate=validate.Length(max=24))
    lines = fields.List(fields.Nested(RatioLineSchema), required=True)
    valid_from = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(load_default=None, allow_none=True)


class RecordSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    station_id = fields.Int(required=True, validate=ID)
    factory_id = fields.Int(required=True, validate=ID)
    kind = fields.Enum(RecordKind, by_value=True, required=True)
    reference = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    grade = fields.Str(required=True, load_only=True, validate=validate.Length(max=24))
    quantity = fields.Decimal(required=True, allow_nan=False, validate=KG, as_string=True)
    unit = fields.Str(required=True, validate=validate.Length(min=1, max=12))
    factor = fields.Decimal(
        required=True,
        allow_nan=False,
        validate=[decimal_range(0, 1_000_000), max_decimals(6)],
        as_string=True,
    )
    factor_unit = fields.Str(required=True, validate=validate.Length(min=1, max=12))
    record_date = fields.Date(required=True)


class DeliveryNoteSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    station_id = fields.Int(required=True, validate=ID)
    factory_id = fields.Int(required=True, validate=ID)
    number = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    grade = fields.Str(required=True, load_only=True, validate=validate.Length(max=24))
    record_ids = fields.List(fields.Int(validate=ID), load_default=list, load_only=True)
    vehicle_plate = fields.Str(load_default="", validate=validate.Length(max=16))
    received_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class PackageInSchema(BaseSchema):
    weight = fields.Nested(WeightSchema, required=True)
    tares = fields.List(fields.Nested(TareInSchema), load_default=list)


class DeliverSchema(BaseSchema):
    packages = fields.List(
        fields.Nested(PackageInSchema), required=True, validate=validate.Length(min=1, max=200)
    )
    work_order = _work_order()


class ReceiveSchema(BaseSchema):
    weight = fields.Nested(WeightSchema, required=True)
    tares = fields.List(fields.Nested(TareInSchema), load_default=list)
    line = fields.Str(load_default="", validate=validate.Length(max=20))
    deductions = fields.List(fields.Nested(DeductionInSchema), load_default=list)
    work_order = _work_order()


class ReweighSchema(BaseSchema):
    weight = fields.Nested(WeightSchema, required=True)
    tares = fields.List(fields.Nested(TareInSchema), load_default=list)


class OutputSchema(BaseSchema):
    line = fields.Str(required=True, validate=validate.Length(min=1, max=60))
    weight = fields.Nested(WeightSchema, required=True)
    tares = fields.List(fields.Nested(TareInSchema), load_default=list)


class SortSchema(BaseSchema):
    receipt = fields.Str(required=True, validate=validate.Length(min=1, max=41))
    outputs = fields.List(
        fields.Nested(OutputSchema), required=True, validate=validate.Length(min=1, max=20)
    )
    line = fields.Str(load_default="", validate=validate.Length(max=20))
    work_order = _work_order()


class PickSchema(BaseSchema):
    label = fields.Str(required=True, validate=validate.Length(min=1, max=41))
    kg = fields.Decimal(required=True, allow_nan=False, validate=KG)


class BaleSchema(BaseSchema):
    picks = fields.List(
        fields.Nested(PickSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    weight = fields.Nested(WeightSchema, required=True)
    tares = fields.List(fields.Nested(TareInSchema), load_default=list)
    line = fields.Str(load_default="", validate=validate.Length(max=20))
    work_order = _work_order()


class WarehouseInSchema(BaseSchema):
    label = fields.Str(required=True, validate=validate.Length(min=1, max=41))
    location = fields.Str(required=True, validate=CODE)
    weight = fields.Nested(WeightSchema, required=True)
    tares = fields.List(fields.Nested(TareInSchema), load_default=list)
    work_order = _work_order()


class PlanSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    number = fields.Str(dump_only=True)
    buyer_id = fields.Int(required=True, validate=ID)
    grade = fields.Str(required=True, load_only=True, validate=validate.Length(max=24))
    planned_kg = fields.Decimal(required=True, allow_nan=False, validate=KG, load_only=True)
    planned = _kg("planned_g")
    unit_price_yuan_per_t = fields.Decimal(
        required=True,
        allow_nan=False,
        load_only=True,
        validate=[decimal_range("0.01", 10_000_000), max_decimals(2)],
    )
    unit_price_fen_per_t = fields.Int(dump_only=True)
    tax_rate_pct = fields.Int(load_default=13, validate=validate.Range(min=0, max=30))
    fees_yuan = fields.Decimal(
        load_default=lambda: Decimal(0),
        allow_nan=False,
        load_only=True,
        validate=[decimal_range(0, 10_000_000), max_decimals(2)],
    )
    state = fields.Str(dump_only=True)
    reserved_fen = fields.Int(dump_only=True)

    @post_load
    def _in_fen(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Prices are typed in yuan and kept in fen: the API and the page both load through
        here, so `outbound.create_plan(actor, **data, now=…)` takes what it needs."""
        data["unit_price_fen_per_t"] = yuan_to_fen(data.pop("unit_price_yuan_per_t"))
        data["fees_fen"] = yuan_to_fen(data.pop("fees_yuan"))
        return data


class LoadSchema(BaseSchema):
    vehicle_plate = fields.Str(required=True, validate=validate.Length(min=2, max=16))
    weight = fields.Nested(WeightSchema, required=True)
    vehicle_tare_kg = fields.Decimal(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=KG,
        metadata={"description": "a measured tare, when the vehicle's standard has expired"},
    )
    labels = fields.List(
        fields.Str(validate=validate.Length(min=1, max=41)),
        required=True,
        validate=validate.Length(min=1, max=200),
    )
    vehicle_capacity_kg = fields.Decimal(
        load_default=None, allow_none=True, allow_nan=False, validate=KG
    )
    work_order = _work_order()


def _not_blank(value: str) -> None:
    """The service strips these; whitespace alone would be stored as an empty name."""
    if not value.strip():
        raise ValidationError("不能为空")


class WorkOrderSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    number = fields.Str(required=True, validate=[validate.Length(min=1, max=40), _not_blank])
    stage = fields.Enum(Stage, by_value=True, required=True)
    line = fields.Str(required=True, validate=[validate.Length(min=1, max=20), _not_blank])
    shift = fields.Str(required=True, validate=[validate.Length(min=1, max=10), _not_blank])
    work_date = fields.Date(required=True)
    assignees = fields.List(fields.Int(validate=ID), load_default=list)
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class AlertActionSchema(BaseSchema):
    reason = fields.Str(load_default="", validate=validate.Length(max=500))


class WeighingSchema(BaseSchema):
    id = fields.Int()
    stage = fields.Enum(Stage, by_value=True)
    control_point = fields.Str()
    total = fields.Bool()
    package_label = fields.Function(lambda w: w.package.label if w.package else None)
    manual = fields.Bool()
    manual_reason = fields.Str()
    gross_kg = _kg("gross_g")
    tares = fields.List(fields.Dict())
    net_kg = _kg("net_g")
    standard_kg = _kg("standard_g")
    tolerance_kg = _kg("tolerance_g")
    deviation_kg = _kg("deviation_g")
    result = fields.Str()
    sign = fields.Str()
    ratio_x = fields.Decimal(as_string=True, allow_none=True)
    tier = fields.Int()
    raw_sha256 = fields.Str()
    replaces_id = fields.Int(allow_none=True)
    work_order_id = fields.Int(allow_none=True)
    work_order = fields.Function(lambda w: w.work_order.number if w.work_order else None)
    line = fields.Str()
    created_at = fields.AwareDateTime()


class PackageSchema(BaseSchema):
    id = fields.Int()
    label = fields.Str()
    stage = fields.Enum(Stage, by_value=True)
    state = fields.Str(attribute="state.value")
    material = fields.Str()
    grade = fields.Function(lambda p: p.category.code if p.category else None)
    net_kg = _kg("net_g")
    remaining_kg = _kg("remaining_g")
    created_at = fields.AwareDateTime()


class AlertSchema(BaseSchema):
    id = fields.Int()
    weighing_id = fields.Int()
    tier = fields.Int()
    base_tier = fields.Int()
    reason = fields.Str()
    state = fields.Str()
    deviation_ratio = fields.Decimal(as_string=True, allow_none=True)
    opened_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True)
    resolution = fields.Str()
    escalations = fields.Int()


class ScaleReadingSchema(BaseSchema):
    scale_id = fields.Int()
    connected = fields.Bool()
    frames = fields.Int()
    errors = fields.Int()
    weight = fields.Str(allow_none=True)
    unit = fields.Str()
    stable = fields.Bool(allow_none=True)
    at = fields.Str(allow_none=True)
