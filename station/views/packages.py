"""Packages and their labels: list and search, a package's page (its weighings and lineage),
Code39 SVG/PNG, a printable A4 sheet and a 60×40 mm label page, and the scan box."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, redirect, request, url_for

from core.access import access
from core.db import db
from core.errors import Invalid
from core.time import to_local
from core.units import grams_to_kg
from station import labels
from station.models import Package, PackageLink, PackageState, Weighing
from station.services.common import package_by_label
from station.views import bp
from station.views.common import STATION, render, sid, text, tz

PAGE = 100
SHEET_MAX = 60


@bp.get("/packages")
@access(kinds=STATION)
def packages() -> Any:
    """Latest packages, filtered by part of a label and by state."""
    q = text("q", request.args).upper()
    state = text("state", request.args)
    stmt = sa.select(Package).where(Package.station_id == sid())
    if q:
        stmt = stmt.where(Package.label.contains(q, autoescape=True))
    if state in {s.value for s in PackageState}:
        stmt = stmt.where(Package.state == PackageState(state))
    rows = db.session.scalars(stmt.order_by(Package.id.desc()).limit(PAGE)).all()
    return render("packages.html", rows=rows, q=q, state=state, states=list(PackageState))


@bp.get("/scan")
@access(kinds=STATION)
def scan() -> Any:
    """Entering or scanning a label opens its package; an unknown label is a 404 page that
    says which label was not found."""
    label = text("label", request.args)
    if not label:
        raise Invalid("请输入或扫描标签", {"label": "required"})
    found = package_by_label(sid(), label)
    return redirect(url_for("station.package", label=found.label))


@bp.get("/packages/<label>")
@access(kinds=STATION)
def package(label: str) -> Any:
    """A package with its weighings and its lineage both ways (where it came from, went to)."""
    found = package_by_label(sid(), label)
    weighings = db.session.scalars(
        sa.select(Weighing).where(Weighing.package_id == found.id).order_by(Weighing.id)
    ).all()
    parents = db.session.execute(
        sa.select(Package, PackageLink.grams)
        .join(PackageLink, PackageLink.parent_id == Package.id)
        .where(PackageLink.child_id == found.id)
    ).all()
    children = db.session.execute(
        sa.select(Package, PackageLink.grams)
        .join(PackageLink, PackageLink.child_id == Package.id)
        .where(PackageLink.parent_id == found.id)
    ).all()
    return render(
        "package.html", package=found, weighings=weighings, parents=parents, children=children
    )


@bp.get("/packages/<label>/label.svg")
@access(kinds=STATION)
def label_svg(label: str) -> Any:
    """The package's Code39 label as SVG (the page and print views embed it)."""
    found = package_by_label(sid(), label)
    return Response(labels.svg(found.label), mimetype="image/svg+xml")


@bp.get("/packages/<label>/label.png")
@access(kinds=STATION)
def label_png(label: str) -> Any:
    """The label as a 300 dpi PNG, for label printers' own software."""
    found = package_by_label(sid(), label)
    return Response(labels.png(found.label), mimetype="image/png")


def _label(found: Package) -> labels.Label:
    material = found.material or (found.category.name_zh if found.category else "")
    day = to_local(found.created_at, tz()).date().isoformat()
    return labels.Label(found.label, material, grams_to_kg(found.net_g), day)


@bp.get("/packages/<label>/label.pdf")
@access(kinds=STATION)
def label_pdf(label: str) -> Any:
    """The label as a 60 × 40 mm PDF page."""
    found = package_by_label(sid(), label)
    return Response(labels.label_page(_label(found)), mimetype="application/pdf")


@bp.get("/packages/<label>/print")
@access(kinds=STATION)
def label_print(label: str) -> Any:
    """A 60×40 mm label page: the print CSS sets the page size, the browser prints it."""
    return render("label_print.html", items=[package_by_label(sid(), label)], sheet=False)


def _chosen() -> list[Package]:
    wanted = request.args.getlist("label")
    if not wanted:
        raise Invalid("请选择要打印的标签", {"label": "required"})
    if len(wanted) > SHEET_MAX:
        raise Invalid("一次最多打印 %(n)s 个标签", {"label": "too many"}, n=SHEET_MAX)
    return [package_by_label(sid(), label) for label in wanted]


@bp.get("/labels/sheet")
@access(kinds=STATION)
def label_sheet() -> Any:
    """A printable A4 sheet of the chosen packages' labels (3 × 7 per page)."""
    return render("label_print.html", items=_chosen(), sheet=True)


@bp.get("/labels/sheet.pdf")
@access(kinds=STATION)
def label_sheet_pdf() -> Any:
    """The chosen labels as an A4 PDF sheet."""
    return Response(labels.a4_sheet([_label(p) for p in _chosen()]), mimetype="application/pdf")
