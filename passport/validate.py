"""EPCIS validation: JSON Schema with real format checking, and offline JSON-LD expansion.

**Schema.** ``jsonschema.Draft7Validator`` (the schema declares draft-07) with a
``FormatChecker`` that must know ``date-time`` (``rfc3339-validator``) and ``uri``
(``rfc3987``). Without them jsonschema silently passes every format — and the EPCIS schema
leans on formats: CBV words are ``anyOf[enum, {format: uri}]`` and extension keys
``propertyNames: {format: uri}``, so a bad ``eventTime``, a non-URI EPC or a bare
``"weighing"`` bizStep would all pass. Importing this module fails loudly if a checker is
missing. The schema shipped in ``passport/data/`` is OpenEPCIS's Apache-2.0 copy of the
ratified EPCIS 2.0.1 schema; callers (and the tests) may add more schemas, e.g. GS1's own file,
and a document must then pass every one.

The verifier screens with jsonschema-rs first (``quick_schema_errors``) for speed.

**JSON-LD.** pyld expands with a document loader that serves the shipped EPCIS context for the
context URLs GS1 publishes and refuses every other URL: nothing is ever fetched. A document
whose inline context redefines a protected EPCIS term (the official example
``transformation_event_all_possible_fields.jsonld`` redefines ``cbvmda``) is refused by the
JSON-LD 1.1 processor — it is schema-valid, but not expandable, and we report exactly that.

Errors are ``Invalid`` naming the field by its path (``epcisBody.eventList[0].bizStep``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from jsonschema.exceptions import best_match
from pyld import jsonld

from core.errors import Invalid
from passport.epcis import CONTEXT

DATA = Path(__file__).resolve().parent / "data"
SCHEMA_PATH = DATA / "epcis-json-schema-2.0.1.json"
CONTEXT_PATH = DATA / "epcis-context.jsonld"
CONTEXT_URLS = (
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld",
)

FORMAT_CHECKER = jsonschema.FormatChecker()
for _needed in ("date-time", "uri"):
    if _needed not in FORMAT_CHECKER.checkers:  # pragma: no cover - an install problem
        raise RuntimeError(
            f"jsonschema cannot check format {_needed!r}: install rfc3339-validator and rfc3987"
        )


def load_json(path: Path) -> Any:
    """A JSON file (UTF-8)."""
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def shipped_schema() -> dict[str, Any]:
    """The EPCIS 2.0.1 JSON Schema shipped with the package."""
    return load_json(SCHEMA_PATH)


def validator(schema: Mapping[str, Any]) -> jsonschema.Draft7Validator:
    """A draft-07 validator of `schema` that asserts formats."""
    return jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER)


@cache
def _shipped_validator() -> jsonschema.Draft7Validator:
    return validator(shipped_schema())


def _path(error: jsonschema.ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


SHIPPED_NAME = "EPCIS 2.0.1 (OpenEPCIS)"


def schema_errors(
    instance: Any,
    extra: Sequence[tuple[str, jsonschema.Draft7Validator]] = (),
    *,
    shipped: bool = True,
) -> list[tuple[str, str, str]]:
    """(schema name, path, reason) of the most relevant error under each schema that fails."""
    found = []
    checks = [(SHIPPED_NAME, _shipped_validator())] if shipped else []
    for name, check in (*checks, *extra):
        error = best_match(check.iter_errors(instance))
        if error is not None:
            found.append((name, _path(error), error.message[:300]))
    return found


@cache
def _fast_shipped() -> jsonschema_rs.Draft7Validator:
    return jsonschema_rs.Draft7Validator(shipped_schema(), validate_formats=True)


def quick_schema_errors(instance: Any) -> list[tuple[str, str, str]]:
    """``schema_errors`` against the shipped schema, screened first by jsonschema-rs.

    The verifier checks whole bundles, where the pure-Python validator costs about 4 ms per
    event; the Rust validator (formats asserted too) answers valid documents in microseconds,
    and only a failing document is re-checked by the reference validator for its message.
    ``tests/passport/test_validate.py`` holds the two to the same verdicts.
    """
    fast = _fast_shipped()
    if fast.is_valid(instance):
        return []
    body = instance.get("epcisBody") if isinstance(instance, Mapping) else None
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if isinstance(events, list) and events:
        # find the failing event fast, and let the reference validator explain only that one
        shell = {**instance, "epcisBody": {**body, "eventList": []}}
        if fast.is_valid(shell):
            for position, event in enumerate(events):
                single = {**shell, "epcisBody": {**body, "eventList": [event]}}
                if not fast.is_valid(single):
                    return [
                        (name, path.replace("eventList[0]", f"eventList[{position}]", 1), reason)
                        for name, path, reason in schema_errors(single)
                    ] or [(SHIPPED_NAME, f"epcisBody.eventList[{position}]", "invalid")]
    return schema_errors(instance) or [(SHIPPED_NAME, "(document)", "invalid")]


def validate_document(
    document: Any, extra: Sequence[tuple[str, jsonschema.Draft7Validator]] = ()
) -> None:
    """Refuse a document (or bare event with ``@context``) that any schema rejects."""
    errors = schema_errors(document, extra)
    if errors:
        name, path, reason = errors[0]
        raise Invalid(
            "EPCIS 数据不符合 JSON Schema（%(schema)s）：%(path)s：%(reason)s",
            {path: reason},
            schema=name,
            path=path,
            reason=reason,
        )


def as_document(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Events in a minimal EPCISDocument with our context (how a bare event is validated)."""
    return {
        "@context": copy.deepcopy(CONTEXT),
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2000-01-01T00:00:00Z",
        "epcisBody": {"eventList": [dict(e) for e in events]},
    }


def validate_event(
    event: Mapping[str, Any], extra: Sequence[tuple[str, jsonschema.Draft7Validator]] = ()
) -> None:
    """Refuse an event (as built here, without ``@context``) that a schema rejects."""
    validate_document(as_document([event]), extra)


@cache
def _context_document() -> dict[str, Any]:
    return load_json(CONTEXT_PATH)


def offline_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: the shipped EPCIS context for its URLs, a refusal for anything else."""
    if url in CONTEXT_URLS:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(_context_document()),
        }
    raise jsonld.JsonLdError(
        f"offline: {url} is not a context this verifier ships",
        "jsonld.LoadDocumentError",
        code="loading remote context failed",
    )


def _root_cause(error: BaseException) -> str:
    reasons = []
    while error is not None:
        if isinstance(error, jsonld.JsonLdError):
            reasons.append(str(getattr(error, "code", "") or error.type))
        error = getattr(error, "cause", None) or error.__cause__
    return " ← ".join(r for r in reasons if r) or "JSON-LD error"


def expand(document: Mapping[str, Any]) -> list[Any]:
    """The JSON-LD expansion of `document`, offline; a processor refusal is `Invalid`."""
    try:
        return jsonld.expand(copy.deepcopy(dict(document)), {"documentLoader": offline_loader})
    except jsonld.JsonLdError as error:
        raise Invalid(
            "EPCIS 文档无法按 JSON-LD 展开：%(reason)s",
            {"@context": "not expandable"},
            reason=_root_cause(error),
        ) from error


def check_document(
    document: Any, extra: Sequence[tuple[str, jsonschema.Draft7Validator]] = ()
) -> list[Any]:
    """What capture and export require: valid under every schema and expandable; the expansion."""
    if not isinstance(document, Mapping):
        raise Invalid("EPCIS 文档必须是 JSON 对象", {"document": "not an object"})
    validate_document(document, extra)
    return expand(document)
