"""Lot use cases: create, edit (a new archive version each time), publish, withdraw, evidence.

Every write takes the acting organisation from the `Actor`, checks that the site and lot are its
own, validates the whole archive before anything is added to the session, and leaves the commit
to the caller.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from core import audit, auth
from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.errors import Conflict, Invalid, NotFound
from core.models import Site
from core.storage import BlobStore
from core.units import tonnes_to_grams, yuan_to_fen
from marketplace import passports
from marketplace.lots import evidence as uploads
from marketplace.lots.models import (
    EDITABLE,
    Evidence,
    EvidenceKind,
    Lot,
    LotStatus,
    LotVersion,
)
from marketplace.lots.properties import Source, check_composition, check_measurements
from marketplace.lots.quality import ArchiveFacts, assess

MAX_TONNES = Decimal(100_000)
VISIBLE_TO_ALL = frozenset({LotStatus.LISTED, LotStatus.AWARDED})


def _own_site(actor: Actor, site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None or site.organization_id != actor.org_id:
        raise Invalid("场地不存在或不属于本组织", {"site_id": "not one of your sites"})
    return site


def _grade(code: str) -> Category:
    cat = db.session.scalar(sa.select(Category).where(Category.code == code))
    if cat is None or not cat.active:
        raise Invalid("品级不存在", {"grade": "unknown grade"})
    if cat.parent_id is None:
        raise Invalid("请选择具体品级，而不是大类", {"grade": "a grade, not a family"})
    return cat


def _jsonable(items: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            k: (str(v) if isinstance(v, Decimal) else v.value if isinstance(v, Source) else v)
            for k, v in item.__dict__.items()
        }
        for item in items
    ]


def validate_archive(actor: Actor, data: dict[str, Any]) -> None:
    """Run every domain rule on an archive without writing (bulk import checks rows first)."""
    _archive(actor, data)


def _archive(actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Validate a whole archive and return the version's column values (nothing written)."""
    site = _own_site(actor, data["site_id"])
    grade = _grade(data["grade"])
    family = grade.family_code
    problems: dict[str, str] = {}
    tonnes = data["quantity_t"]
    if not Decimal(0) < tonnes <= MAX_TONNES:
        problems["quantity_t"] = f"must be > 0 and ≤ {MAX_TONNES} t"
    hw_codes = list(dict.fromkeys(data.get("hw_codes", [])))
    if grade.hazardous:
        unknown = [c for c in hw_codes if c not in grade.hw_codes]
        if not hw_codes or unknown:
            problems["hw_codes"] = f"one or more of {', '.join(grade.hw_codes)}"
    elif hw_codes:
        problems["hw_codes"] = "this grade is not hazardous waste"
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end < start:
        problems["available_until"] = "before available_from"
    if problems:
        raise Invalid("批次档案有误：%(names)s", problems, names=", ".join(problems))
    measured = check_measurements(family, data.get("properties", []))
    composition = check_composition(data.get("composition", []))
    ask = data.get("ask_yuan_per_t")
    return {
        "site_id": site.id,
        "category_id": grade.id,
        "title": data["title"],
        "description": data.get("description", ""),
        "quantity_g": tonnes_to_grams(tonnes),
        "quantity_basis": data["quantity_basis"],
        "form": data["form"],
        "package_count": data.get("package_count"),
        "unit_weight_g": (
            int(data["unit_weight_kg"] * 1000) if data.get("unit_weight_kg") else None
        ),
        "bulk_density_kg_m3": data.get("bulk_density_kg_m3"),
        "available_from": start,
        "available_until": end,
        "loading": data.get("loading", []),
        "hazardous": grade.hazardous,
        "hw_codes": hw_codes,
        "industry_code": data.get("industry_code", ""),
        "process": data.get("process", ""),
        "batch": _batch(data.get("batch") or {}),
        "recurrence": _recurrence(data.get("recurrence") or {}),
        "properties": _jsonable(measured),
        "composition": _jsonable(composition),
        "ask_fen_per_t": yuan_to_fen(ask) if ask is not None else None,
        "_grade": grade,
        "_site": site,
    }


def _recurrence(recurrence: dict[str, Any]) -> dict[str, Any]:
    """The expected tonnes are kept as their decimal text: JSON has no Decimal, and a float
    would turn 1.1 t into 1.1000000000000001 t."""
    out = dict(recurrence)
    if isinstance(out.get("expected_t_per_period"), Decimal):
        out["expected_t_per_period"] = str(out["expected_t_per_period"])
    return out


def _batch(batch: dict[str, Any]) -> dict[str, Any]:
    out = dict(batch)
    for key in ("period_start", "period_end"):
        if isinstance(out.get(key), date):
            out[key] = out[key].isoformat()
    return out


