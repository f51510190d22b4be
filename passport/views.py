"""Public passport pages: the scan page of a lot, Digital Link resolution, labels, bundles,
checkpoints and the verify page.

``/lot/<ID>`` answers browsers with HTML (timeline, lineage graph, verification, labels) and
``Accept: application/ld+json`` or ``application/json`` with the lot's EPCIS document. A
malformed ID is 400, a well-formed unknown one 404. ``/01/<GTIN>/10/<lot>`` and ``/00/<SSCC>``
redirect to the lot's page when the key's check digit is valid and the key is registered.
Everything here is public; members of the lot's trade also see its private details (prices,
counterparties' contacts) through ``passport.hooks``. Rate limiting of these public endpoints
is issue 12.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from core.access import access
from core.db import db
from core.errors import Invalid, NotFound
from passport import hooks, ids, labels
from passport.services import config, proofs, scan, store
from passport.verify import verify_bundle

bp = Blueprint("passport", __name__, template_folder="templates")
LD_JSON = "application/ld+json"
MAX_BUNDLE = 20 * 1024 * 1024


def _lot(lot_id: str) -> str:
    """A known lot's ID from the URL: 400 when malformed, 404 when unknown."""
    scanned = ids.parse_scan(lot_id, host=config.host())
    assert scanned.lot_id is not None
    store.get_lot(scanned.lot_id)
    return scanned.lot_id


def _actor() -> Any:
    from flask import g

    return g.get("actor")


@bp.get("/lot/<lot_id>")
@access(public=True)
def lot_page(lot_id: str) -> Any:
    """The scan page: HTML for people, the EPCIS document for machines."""
    lot = _lot(lot_id)
    wanted = request.accept_mimetypes.best_match(["text/html", LD_JSON, "application/json"])
    if wanted in (LD_JSON, "application/json"):
        response = jsonify(scan.public_document(lot))
        response.headers["Content-Type"] = wanted
        return response
    events = store.lot_events(lot)
    report = proofs.verify_lot(lot, fresh=False) if events else None
    db.session.commit()  # a checkpoint may have been made for the newest events
    return render_template(
        "passport/lot.html",
        lot=lot,
        uri=config.lot_uri(lot),
        steps=scan.timeline(lot, events),
        graph=scan.lineage_graph(lot) if events else scan.Graph(),
        report=report,
        details=hooks.member_details(lot, _actor()),
        checkpoint=proofs.latest_checkpoint(),
    )


@bp.get("/01/<gtin>/10/<lot_id>")
@access(public=True)
def digital_link_gtin(gtin: str, lot_id: str) -> Any:
    """GS1 Digital Link of a batch: redirect to the lot when the GTIN is its own."""
    uri = f"{config.scheme()}://{config.host()}/01/{gtin}/10/{lot_id}"
    scanned = ids.parse_uri(uri, host=config.host())
    row = store.get_lot(scanned.lot_id or "")
    if row.gtin != scanned.gtin:
        raise NotFound("这个 GTIN 下没有这个批次", {"gtin": "not this lot's"})
    return redirect(url_for("passport.lot_page", lot_id=row.lot), 303)


@bp.get("/00/<sscc>")
@access(public=True)
def digital_link_sscc(sscc: str) -> Any:
    """GS1 Digital Link of a logistic unit: redirect to the lot registered under the SSCC."""
    scanned = ids.parse_uri(f"{config.scheme()}://{config.host()}/00/{sscc}", host=config.host())
    return redirect(url_for("passport.lot_page", lot_id=store.sscc_lot(scanned.sscc)), 303)


@bp.get("/lot/<lot_id>/bundle.json")
@access(public=True)
def bundle(lot_id: str) -> Any:
    """The lot's export bundle (verify it offline with ``python -m passport.verify_bundle``).

    ``?older=<tree size>`` adds the consistency proof from that published checkpoint, for
    whoever kept it.
    """
    lot = _lot(lot_id)
    older = request.args.get("older")
    if older is not None and (not older.isdigit() or len(older) > 12):
        raise Invalid("older 应为已发布检查点的日志大小", {"older": "tree size"})
    data = proofs.export_bundle(lot, fresh=False, older=int(older) if older else None)
    db.session.commit()
    response = Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{lot}-passport.json"'
    return response


