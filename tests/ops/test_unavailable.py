"""With the database unreachable every request gets a clean 503 with Retry-After (JSON for the
API, a plain page otherwise), never a 500: the user's language and account, which the error
pages look up, come from the database too."""

from __future__ import annotations

from tests.conftest import make_app
from tests.ops.servers import free_port


def test_unreachable_database_answers_503_with_retry_after(tmp_path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"  # nobody listens
    client = make_app(url, tmp_path).test_client()
    api = client.get("/api/v1/escrow", headers={"Authorization": "Bearer hl_not-checked"})
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.json["error"]["code"] == "unavailable"
    assert api.json["error"]["message"] == "服务暂时不可用，请稍后重试"
    page = client.get("/lot/HL-2026-000001")  # the public passport page
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "服务暂时不可用" in page.get_data(as_text=True)
