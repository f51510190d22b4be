"""API schemas for categories."""

from __future__ import annotations

from marshmallow import fields, validate

from marketplace.pagination import PageArgs
from marketplace.schema import BaseSchema


class CategorySchema(BaseSchema):
    id = fields.Int(dump_only=True)
    code = fields.Str(
        required=True,
        # family, grade, and up to two further segments (EE-PCB-BARE, PL-ABS-REGRIND), as the
        # catalogue has them; at most the column's 24 characters
        validate=[
            validate.Regexp(r"^[A-Z]{2}(-[A-Z0-9]{1,20}){0,3}$", error="如 PA 或 PA-OCC"),
            validate.Length(max=24),
        ],
    )
    parent_code = fields.Str(attribute="parent.code", allow_none=True, dump_only=True)
    name_zh = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    name_en = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    hazardous = fields.Bool(load_default=False)
    hw_codes = fields.List(
        fields.Str(validate=validate.Regexp(r"^\d{3}-\d{3}-\d{2}$", error="应为 xxx-xxx-xx")),
        load_default=list,
    )
    factor_material = fields.Str(allow_none=True, load_default=None)
    typical_density_kg_m3 = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(min=1, max=20000)
    )
    active = fields.Bool(load_default=True)


class CategoryCreateSchema(CategorySchema):
    parent = fields.Str(load_default=None, allow_none=True, metadata={"description": "family code"})


class CategoryListArgs(PageArgs):
    family = fields.Str(load_default=None, metadata={"description": "only grades of this family"})
    hazardous = fields.Bool(load_default=None, allow_none=True)
    q = fields.Str(load_default=None, validate=validate.Length(max=40))
