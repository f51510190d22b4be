"""OpenAPI shapes of the dashboard answers (the views build plain dicts; these document them)."""

from __future__ import annotations

from marshmallow import Schema, fields


class FactorSchema(Schema):
    key = fields.Str()
    value = fields.Decimal(as_string=True)
    unit = fields.Str()
    version = fields.Str()
    source = fields.Str()
    source_table = fields.Str()
    laden = fields.Str()


class IndicatorSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    value = fields.Decimal(as_string=True, allow_none=True)
    unit = fields.Str()
    numerator = fields.Decimal(as_string=True, allow_none=True)
    denominator = fields.Decimal(as_string=True, allow_none=True)
    previous_value = fields.Decimal(as_string=True, allow_none=True)
    change_pct = fields.Decimal(as_string=True, allow_none=True)
    basis = fields.Str()
    no_data = fields.Str(allow_none=True)
    factor = fields.Nested(FactorSchema, allow_none=True)
    factors = fields.List(fields.Nested(FactorSchema))
    notes = fields.List(fields.Str())
    extra = fields.Dict()
    drilldown_url = fields.Str()


class PeriodSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class ScopeSchema(Schema):
    kind = fields.Str()
    id = fields.Str(allow_none=True)


class DashboardSchema(Schema):
    period = fields.Nested(PeriodSchema)
    previous_period = fields.Nested(PeriodSchema)
    scope = fields.Nested(ScopeSchema)
    indicators = fields.List(fields.Nested(IndicatorSchema))


class RecordsPageSchema(Schema):
    key = fields.Str()
    kind = fields.Str()
    items = fields.List(fields.Dict())
    page = fields.Int()
    per_page = fields.Int()
    total = fields.Int()
    pages = fields.Int()


class TrendPointSchema(Schema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")
    value = fields.Decimal(as_string=True, allow_none=True)
    no_data = fields.Str(allow_none=True)


class TrendSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    unit = fields.Str()
    bucket = fields.Str()
    points = fields.List(fields.Nested(TrendPointSchema))
