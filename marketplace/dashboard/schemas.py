"""OpenAPI shapes of the dashboard answers (the views build plain dicts; these document them)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields


def decimal_text(**kwargs: Any) -> fields.Str:
    """A decimal as its exact text ("12.50"): the views write Decimal as strings, never floats."""
    return fields.Str(metadata={"format": "decimal"}, **kwargs)


class OpenObject(Schema):
    """A JSON object whose members the view's docstring names (flows, ledgers, anomalies)."""

    class Meta:
        unknown = INCLUDE


class FactorSchema(Schema):
    key = fields.Str()
    value = decimal_text()
    unit = fields.Str()
    version = fields.Str()
    source = fields.Str()
    source_table = fields.Str()
    laden = fields.Str()


class IndicatorSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    value = decimal_text(allow_none=True)
    unit = fields.Str()
    numerator = decimal_text(allow_none=True)
    denominator = decimal_text(allow_none=True)
    previous_value = decimal_text(allow_none=True)
    change_pct = decimal_text(allow_none=True)
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
    value = decimal_text(allow_none=True)
    no_data = fields.Str(allow_none=True)


class TrendSchema(Schema):
    key = fields.Str()
    label = fields.Str()
    unit = fields.Str()
    bucket = fields.Str()
    points = fields.List(fields.Nested(TrendPointSchema))
