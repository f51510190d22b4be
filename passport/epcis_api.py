"""The EPCIS 2.0 interfaces: ``POST /epcis/capture`` and ``GET /epcis/events``.

Capture semantics (EPCIS 2.0 REST binding, §12): the document is processed at once, all or
nothing, and answered ``202 Accepted`` with ``Location: /epcis/capture/<captureID>`` and the
finished capture job in the body (``running: false``, ``success: true``); a refused document
is answered at once with 4xx naming the reason and field, and nothing of it is stored, so a
capture job that exists has always succeeded. ``GET /epcis/capture/<captureID>`` reads it back.

Signed-in organisations that write (not government, not viewers) may capture, with a bearer
token (an ERP or MES) or a session; anyone signed in may query. Rate limiting of the public
passport endpoints is issue 12.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for

from core.access import access, request_actor
from core.db import db
from core.enums import Role
from core.errors import Invalid
from passport.services import capture as service

bp = Blueprint("epcis", __name__, url_prefix="/epcis")
LD_JSON = "application/ld+json"


@bp.post("/capture")
@access(roles=(Role.MANAGER, Role.OPERATOR))
def capture() -> Any:
    """Capture an EPCISDocument (JSON or JSON-LD body)."""
    document = request.get_json(silent=True, force=True)
    if document is None:
        raise Invalid("请求体不是 JSON", {"body": "not JSON"})
    done = service.capture(document, organization_id=request_actor().org_id)
    db.session.commit()
    response = jsonify(done.to_json())
    response.status_code = 202
    response.headers["Location"] = url_for("epcis.capture_job", capture_id=done.capture_id)
    return response


@bp.get("/capture/<capture_id>")
@access()
def capture_job(capture_id: str) -> Any:
    """A finished capture job."""
    return jsonify(service.capture_status(capture_id).to_json())


@bp.get("/events")
@access()
def events() -> Any:
    """The simple event query: filters from the query string, one page per call."""
    params = {key: request.args.get(key, "") for key in request.args}
    found, contexts, token = service.query(params)
    response = jsonify(service.query_document(found, contexts))
    wanted = request.accept_mimetypes.best_match(["application/json", LD_JSON])
    response.headers["Content-Type"] = wanted or "application/json"
    response.headers["GS1-EPCIS-Version"] = "2.0.0"
    if token:
        nxt = url_for("epcis.events", **{**params, "nextPageToken": token})
        response.headers["Link"] = f'<{nxt}>; rel="next"'
    return response
