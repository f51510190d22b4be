"""Catalogue use cases: browse for everyone, maintain for the platform admin."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from core import audit, auth
from core.auth import Actor
from core.catalogue import Category, EmissionFactor
from core.db import db
from core.errors import Conflict, Invalid, NotFound


def categories_query(family: str | None, hazardous: bool | None, q: str | None) -> sa.Select[Any]:
    """Categories ordered by code, filtered by family, hazard and a name search."""
    stmt = sa.select(Category).order_by(Category.code)
    if family:
        parent = aliased(Category)
        stmt = stmt.join(parent, Category.parent_id == parent.id).where(parent.code == family)
    if hazardous is not None:
        stmt = stmt.where(Category.hazardous.is_(hazardous))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(
            sa.or_(
                Category.name_zh.like(like), Category.name_en.ilike(like), Category.code.ilike(like)
            )
        )
    return stmt


def get_category(code: str) -> Category:
    cat = db.session.scalar(sa.select(Category).where(Category.code == code))
    if cat is None:
        raise NotFound("品类不存在")
    return cat


def _check_factor(material: str | None) -> None:
    if (
        material
        and db.session.scalar(
            sa.select(EmissionFactor.id).where(EmissionFactor.material == material)
        )
        is None
    ):
        raise Invalid("排放因子不存在", {"factor_material": "unknown factor"})


def create_category(actor: Actor, data: dict[str, Any]) -> Category:
    """Add a family or a grade (admin). A grade's code starts with its family's code."""
    auth.require_admin(actor, "category:new")
    parent_code = data.pop("parent", None)
    parent = get_category(parent_code) if parent_code else None
    if parent is not None and (
        parent.parent_id is not None or not data["code"].startswith(parent.code + "-")
    ):
        raise Invalid(
            "品级编码应以所属大类编码开头，且只能挂在大类下",
            {"code": "must start with family code"},
        )
    if parent is None and "-" in data["code"]:
        raise Invalid("大类编码为两位字母", {"code": "family code has no dash"})
    if db.session.scalar(sa.select(Category.id).where(Category.code == data["code"])):
        raise Conflict("品类编码已存在", {"code": "already exists"})
    if data.get("hazardous") and not data.get("hw_codes"):
        raise Invalid(
            "危险废物品类需要至少一个危险废物代码", {"hw_codes": "required when hazardous"}
        )
    _check_factor(data.get("factor_material"))
    cat = Category(parent=parent, **data)
    db.session.add(cat)
    db.session.flush()
    audit.record(
        "category.created",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"category:{cat.code}",
    )
    return cat


def update_category(actor: Actor, code: str, data: dict[str, Any]) -> Category:
    """Change a category's names, hazard data, factor or activity (admin); the code is fixed."""
    auth.require_admin(actor, f"category:{code}")
    cat = get_category(code)
    data.pop("code", None)
    _check_factor(data.get("factor_material"))
    for key, value in data.items():
        setattr(cat, key, value)
    if cat.hazardous and not cat.hw_codes:
        raise Invalid(
            "危险废物品类需要至少一个危险废物代码", {"hw_codes": "required when hazardous"}
        )
    audit.record(
        "category.updated",
        user_id=actor.user_id,
        organization_id=actor.org_id,
        target=f"category:{code}",
        fields=sorted(data),
    )
    return cat
