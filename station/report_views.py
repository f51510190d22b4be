"""Pages of the station's three reports, each also as CSV and XLSX with the same columns.

Thin: the query string is parsed here (a malformed parameter is a 400 naming it), the services
in `station.services.reports` query, and `station.reports` writes the files.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext

from core.access import access, request_actor
from core.enums import OrgKind
from core.errors import DomainError
from core.i18n import N_
from core.time import to_local, utcnow
from station import quota
from station import reports as pure
from station.models import Stage
from station.services import reports

bp = Blueprint(
    "station_reports", __name__, url_prefix="/station/reports", template_folder="templates"
)
READERS = [OrgKind.STATION, OrgKind.ADMIN, OrgKind.GOVERNMENT]
FORMATS = ("html", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_MAX = 20_000  # a process-record export beyond this must be narrowed to a day or stage
E = TypeVar("E", bound=enum.Enum)


class BadParameter(DomainError):
    """A query parameter that cannot be read: 400 with the parameter named."""

    code = "bad_parameter"


def _tz() -> str:
    return str(current_app.config["TIMEZONE"])


def _today() -> date:
    return to_local(utcnow(), _tz()).date()


def _param(name: str, parse: Callable[[str], Any], default: Any, expected: str) -> Any:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return parse(raw)
    except (ValueError, KeyError) as exc:
        raise BadParameter(
            "参数 %(name)s 不正确：应为 %(expected)s",
            {name: expected},
            name=name,
            expected=expected,
        ) from exc


def _date(name: str, default: date | None) -> date | None:
    return _param(name, date.fromisoformat, default, "YYYY-MM-DD")


def _int(name: str, default: int | None, low: int = 1, high: int = 10**9) -> int | None:
    def parse(raw: str) -> int:
        value = int(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value

    return _param(name, parse, default, f"{low}..{high}")


def _choice(name: str, kind: type[E], default: E | None) -> E | None:
    return _param(name, kind, default, "|".join(str(m.value) for m in kind))


def _format() -> str:
    return str(_param("format", lambda raw: FORMATS[FORMATS.index(raw)], "html", "|".join(FORMATS)))


def _file(
    fmt: str, rows: Sequence[Any], columns: Sequence[pure.Column], title: str, name: str
) -> Response:
    if fmt == "csv":
        body, mimetype = pure.to_csv(rows, columns, _tz(), gettext), "text/csv; charset=utf-8"
    else:
        body, mimetype = pure.to_xlsx(rows, columns, title, _tz(), gettext), XLSX
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _page(template: str, **context: Any) -> str:
    args = {k: v for k, v in request.args.items() if k != "format"}
    return render_template(template, args=args, translate=gettext, **context)


@bp.get("/inventory")
@access(kinds=READERS)
def inventory() -> Any:
    """单日库存结余表 of a day (today by default)."""
    day = _date("day", _today())
    station, fmt = _int("station", None), _format()
    rows = reports.inventory(request_actor(), day, _tz(), station_id=station)
    if fmt != "html":
        title = gettext("单日库存结余表") + f" {day}"
        return _file(fmt, rows, pure.BALANCE_COLUMNS, title, f"inventory-{day}")
    return _page(
        "station_reports/inventory.html",
        rows=rows,
        day=day,
        columns=pure.BALANCE_COLUMNS,
        residual=pure.residual(rows),
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    )


@bp.get("/process")
@access(kinds=READERS)
def process() -> Any:
    """过程记录表: every weighing, filtered by day, stage and result, a page at a time."""
    day = _date("day", None)
    stage = _choice("stage", Stage, None)
    result = _choice("result", quota.Result, None)
    page = _int("page", 1)
    per_page = _int("per_page", 50, high=reports.MAX_PER_PAGE)
    station, fmt = _int("station", None), _format()
    query = {"tz": _tz(), "day": day, "stage": stage, "result": result, "station_id": station}
    actor = request_actor()
    if fmt != "html":
        found = reports.process(actor, **query, per_page=1)
        if found.total > EXPORT_MAX:
            raise BadParameter(
                N_("记录超过 %(n)s 条，请按日期或环节筛选后导出"), {"day": "required"}, n=EXPORT_MAX
            )
        rows = []
        for number in range(1, -(-found.total // reports.MAX_PER_PAGE) + 1):
            chunk = reports.process(
                actor, **query, page=number, per_page=reports.MAX_PER_PAGE, translate=gettext
            )
            rows += chunk.rows
        suffix = f"-{day}" if day else ""
        title = gettext("过程记录表") + (f" {day}" if day else "")
        return _file(fmt, rows, reports.process_columns(gettext), title, f"process{suffix}")
    found = reports.process(actor, **query, page=page, per_page=per_page, translate=gettext)
    return _page(
        "station_reports/process.html",
        found=found,
        day=day,
        stage=stage,
        result=result,
        stages=list(Stage),
        stage_names=reports.STAGE_NAMES,
        columns=reports.process_columns(gettext),
    )


@bp.get("/disposal")
@access(kinds=READERS)
def disposal() -> Any:
    """再生资源处置报表 per period × factory × material (this month by default)."""
    today = _today()
    first = _date("from", today.replace(day=1))
    last = _date("to", today)
    period = _choice("period", pure.Period, pure.Period.MONTH)
    station, fmt = _int("station", None), _format()
    if last < first:
        raise BadParameter(N_("结束日期不能早于开始日期"), {"to": "on or after from"})
    if (last - first).days >= reports.MAX_DAYS:
        raise BadParameter(N_("报表期间最长 366 天"), {"to": "at most 366 days after from"})
    rows = reports.disposal(
        request_actor(), first=first, last=last, period=period, tz=_tz(), station_id=station
    )
    if fmt != "html":
        title = gettext("再生资源处置报表") + f" {first}~{last}"
        return _file(fmt, rows, pure.DISPOSAL_COLUMNS, title, f"disposal-{first}-{last}")
    return _page(
        "station_reports/disposal.html",
        rows=rows,
        first=first,
        last=last,
        period=period,
        periods=list(pure.Period),
        columns=pure.DISPOSAL_COLUMNS,
    )
