"""API schemas for the signed-in user and their tokens."""

from __future__ import annotations

from marshmallow import fields, validate

from marketplace.schema import BaseSchema


class MeSchema(BaseSchema):
    id = fields.Int()
    username = fields.Str()
    display_name = fields.Str()
    role = fields.Str()
    locale = fields.Str()
    organization_id = fields.Int()
    organization_kind = fields.Str(attribute="organization.kind")
    organization_name = fields.Str(attribute="organization.legal_name")


class TokenCreateSchema(BaseSchema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    days = fields.Int(load_default=90, validate=validate.Range(min=1, max=365))


class TokenSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    prefix = fields.Str(
        metadata={"description": "first characters of the token, for recognising it"}
    )
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    revoked_at = fields.AwareDateTime(allow_none=True)
    last_used_at = fields.AwareDateTime(allow_none=True)


class TokenCreatedSchema(TokenSchema):
    token = fields.Str(metadata={"description": "the bearer token; shown only once"})
