"""API: lots with their digital archive, versions, evidence and search."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_smorest import Blueprint

from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid
from core.models import Site
from core.time import utcnow
from marketplace.access import access, require_actor
from marketplace.lots import search, services, tabular
from marketplace.lots.models import EvidenceKind
from marketplace.lots.schemas import (
    ARCHIVE_EXAMPLE,
    ArchiveSchema,
    EvidenceFormSchema,
    EvidenceSchema,
    FormatArgs,
    LotDetailSchema,
    LotSchema,
    LotSearchArgs,
    VersionSchema,
)
from marketplace.lots.store import evidence_store
from marketplace.pagination import page_of
from marketplace.trading import services as trading

blp = Blueprint("lots_api", __name__, url_prefix="/api/v1/lots", description="废料批次与数字档案")
SELLERS = [OrgKind.PRODUCER, OrgKind.STATION]
WRITERS = [Role.MANAGER, Role.OPERATOR]


@blp.route("", methods=["GET"])
@access()
@blp.arguments(LotSearchArgs, location="query")
@blp.response(200, page_of(LotSchema))
def search_lots(args: dict[str, Any]) -> Any:
    """Search listed lots: grade, DQL, quantity, price, distance from one of my sites, text."""
    actor = require_actor()
    near = None
    if args["site_id"] is not None:
        site = db.session.get(Site, args["site_id"])
        if site is None or site.organization_id != actor.org_id:
            raise Invalid("场地不存在或不属于本组织", {"site_id": "not one of your sites"})
        near = (site.lat, site.lon)
    elif args["sort"] == "distance" or args["radius_km"]:
        raise Invalid("按距离检索需要指定本组织的场地", {"site_id": "required for distance"})
    query = search.LotQuery(
        family=args["family"],
        grade=args["grade"],
        min_dql=args["min_dql"],
        min_t=args["min_t"],
        max_t=args["max_t"],
        max_price_yuan=args["max_price"],
        near=near,
        radius_km=args["radius_km"],
        available_on=args["available_on"],
        q=args["q"],
        hazardous=args["hazardous"],
        sort=args["sort"],
    )
    return search.page(
        query,
        args["page"],
        args["per_page"],
        organization_id=actor.org_id if args["mine"] else None,
        count_limit=current_app.config["SEARCH_COUNT_LIMIT"],
    )


@blp.route("", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.arguments(ArchiveSchema, example=ARCHIVE_EXAMPLE)
@blp.response(201, LotDetailSchema)
def create_lot(data: dict[str, Any]) -> Any:
    """Create a draft lot with archive version 1 at one of my sites."""
    lot = services.create_lot(require_actor(), data, now=utcnow())
    db.session.commit()
    return lot


@blp.route("/<int:lot_id>", methods=["GET"])
@access()
@blp.response(200, LotDetailSchema)
def get_lot(lot_id: int) -> Any:
    """A lot with its current archive, evidence and DQL (with what the next level needs)."""
    return services.get_lot(require_actor(), lot_id)


@blp.route("/<int:lot_id>", methods=["PUT"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.arguments(ArchiveSchema, example=ARCHIVE_EXAMPLE)
@blp.response(200, LotDetailSchema)
def update_lot(data: dict[str, Any], lot_id: int) -> Any:
    """Replace the archive: a new version; earlier versions stay readable."""
    lot = services.update_lot(require_actor(), lot_id, data, now=utcnow())
    db.session.commit()
    return lot


@blp.route("/<int:lot_id>/publish", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.response(200, LotSchema)
def publish_lot(lot_id: int) -> Any:
    """Put a draft on the market."""
    lot = services.publish_lot(require_actor(), lot_id, now=utcnow())
    db.session.commit()
    return lot


@blp.route("/<int:lot_id>/withdraw", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.response(200, LotSchema)
def withdraw_lot(lot_id: int) -> Any:
    """Take a lot off the market (an open sale ends and its deposits are released)."""
    lot = trading.withdraw(require_actor(), lot_id, now=utcnow())
    db.session.commit()
    return lot


@blp.route("/<int:lot_id>/versions", methods=["GET"])
@access()
@blp.response(200, VersionSchema(many=True))
def list_versions(lot_id: int) -> Any:
    """Every archive version of a lot, oldest first."""
    return services.get_lot(require_actor(), lot_id).versions


@blp.route("/<int:lot_id>/versions/<int:number>", methods=["GET"])
@access()
@blp.response(200, VersionSchema)
def get_version(lot_id: int, number: int) -> Any:
    """One archive version as it was."""
    return services.get_version(require_actor(), lot_id, number)


@blp.route("/<int:lot_id>/evidence", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.arguments(EvidenceFormSchema, location="form")
@blp.response(201, EvidenceSchema)
def add_evidence(form: dict[str, Any], lot_id: int) -> Any:
    """Upload a photo, lab report or compliance document (multipart `file`); checked by content."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("请选择文件", {"file": "required"})
    data = upload.read()
    kind = EvidenceKind(form.pop("kind"))
    item = services.add_evidence(
        require_actor(),
        lot_id,
        kind,
        data,
        upload.filename or "",
        form,
        evidence_store(),
        now=utcnow(),
    )
    db.session.commit()
    return item


@blp.route("/evidence/<sha256>", methods=["GET"])
@access()
def download_evidence(sha256: str) -> Any:
    """The evidence file itself, served with its sniffed type and as an attachment."""
    item = services.evidence_for_download(require_actor(), sha256)
    data = evidence_store().get(item.sha256)
    disposition = "inline" if item.content_type.startswith("image/") else "attachment"
    return Response(
        data,
        mimetype=item.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{item.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": item.sha256,
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )


FILE_TYPES = {
    "csv": ("text/csv; charset=utf-8", tabular.write_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        tabular.write_xlsx,
    ),
}


def _file(kind: str, rows: Any, stem: str) -> Response:
    if kind not in FILE_TYPES:
        raise Invalid("格式应为 csv 或 xlsx", {"format": "csv or xlsx"})
    mimetype, writer = FILE_TYPES[kind]
    return Response(
        writer(rows),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{kind}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.route("/export", methods=["GET"])
@access(kinds=SELLERS)
@blp.arguments(FormatArgs, location="query")
def export_lots(args: dict[str, Any]) -> Any:
    """My organisation's lots as CSV or XLSX, in the columns import reads."""
    return _file(args["format"], tabular.export_rows(require_actor().org_id), "lots")


@blp.route("/import-template", methods=["GET"])
@access(kinds=SELLERS)
@blp.arguments(FormatArgs, location="query")
def import_template(args: dict[str, Any]) -> Any:
    """An empty import file with the columns and one example row."""
    return _file(args["format"], [tabular.EXAMPLE], "lots-template")


@blp.route("/import", methods=["POST"])
@access(kinds=SELLERS, roles=WRITERS)
@blp.response(201, LotSchema(many=True))
def import_lots() -> Any:
    """Import many lots from CSV or XLSX (multipart `file`): all rows valid, or nothing imported."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("请选择文件", {"file": "required"})
    table = tabular.read(upload.filename or "", upload.read())
    lots = tabular.import_lots(require_actor(), table)
    db.session.commit()
    return lots
