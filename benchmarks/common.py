"""What the benchmarks share: a scratch PostgreSQL database, the bulk seeding of a market-sized
cluster, bearer tokens, and percentiles.

Seeding goes around the services on purpose: 200,000 lots through `create_lot` would take an
hour, while Core bulk inserts of the same columns take seconds. The rows are what the services
would write (a listed lot mirrors its archive version 1), so every read and bid path runs the
real code on them.
"""

from __future__ import annotations

import os
import random
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The workplace's reference data (`../shared` beside the project).

    A clone elsewhere (a fresh-clone check in /tmp) has no sibling `shared`; then
    `HUANLIAN_SHARED`, else the workplace's `/work/shared`. Tests and benchmarks read the
    standards, frames, factors and instances from there at run time.
    """
    for candidate in (os.environ.get("HUANLIAN_SHARED"), ROOT.parent / "shared", "/work/shared"):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return ROOT.parent / "shared"


if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WORDS = [
    "黄板纸",
    "白纸边",
    "水口料",
    "冲压边角料",
    "铝屑",
    "牛仔布",
    "线路板",
    "破碎料",
    "打包",
    "压块",
]
FAMILIES = ["PA", "PL", "FE", "NF", "TX", "EE"]


def percentile(values: list[float], p: float) -> float:
    """The p-quantile (0 ≤ p ≤ 1) with linear interpolation, as numpy's default does."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def admin_engine(url: str = ADMIN_URL) -> sa.Engine:
    """An autocommit engine on the maintenance database; exits with a clear message when
    PostgreSQL cannot be reached, because a benchmark without its database measures nothing."""
    engine = sa.create_engine(
        url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect() as c:
            c.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        sys.exit(
            f"PostgreSQL is unreachable at {engine.url.render_as_string(hide_password=True)}"
            f" ({reason}).\nStart it, or point BENCH_POSTGRES_URL at a server where this user"
            " may create databases."
        )
    return engine


@contextmanager
def scratch_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """Create a fresh database, yield its URL, and drop it afterwards (unless `keep`)."""
    admin = admin_engine()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        if keep:
            print(f"kept database {name}", file=sys.stderr)
        else:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Seeded:
    """What the bulk seeding created: organisations (recyclers first) with one site each."""

    recycler_ids: list[int]
    producer_ids: list[int]
    site_of: dict[int, int]
    lot_ids: list[int] = field(default_factory=list)


def _org_row(i: int, kind: str, rng: random.Random) -> dict[str, Any]:
    from core import uscc
    from core.time import utcnow

    return {
        "kind": kind,
        "legal_name": f"基准测试企业{i:05d}有限公司",
        "uscc": uscc.generate("441900", rng),
        "address": "广东省东莞市",
        "division_code": "441900",
        "lat": 22.6 + rng.random() * 0.8,
        "lon": 113.4 + rng.random() * 1.0,
        "name_en": "",
        "industry_code": "C4220" if kind == "recycler" else "C2929",
        "industry_name": "",
        "contact_name": "",
        "contact_phone": "",
        "created_at": utcnow(),
    }


def seed_lots(
    app: Any, n_orgs: int, n_lots: int, rng: random.Random, *, recyclers: int = 1
) -> Seeded:
    """Reference data, `n_orgs` organisations (the first `recyclers` of them recyclers, the rest
    producers) spread over the Pearl River Delta with one site each, and `n_lots` listed lots
    round-robin over the producers. Commits."""
    from core.catalogue import Category
    from core.db import db
    from core.models import Organization, Site
    from core.time import utcnow
    from marketplace.lots.models import Lot, LotStatus
    from marketplace.seed.services import seed_reference_data

    with app.app_context():
        seed_reference_data()
        db.session.commit()
        grades = [
            (c.id, c.parent.code, c.code, c.name_zh)
            for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None)))
        ]
        conn = db.session.connection()
        conn.execute(
            sa.insert(Organization),
            [_org_row(i, "recycler" if i < recyclers else "producer", rng) for i in range(n_orgs)],
        )
        orgs = conn.execute(
            sa.select(Organization.id, Organization.kind, Organization.lat, Organization.lon)
            .where(Organization.legal_name.like("基准测试企业%"))
            .order_by(Organization.id)
        ).all()
        conn.execute(
            sa.insert(Site),
            [
                {
                    "organization_id": o.id,
                    "name": "一厂",
                    "address": "东莞",
                    "lat": o.lat,
                    "lon": o.lon,
                    "opening_hours": "08:00-17:30",
                    "loading": [],
                }
                for o in orgs
            ],
        )
        site_of = dict(conn.execute(sa.select(Site.organization_id, Site.id)).all())
        seeded = Seeded(
            recycler_ids=[o.id for o in orgs[:recyclers]],
            producer_ids=[o.id for o in orgs[recyclers:]],
            site_of=site_of,
        )
        producers = orgs[recyclers:]
        now = utcnow()
        batch = []
        for i in range(n_lots):
            org = producers[i % len(producers)]
            gid, family, code, name = rng.choice(grades)
            word = rng.choice(WORDS)
            batch.append(
                {
                    "organization_id": org.id,
                    "site_id": site_of[org.id],
                    "status": LotStatus.LISTED,
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                    "listed_at": now - timedelta(minutes=i),
                    "title": f"{name}{word}",
                    "category_id": gid,
                    "family_code": family,
                    "dql": rng.choice([1, 1, 2, 2, 3, 4]),
                    "quantity_g": rng.randint(200, 60_000) * 1000,
                    "ask_fen_per_t": rng.randint(300, 60_000) * 100,
                    "lat": org.lat,
                    "lon": org.lon,
                    "available_from": None,
                    "available_until": None,
                    "hazardous": False,
                    "search_text": f"{name}{word} {code} 演示".lower(),
                }
            )
            if len(batch) == 5000:
                conn.execute(sa.insert(Lot), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(Lot), batch)
        seeded.lot_ids = list(db.session.scalars(sa.select(Lot.id).order_by(Lot.id)))
        db.session.commit()
    return seeded


def vacuum_analyze(app: Any) -> None:
    """Fresh statistics and visibility maps, as a database that has been running a while has,
    and the bulk load's dirty pages written out (CHECKPOINT): otherwise the checkpointer flushes
    them during the first measured requests (iowait of a third of the machine was seen)."""
    from core.db import db

    with (
        app.app_context(),
        db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c,
    ):
        c.execute(sa.text("VACUUM ANALYZE"))
        c.execute(sa.text("CHECKPOINT"))


def issue_tokens(app: Any, org_ids: list[int], *, days: int = 30) -> dict[int, str]:
    """One manager per organisation with a bearer token (core.auth.issue_token); the plain
    tokens by organisation id. One password hash is shared: scrypt per user would cost minutes
    and nothing here signs in with a password."""
    from core import auth
    from core.db import db
    from core.enums import Role
    from core.models import User
    from core.time import utcnow

    tokens = {}
    with app.app_context():
        password_hash = auth.hash_password("benchmark password")
        users = [
            User(
                organization_id=org_id,
                username=f"bench-{org_id}",
                display_name=f"基准{org_id}",
                role=Role.MANAGER,
                password_hash=password_hash,
            )
            for org_id in org_ids
        ]
        db.session.add_all(users)
        db.session.flush()
        now = utcnow()
        for user in users:
            tokens[user.organization_id] = auth.issue_token(user, "benchmark", now=now, days=days)[
                1
            ]
        db.session.commit()
    return tokens