def _facts(values: dict[str, Any], evidence: list[Evidence]) -> ArchiveFacts:
    grade: Category = values["_grade"]
    batch = values["batch"]
    return ArchiveFacts(
        family=grade.family_code,
        has_site=True,
        has_grade=True,
        has_quantity=values["quantity_g"] > 0,
        measured=frozenset(p["key"] for p in values["properties"]),
        n_photos=sum(e.kind is EvidenceKind.PHOTO for e in evidence),
        lab_composition=any(c["source"] == Source.LAB.value for c in values["composition"]),
        n_lab_reports=sum(e.kind is EvidenceKind.LAB_REPORT for e in evidence),
        batch_traced=bool(batch.get("work_orders") or batch.get("period_start")),
        n_compliance_docs=sum(e.kind is EvidenceKind.COMPLIANCE for e in evidence),
        hazardous=grade.hazardous,
        hw_codes=frozenset(values["hw_codes"]),
    )


def _search_text(values: dict[str, Any]) -> str:
    grade: Category = values["_grade"]
    parent = grade.parent
    parts = [
        values["title"],
        grade.code,
        grade.name_zh,
        grade.name_en,
        values["description"],
        values["process"],
        parent.name_zh if parent else "",
        parent.name_en if parent else "",
    ]
    return " ".join(p for p in parts if p).lower()


def _new_version(lot: Lot, values: dict[str, Any], actor: Actor, now: datetime) -> LotVersion:
    """Append a version and mirror it onto the lot's search columns."""
    evidence = (
        list(db.session.scalars(sa.select(Evidence).where(Evidence.lot_id == lot.id)))
        if lot.id
        else []
    )
    quality = assess(_facts(values, evidence))
    columns = {k: v for k, v in values.items() if not k.startswith("_")}
    number = lot.version + 1  # the lot row is locked (FOR UPDATE) while it changes
    version = LotVersion(
        lot=lot,
        number=number,
        created_at=now,
        created_by=actor.user_id,
        **columns,
        evidence_ids=[e.id for e in evidence],
        dql=quality.level,
        dql_missing=list(quality.missing),
    )
    site: Site = values["_site"]
    grade: Category = values["_grade"]
    lot.version, lot.updated_at = number, now
    lot.site_id, lot.lat, lot.lon = site.id, site.lat, site.lon
    lot.title, lot.category_id, lot.family_code = values["title"], grade.id, grade.family_code
    lot.dql, lot.quantity_g, lot.ask_fen_per_t = (
        quality.level,
        values["quantity_g"],
        values["ask_fen_per_t"],
    )
    lot.available_from, lot.available_until = values["available_from"], values["available_until"]
    lot.hazardous, lot.search_text = values["hazardous"], _search_text(values)
    db.session.add(version)
    return version


def create_lot(actor: Actor, data: dict[str, Any], *, now: datetime) -> Lot:
    """A new draft lot with archive version 1 at one of the actor's sites."""
    values = _archive(actor, data)
    lot = Lot(organization_id=actor.org_id, status=LotStatus.DRAFT, created_at=now, version=0)
    db.session.add(lot)
    _new_version(lot, values, actor, now)
    db.session.flush()
    return lot


def _own_lot(actor: Actor, lot_id: int) -> Lot:
    """The actor's lot, locked for the rest of the transaction (edits and uploads serialise)."""
    lot = db.session.scalar(sa.select(Lot).where(Lot.id == lot_id).with_for_update())
    if lot is None:
        raise NotFound("批次不存在")
    auth.require_write_org(actor, lot.organization_id, target=f"lot:{lot_id}")
    return lot


def _require_editable(lot: Lot) -> None:
    if lot.status not in EDITABLE:
        raise Conflict(
            "批次状态为“%(status)s”，不能修改",
            {"status": lot.status.value},
            status=lot.status.value,
        )


def update_lot(actor: Actor, lot_id: int, data: dict[str, Any], *, now: datetime) -> Lot:
    """Edit the archive: a new version; earlier versions stay as they were."""
    lot = _own_lot(actor, lot_id)
    _require_editable(lot)
    _new_version(lot, _archive(actor, data), actor, now)
    audit.record(
        "lot.edited",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"lot:{lot.id}",
        version=lot.version,
    )
    return lot


def current_version(lot: Lot) -> LotVersion:
    return db.session.scalar(
        sa.select(LotVersion).where(LotVersion.lot_id == lot.id, LotVersion.number == lot.version)
    )


