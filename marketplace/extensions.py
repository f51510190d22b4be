"""Web-only extensions, created unbound and bound in the app factory."""

from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema, fields

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class ErrorBodySchema(Schema):
    code = fields.Str(metadata={"description": "machine-readable reason, e.g. invalid, forbidden"})
    message = fields.Str(metadata={"description": "human-readable, in the caller's locale"})
    fields = fields.Dict(
        keys=fields.Str(),
        values=fields.Str(),
        metadata={"description": "input field → what is wrong with it"},
    )


class ErrorSchema(Schema):
    """Every error response: `{"error": {"code", "message", "fields"}}`."""

    error = fields.Nested(ErrorBodySchema)


class PlatformApi(Api):
    """smorest's Api documenting the platform's own error shape."""

    ERROR_SCHEMA = ErrorSchema


def schema_name(schema: type[Schema] | Schema) -> str:
    """OpenAPI component names: `LotCreate`, and `LotCreatePatch` for a partial (PATCH) body."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema) and schema.partial:
        name += "Patch"
    return name


def init_api(app: Flask) -> Api:
    """A fresh Api per app (it keeps its spec on itself), with bearer and cookie security."""
    api = PlatformApi(
        spec_kwargs={
            "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        }
    )
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/tokens"}
    )
    api.spec.components.security_scheme(
        "cookieAuth",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "signed-in browser session; unsafe methods need X-CSRFToken",
        },
    )
    app.extensions["smorest_api"] = api
    return api
