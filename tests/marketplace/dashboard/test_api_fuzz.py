"""The dashboard operations fuzzed from the OpenAPI document (schemathesis): no query string,
however odd, is a 500 — as the government (every scope) and as a producer (its own org)."""

from core.enums import OrgKind
from tests.marketplace.test_fuzz_api import fuzz


def test_no_dashboard_operation_answers_500_for_government(app, catalogue) -> None:
    fuzz(app, OrgKind.GOVERNMENT, minimum=5, prefix="/api/v1/dashboard")


def test_no_dashboard_operation_answers_500_for_a_producer(app, catalogue) -> None:
    fuzz(app, OrgKind.PRODUCER, minimum=5, prefix="/api/v1/dashboard", some_accepted=False)
