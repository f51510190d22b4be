"""The admin's audit log page (`/admin/audit`): filters, paging, CSV/XLSX export, PII requests.

Read-only over an append-only table: there is nothing here to edit or delete. Exports escape
every cell that a spreadsheet would run as a formula (core.tabular.safe_cell).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext
from openpyxl import Workbook

from core import security_audit, security_pii
from core.db import db
from core.enums import OrgKind
from core.errors import Invalid
from core.tabular import safe_cell
from core.time import utcnow
from marketplace.access import access, require_actor

bp = Blueprint("security_admin", __name__, url_prefix="/admin")
PER_PAGE = 50
ADMIN = [OrgKind.ADMIN]


def _day(name: str) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise Invalid("日期格式应为 YYYY-MM-DD", {name: "YYYY-MM-DD"}) from None


def _filter() -> security_audit.AuditFilter:
    org = request.args.get("organization_id", "").strip()
    if org and not (org.isdigit() and int(org) < 2**31):
        raise Invalid("组织编号应为正整数", {"organization_id": "positive integer"})
    until = _day("until")
    return security_audit.AuditFilter(
        action=request.args.get("action", "").strip()[:64],
        user=request.args.get("user", "").strip()[:64],
        organization_id=int(org) if org else None,
        target=request.args.get("target", "").strip()[:200],
        since=_day("since"),
        until=until + timedelta(days=1) if until else None,  # the whole last day
    )


@bp.get("/audit")
@access(kinds=ADMIN)
def audit_page() -> Any:
    f = _filter()
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    rows = security_audit.search(f, limit=PER_PAGE + 1, offset=(page_no - 1) * PER_PAGE)
    return render_template(
        "security/audit.html",
        rows=rows[:PER_PAGE],
        has_next=len(rows) > PER_PAGE,
        page_no=page_no,
        f=f,
        args=request.args,
        actions=security_audit.actions(),
        detail=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True, default=str),
    )


@bp.get("/audit.<fmt>")
@access(kinds=ADMIN)
def audit_export(fmt: str) -> Any:
    if fmt not in ("csv", "xlsx"):
        raise Invalid("格式应为 csv 或 xlsx", {"format": "csv or xlsx"})
    rows = security_audit.export_rows(_filter())
    stamp = utcnow().strftime("%Y%m%dT%H%MZ")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
        body, mimetype = out.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("audit")
        for row in rows:
            sheet.append([safe_cell("" if v is None else v) for v in row])
        buf = io.BytesIO()
        book.save(buf)
        body = buf.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.{fmt}"'},
    )


@bp.get("/pii/<username>.json")
@access(kinds=ADMIN)
def pii_export(username: str) -> Any:
    """Everything personal held about one user (a PIPL access request), as a download."""
    data = security_pii.export_user(username)
    from core import audit

    actor = require_actor()
    audit.record(
        "pii.exported",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"user:{data['user']['id']}",
    )
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="pii-{data["user"]["id"]}.json"'},
    )


@bp.post("/pii/<username>/erase")
@access(kinds=ADMIN)
def pii_erase(username: str) -> Any:
    """Erase one user's personal data (tombstone; ids, hashes and the audit trail stay)."""
    if request.form.get("confirm") != username:
        raise Invalid("请输入用户名以确认删除", {"confirm": "must repeat the username"})
    user = security_pii.erase_user(username, by_user_id=require_actor().user_id, now=utcnow())
    db.session.commit()
    return redirect(
        url_for("security_admin.audit_page", target=f"user:{user.id}", msg=gettext("已删除"))
    )
