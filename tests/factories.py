"""Callable factories for test data (Indico style): readable, explicit, no magic."""

from __future__ import annotations

import itertools
import random
import re
from typing import Any

from flask.testing import FlaskClient

from core import auth, uscc
from core.db import db
from core.enums import OrgKind, Role
from core.models import Organization, User
from core.time import utcnow

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
_rng = random.Random(42)


def make_org(kind: OrgKind = OrgKind.PRODUCER, **overrides: Any) -> Organization:
    n = next(_seq)
    values: dict[str, Any] = {
        "kind": kind,
        "legal_name": f"测试{kind.value}企业{n}有限公司",
        "uscc": uscc.generate("441900", _rng),
        "address": f"广东省东莞市长安镇测试路{n}号",
        "division_code": "441900",
        "lat": 22.81,
        "lon": 113.80,
    }
    values.update(overrides)
    org = Organization(**values)
    db.session.add(org)
    db.session.flush()
    return org


def make_user(org: Organization | None = None, role: Role = Role.MANAGER, **overrides: Any) -> User:
    org = org or make_org()
    n = next(_seq)
    values: dict[str, Any] = {
        "organization": org,
        "username": f"user{n}",
        "display_name": f"用户{n}",
        "role": role,
        "password_hash": auth.hash_password(PASSWORD),
    }
    values.update(overrides)
    user = User(**values)
    db.session.add(user)
    db.session.commit()
    return user


def bearer(user: User, days: int = 30) -> dict[str, str]:
    """Authorization header with a fresh API token of `user`."""
    _, plain = auth.issue_token(user, "test", now=utcnow(), days=days)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, username: str, password: str = PASSWORD, **environ: Any):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=environ,
    )


def closed_lot(
    seller_id: int, site_id: int, category: Any, grams: int, listed_at: Any, **overrides: Any
) -> Any:
    """A closed lot of `category` as the dashboard's and the price index's fixtures store it
    (added and flushed: it has its id)."""
    from marketplace.lots.models import Lot, LotStatus

    values: dict[str, Any] = {
        "organization_id": seller_id,
        "site_id": site_id,
        "title": "批次",
        "category_id": category.id,
        "family_code": category.code[:2],
        "dql": 3,
        "quantity_g": grams,
        "lat": 22.8,
        "lon": 113.8,
        "status": LotStatus.CLOSED,
        "listed_at": listed_at,
    }
    lot = Lot(**(values | overrides))
    db.session.add(lot)
    db.session.flush()
    return lot


def trade_of(lot: Any, buyer_id: int, price_fen_per_t: int, created_at: Any, **fields: Any) -> Any:
    """The trade of a whole lot with its seller, added to the session."""
    from marketplace.trading.models import Trade

    trade = Trade(
        lot_id=lot.id,
        buyer_id=buyer_id,
        seller_id=lot.organization_id,
        price_fen_per_t=price_fen_per_t,
        quantity_g=lot.quantity_g,
        lot_version=1,
        created_at=created_at,
        **fields,
    )
    db.session.add(trade)
    return trade
