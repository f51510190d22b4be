"""Property-based fuzzing of every API operation from the OpenAPI document: no input is a 500,
every answer conforms to the schema the document gives for its status, and no status code is
one the document does not list (schemathesis' `response_schema_conformance` and
`status_code_conformance`). The document has no OpenAPI links, so there is no stateful phase.

Schemathesis builds a Hypothesis strategy per operation from the spec (bodies, query strings,
path parameters, valid and invalid) and the cases are sent through the real app as a signed-in
producer. Bounded (a few examples per operation) so it stays a test, not a soak.
"""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from core.enums import OrgKind, Role
from tests.factories import bearer, make_org, make_user

EXAMPLES_PER_OPERATION = 12
CONFORMANCE = [response_schema_conformance, status_code_conformance]


def test_no_operation_answers_500(app, catalogue) -> None:
    fuzz(app, OrgKind.PRODUCER, minimum=30)


def test_no_station_operation_answers_500(app, catalogue) -> None:
    """The station's operations as its manager (a producer is refused them before any rule)."""
    fuzz(app, OrgKind.STATION, minimum=15, prefix="/api/v1/station")


def fuzz(app, kind: OrgKind, *, minimum: int, prefix: str = "", some_accepted: bool = True) -> None:
    headers = bearer(make_user(make_org(kind), Role.MANAGER))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    client = app.test_client()
    failures = []
    sent = []
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if op.full_path.startswith(prefix)
    ]
    assert len(operations) >= minimum

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def send(case) -> None:
            # Our client gives each request its own app context, as in production; our token
            # replaces any the generator made up from the spec's bearer scheme.
            response = client.open(**case.as_transport_kwargs(headers=headers))
            sent.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            try:
                case.validate_response(response, checks=CONFORMANCE)
            except (AssertionError, FailureGroup) as failure:
                summary = " | ".join(str(failure).strip().splitlines()[2:9])[:400]
                failures.append(f"{case.method} {case.formatted_path}: {summary}")
            response.close()

        send()
    assert not failures, failures
    assert len(sent) > 3 * len(operations)  # it really sent cases
    if some_accepted:  # some accepted, not all refused (a fresh org owns nothing to act on)
        assert any(code < 300 for code in sent), sorted(set(sent))
