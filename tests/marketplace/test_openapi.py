"""The OpenAPI document describes every API operation and is itself valid OpenAPI 3."""

import re

from openapi_spec_validator import validate


def api_operations(app) -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in (
            "api-docs.openapi_json",
            "docs.api_docs",
        ):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            ops.add((path, method.lower()))
    return ops


def test_spec_is_valid_openapi(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_operation_is_documented(app, client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, item in spec["paths"].items() for method in item}
    missing = api_operations(app) - documented
    assert not missing, f"undocumented operations: {sorted(missing)}"
    for path, method in api_operations(app):
        operation = spec["paths"][path][method]
        assert operation.get("summary"), f"{method.upper()} {path} has no summary (docstring)"


def test_error_shape_is_documented(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    error = spec["components"]["schemas"]["Error"]
    assert "error" in error["properties"]
    assert set(spec["components"]["schemas"]["ErrorBody"]["properties"]) == {
        "code",
        "message",
        "fields",
    }


def test_docs_page_loads_only_local_assets(client) -> None:
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(s.startswith("/static/") for s in sources), sources
    assert "<script>" not in page  # no inline script
    for source in sources:
        response = client.get(source)
        assert response.status_code == 200, source
        response.close()


def test_lot_operations_carry_examples_that_validate(client) -> None:
    from marketplace.lots.schemas import ArchiveSchema, WantedCreateSchema

    spec = client.get("/api/v1/openapi.json").json
    for path, schema in (("/api/v1/lots", ArchiveSchema), ("/api/v1/wanted", WantedCreateSchema)):
        example = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"][
            "example"
        ]
        schema().load(example)  # the documented example is itself valid input