LABELS = {
    "qr.png": ("image/png", lambda lot: labels.qr_png(config.lot_uri(lot))),
    "qr.svg": ("image/svg+xml", lambda lot: labels.qr_svg(config.lot_uri(lot))),
    "code39.png": ("image/png", labels.code39_png),
    "code39.svg": ("image/svg+xml", labels.code39_svg),
    "labels.pdf": (
        "application/pdf",
        lambda lot: labels.label_sheet_pdf([labels.label_for(config.lot_uri(lot), lot)]),
    ),
}


@bp.get("/lot/<lot_id>/label/<kind>")
@access(public=True)
def label(lot_id: str, kind: str) -> Any:
    """The lot's QR code, Code39 barcode (PNG or SVG) or printable label sheet."""
    lot = _lot(lot_id)
    if kind not in LABELS:
        raise NotFound(
            "没有这种标签", {"kind": "qr.png, qr.svg, code39.png, code39.svg, labels.pdf"}
        )
    mimetype, render = LABELS[kind]
    response = Response(render(lot), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{lot}-{kind}"'
    return response


@bp.get("/passport/checkpoints")
@access(public=True)
def checkpoints() -> Any:
    """Every recent signed checkpoint and the public key, for anyone to keep."""
    rows = proofs.checkpoints()
    return render_template(
        "passport/checkpoints.html",
        rows=[(row, proofs.signed(row)) for row in rows],
        public_key=proofs.public_key_pem(),
    )


@bp.get("/passport/checkpoints/latest.json")
@access(public=True)
def latest_checkpoint() -> Any:
    """The latest signed checkpoint as a file."""
    row = proofs.latest_checkpoint()
    if row is None:
        raise NotFound("还没有检查点", {"checkpoint": "none yet"})
    response = jsonify(proofs.signed(row))
    response.headers["Content-Disposition"] = 'attachment; filename="checkpoint-latest.json"'
    return response


@bp.get("/passport/public-key.pem")
@access(public=True)
def public_key() -> Any:
    """The key every checkpoint is signed with."""
    return Response(proofs.public_key_pem(), mimetype="application/x-pem-file")


@bp.route("/passport/verify", methods=["GET", "POST"])
@access(public=True)
def verify() -> Any:
    """Verify a bundle (uploaded or pasted) or a lot by ID, against the published key."""
    report, error = None, None
    if request.method == "POST":
        try:
            report = _verify_submitted()
            db.session.commit()
        except (Invalid, NotFound, ids.MalformedIdentifier) as refused:
            db.session.rollback()
            error = refused.message % refused.params if refused.params else refused.message
    lang = "en" if request.args.get("lang") == "en" else "zh"
    return render_template(
        "passport/verify.html",
        report=report.to_json(lang) if report else None,
        error=error,
    ), 200 if error is None else 422


def _verify_submitted() -> Any:
    lot_id = (request.form.get("lot") or "").strip()
    upload = request.files.get("bundle")
    text = upload.read(MAX_BUNDLE + 1) if upload and upload.filename else None
    if text is None:
        text = (request.form.get("text") or "").encode("utf-8") or None
    if text is None:
        if not lot_id:
            raise Invalid("请上传或粘贴护照文件，或输入批次编号", {"bundle": "required"})
        return proofs.verify_lot(_lot(lot_id), fresh=False)
    if len(text) > MAX_BUNDLE:
        raise Invalid("文件过大", {"bundle": "too large"})
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid("护照文件不是有效的 JSON", {"bundle": "not JSON"}) from error
    return verify_bundle(data, trusted_key=proofs.public_key_pem())
