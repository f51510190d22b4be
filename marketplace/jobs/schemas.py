"""API schemas for jobs."""

from __future__ import annotations

from marshmallow import fields, validate

from marketplace.schema import BaseSchema


class JobSchema(BaseSchema):
    id = fields.Int()
    name = fields.Str()
    state = fields.Str()
    progress = fields.Int()
    total = fields.Int()
    percent = fields.Int()
    message = fields.Str()
    result = fields.Dict(allow_none=True)
    error = fields.Str(allow_none=True)
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)


class JobCreateSchema(BaseSchema):
    name = fields.Str(required=True, validate=validate.OneOf(["system.selfcheck"]))
