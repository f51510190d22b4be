"""The dispatch operations fuzzed from the OpenAPI document as a logistics manager: no 500."""

from core.enums import OrgKind
from tests.marketplace.test_fuzz_api import fuzz


def test_no_dispatch_operation_answers_500(app, catalogue) -> None:
    # a fresh company has no vehicles or plans, so every case is refused (422/404) — the point
    # is that none of them is a 500; the accepted paths are covered in test_api.py
    fuzz(app, OrgKind.LOGISTICS, minimum=5, prefix="/api/v1/dispatch", some_accepted=False)
