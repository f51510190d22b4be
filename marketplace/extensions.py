"""Web-only extensions, created unbound and bound in the app factory."""

from __future__ import annotations

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_babel import Babel
from flask_login import LoginManager
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from marshmallow import Schema

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def schema_name(schema: type[Schema] | Schema) -> str:
    """OpenAPI component names: `LotCreate`, and `LotCreatePatch` for a partial (PATCH) body."""
    cls = resolve_schema_cls(schema)
    name = cls.__name__.removesuffix("Schema")
    if isinstance(schema, Schema) and schema.partial:
        name += "Patch"
    return name


api = Api(spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
