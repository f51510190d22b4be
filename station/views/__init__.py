"""The station's pages under /station: the operator's weighing desk and the manager's tools.

Views are thin: they turn a form into the services' arguments (through the API's schemas, so a
page and the API refuse the same input with the same field names), commit on success and show
the service's refusal as a form message with its 4xx status, writing nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint
from flask_babel import gettext

from core.access import request_actor
from core.db import db
from core.i18n import N_
from core.time import utcnow
from station.models import Alert
from station.views.common import PACKAGE_STATES

bp = Blueprint(
    "station",
    __name__,
    url_prefix="/station",
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)


@bp.app_template_filter("grams_kg")
def grams_kg(grams: int | None) -> str:
    """Integer grams as kg with three decimals and thousands separators (— when unknown)."""
    return "—" if grams is None else f"{Decimal(grams) / 1000:,.3f}"


REASONS = {
    "tolerance": N_("超出容差（|D|/C）"),
    "deviation": N_("偏差率超限（|D|/A）"),
    "value_cap": N_("超出货值上限"),
    "manual": N_("手工录入"),
    "no_standard": N_("无定额标准"),
    "repeat": N_("重复发生"),
}


def reason_names() -> dict[str, str]:
    """Reason words in the current request's language, taken once for a stream's polls."""
    return {code: gettext(text) for code, text in REASONS.items()}


@bp.app_template_filter("alert_reason")
def alert_reason(reason: str, names: dict[str, str] | None = None) -> str:
    """An alert's reason codes ("tolerance,manual") as words in the user's language (`names`
    given when there is no request to choose the language from, as in the alert stream)."""
    names = names if names is not None else reason_names()
    return "、".join(names.get(r, r) for r in reason.split(",") if r)


def _last_alert_id() -> int:
    """The newest alert of the user's station: the live stream pushes the ones after it."""

    station = request_actor().org_id
    return (
        db.session.scalar(sa.select(sa.func.max(Alert.id)).where(Alert.station_id == station)) or 0
    )


def _alert_cursor() -> str:
    """Where the page's live stream starts: the newest alert now and this moment, so it pushes
    the alerts after that one and the changes to alerts after this moment."""
    from station.views.alerts import cursor

    return cursor(_last_alert_id(), utcnow())


# An alert's states in words (the stream names them outside the request, so they are msgids).
ALERT_STATES = {
    "open": N_("待处理"),
    "acknowledged": N_("已确认"),
    "filed": N_("待审批"),
    "resolved": N_("已解决"),
    "escalated": N_("已升级"),
}


@bp.context_processor
def station_names() -> dict[str, Any]:
    """Stage, state and tier names for the station's templates, in the user's language."""
    return {
        "last_alert_id": _last_alert_id,
        "alert_cursor": _alert_cursor,
        "stage_names": {
            "deliver": gettext("送料"),
            "receive": gettext("收料"),
            "sort": gettext("分拣"),
            "bale": gettext("打包"),
            "warehouse-in": gettext("入库"),
            "warehouse_in": gettext("入库"),
            "warehouse_out": gettext("出库"),
        },
        "state_names": {k: gettext(v) for k, v in PACKAGE_STATES.items()},
        "alert_states": {k: gettext(v) for k, v in ALERT_STATES.items()},
        "tare_names": {
            "vehicle": gettext("车辆"),
            "container": gettext("容器"),
            "pallet": gettext("托盘"),
        },
        "tier_names": {
            0: gettext("提示"),
            1: gettext("一级（班组长）"),
            2: gettext("二级（车间）"),
            3: gettext("三级（管理层）"),
        },
    }


# The pages register their routes on `bp` when imported.
from station.views import (  # noqa: E402,F401
    alerts,
    dashboard,
    desk,
    outbound,
    packages,
    setup,
)
