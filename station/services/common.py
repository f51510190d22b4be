"""What every station service shares: who may act for a station, and lookups by code."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from core import auth
from core.auth import Actor
from core.catalogue import Category
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Forbidden, Invalid, NotFound
from core.models import Organization
from core.units import grams_to_kg, kg_to_grams
from station.models import Package


def station_of(actor: Actor, station_id: int | None = None) -> int:
    """The station an actor works for: its own organisation when it is a station (operators
    and managers write), or the one named for the platform operator."""
    if actor.org_kind is OrgKind.STATION:
        if station_id not in (None, actor.org_id):
            raise Forbidden("无权操作其他回收站")
        return actor.org_id
    if actor.is_admin and station_id is not None:
        return station_id
    raise Forbidden("只有回收站人员可以执行此操作")


def writer(actor: Actor, station_id: int | None = None) -> int:
    """As `station_of`, for a change: read-only users are refused."""
    sid = station_of(actor, station_id)
    if actor.role is Role.VIEWER:
        raise Forbidden("只读用户不能修改数据")
    return sid


def readable(actor: Actor, station_id: int) -> None:
    """A station's records are read by its own people, the platform and government."""
    auth.require_read_org(actor, station_id, target=f"station:{station_id}")


def category(code: str, field: str = "category") -> Category:
    found = db.session.scalar(sa.select(Category).where(Category.code == code))
    if found is None:
        raise Invalid("品类不存在：%(code)s", {field: "unknown"}, code=code)
    return found


def organization(org_id: int, kind: OrgKind, field: str) -> Organization:
    org = db.session.get(Organization, org_id)
    if org is None or org.kind is not kind:
        raise Invalid("组织不存在或类型不符", {field: f"not a {kind.value}"})
    return org


def package_by_label(station_id: int, label: str, *, lock: bool = False) -> Package:
    """Scanning a label finds its package (upper-cased: Code39 has no lower case)."""
    stmt = sa.select(Package).where(
        Package.station_id == station_id, Package.label == label.strip().upper()
    )
    found = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound("标签 %(label)s 不存在", {"label": "unknown"}, label=label)
    return found


def grams(kg: Decimal | str | int, field: str) -> int:
    try:
        return kg_to_grams(Decimal(str(kg)))
    except (ValueError, ArithmeticError) as exc:
        raise Invalid("重量格式不正确", {field: "kg with at most 3 decimals"}) from exc


def kg(grams_: int) -> Decimal:
    return grams_to_kg(grams_)


def local_day(moment: datetime, tz: str) -> str:
    from core.time import to_local

    return to_local(moment, tz).strftime("%Y%m%d")