def publish_lot(actor: Actor, lot_id: int, *, now: datetime) -> Lot:
    """Draft → listed, when its archive reaches at least DQL 1."""
    lot = _own_lot(actor, lot_id)
    if lot.status is not LotStatus.DRAFT:
        raise Conflict("只有草稿可以发布", {"status": lot.status.value})
    if lot.dql < 1:
        raise Invalid("档案未达到 DQL 1，不能发布", {"dql": "needs level 1"})
    lot.status, lot.listed_at = LotStatus.LISTED, now
    passports.listed(lot, now)
    return lot


def withdraw_lot(actor: Actor, lot_id: int, *, now: datetime) -> Lot:
    """Take a draft or listed lot off the market."""
    lot = _own_lot(actor, lot_id)
    _require_editable(lot)
    lot.status, lot.updated_at = LotStatus.WITHDRAWN, now
    return lot


def get_lot(actor: Actor, lot_id: int) -> Lot:
    """A listed lot for any signed-in user; others only for their owner and cluster readers."""
    # Every caller shows or checks the seller and the grade: one query, not three.
    lot = db.session.get(
        Lot, lot_id, options=[joinedload(Lot.organization), joinedload(Lot.category)]
    )
    if lot is None:
        raise NotFound("批次不存在")
    if lot.status not in VISIBLE_TO_ALL:
        auth.require_read_org(actor, lot.organization_id, target=f"lot:{lot_id}")
    return lot


def get_version(actor: Actor, lot_id: int, number: int) -> LotVersion:
    lot = get_lot(actor, lot_id)
    version = db.session.scalar(
        sa.select(LotVersion).where(LotVersion.lot_id == lot.id, LotVersion.number == number)
    )
    if version is None:
        raise NotFound("档案版本不存在")
    return version


def add_evidence(
    actor: Actor,
    lot_id: int,
    kind: EvidenceKind,
    data: bytes,
    filename: str,
    meta: dict[str, Any],
    blobs: BlobStore,
    *,
    now: datetime,
) -> Evidence:
    """Attach a photo, lab report or compliance document; the archive gets a new version."""
    lot = _own_lot(actor, lot_id)
    _require_editable(lot)
    if kind is EvidenceKind.LAB_REPORT:
        missing = [
            k for k in ("lab_name", "accreditation_no", "method", "test_date") if not meta.get(k)
        ]
        if missing:
            raise Invalid(
                "检测报告需注明检测机构、资质编号、方法和日期",
                {k: "required for a lab report" for k in missing},
            )
        if meta["test_date"] > now.date():
            raise Invalid("检测日期不能晚于今天", {"test_date": "in the future"})
    sha, content_type = uploads.store(blobs, kind, data)
    item = Evidence(
        organization_id=lot.organization_id,
        lot_id=lot.id,
        kind=kind,
        sha256=sha,
        content_type=content_type,
        size_bytes=len(data),
        filename=filename[:200],
        uploaded_by=actor.user_id,
        uploaded_at=now,
        lab_name=meta.get("lab_name", ""),
        accreditation_no=meta.get("accreditation_no", ""),
        method=meta.get("method", ""),
        test_date=meta.get("test_date"),
        title=meta.get("title", ""),
    )
    db.session.add(item)
    db.session.flush()
    previous = current_version(lot)
    values = {c: getattr(previous, c) for c in _VERSION_COLUMNS}
    values["_grade"], values["_site"] = previous.category, db.session.get(Site, previous.site_id)
    _new_version(lot, values, actor, now)
    return item


_VERSION_COLUMNS = (
    "site_id",
    "category_id",
    "title",
    "description",
    "quantity_g",
    "quantity_basis",
    "form",
    "package_count",
    "unit_weight_g",
    "bulk_density_kg_m3",
    "available_from",
    "available_until",
    "loading",
    "hazardous",
    "hw_codes",
    "industry_code",
    "process",
    "batch",
    "recurrence",
    "properties",
    "composition",
    "ask_fen_per_t",
)


def lot_evidence(lot: Lot) -> list[Evidence]:
    """The evidence of a lot's current version, in upload order."""
    return version_evidence(current_version(lot))


def evidence_for_download(actor: Actor, sha256: str) -> Evidence:
    """An evidence file the actor may see: of a lot visible to it."""
    item = db.session.scalar(sa.select(Evidence).where(Evidence.sha256 == sha256).limit(1))
    if item is None or item.lot_id is None:
        raise NotFound("文件不存在")
    get_lot(actor, item.lot_id)
    return item


def version_evidence(version: LotVersion) -> list[Evidence]:
    """The evidence a given archive version listed."""
    if not version.evidence_ids:
        return []
    stmt = sa.select(Evidence).where(Evidence.id.in_(version.evidence_ids)).order_by(Evidence.id)
    return list(db.session.scalars(stmt))
