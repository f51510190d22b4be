"""API schemas for organisations, sites and users."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, post_dump, validate, validates

from core import uscc
from core.enums import OrgKind, Role
from marketplace.pagination import PageArgs
from marketplace.schema import ID, BaseSchema

OPENING_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
LOADING = ["forklift", "crane", "manual", "dock"]


class Lat(fields.Float):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(-90, 90), allow_nan=False, **kwargs)


class Lon(fields.Float):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(-180, 180), allow_nan=False, **kwargs)


class SiteSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    organization_id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    address = fields.Str(required=True, validate=validate.Length(min=1, max=300))
    lat = Lat(required=True)
    lon = Lon(required=True)
    opening_hours = fields.Str(
        load_default="08:00-17:30",
        validate=validate.Regexp(OPENING_HOURS, error="应为 HH:MM-HH:MM"),
    )
    loading = fields.List(fields.Str(validate=validate.OneOf(LOADING)), load_default=list)


class OrganizationSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    kind = fields.Enum(OrgKind, by_value=True, required=True)
    legal_name = fields.Str(required=True, validate=validate.Length(min=2, max=200))
    name_en = fields.Str(load_default="", validate=validate.Length(max=200))
    uscc = fields.Str(required=True, metadata={"description": "统一社会信用代码 (GB 32100)"})
    address = fields.Str(required=True, validate=validate.Length(min=2, max=300))
    division_code = fields.Str(
        required=True,
        validate=validate.Regexp(r"^\d{6}(\d{3})?$", error="应为6位或9位行政区划代码"),
    )
    lat = Lat(required=True)
    lon = Lon(required=True)
    industry_code = fields.Str(
        load_default="", validate=validate.Regexp(r"^([A-T]\d{2,4})?$", error="应为GB/T 4754代码")
    )
    industry_name = fields.Str(load_default="", validate=validate.Length(max=120))
    park_id = fields.Int(allow_none=True, load_default=None, validate=ID)
    contact_name = fields.Str(load_default="", validate=validate.Length(max=60))
    contact_phone = fields.Str(
        load_default="", validate=validate.Regexp(r"^[0-9+\- ]{0,30}$", error="电话号码格式不正确")
    )
    created_at = fields.AwareDateTime(dump_only=True)
    sites = fields.List(fields.Nested(SiteSchema), dump_only=True)

    @post_dump
    def _mask_contacts(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Another organisation's contact person and phone are masked (PIPL: government reads
        across the cluster but does not need to call people); the platform operator and the
        organisation itself see them in full."""
        from flask import g, has_request_context

        from core.security_pii import mask_name, mask_phone

        actor = g.get("actor") if has_request_context() else None
        if actor is not None and not actor.is_admin and data.get("id") != actor.org_id:
            if "contact_name" in data:
                data["contact_name"] = mask_name(data["contact_name"] or "")
            if "contact_phone" in data:
                data["contact_phone"] = mask_phone(data["contact_phone"] or "")
        return data

    @validates("uscc")
    def _check_uscc(self, value: str, **_: Any) -> None:
        found = uscc.problem(value)
        if found:
            from flask_babel import gettext

            message, params = found
            raise ValidationError(gettext(message, **params))


class OrganizationUpdateSchema(OrganizationSchema):
    """Partial update; kind and USCC are the registration itself and cannot change here."""

    class Meta:
        exclude = ("kind", "uscc")


class UserSchema(BaseSchema):
    id = fields.Int(dump_only=True)
    organization_id = fields.Int(dump_only=True)
    username = fields.Str(
        required=True,
        validate=validate.Regexp(r"^[a-z0-9][a-z0-9_.-]{2,63}$", error="3–64位小写字母、数字、._-"),
    )
    display_name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    role = fields.Enum(Role, by_value=True, required=True)
    locale = fields.Str(load_default="zh", validate=validate.OneOf(["zh", "en"]))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    is_active = fields.Bool(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class OrgListArgs(PageArgs):
    kind = fields.Enum(OrgKind, by_value=True, load_default=None)
