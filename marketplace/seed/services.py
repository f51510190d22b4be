"""Build the demo cluster from `demo_cluster.toml`, deterministically.

The file holds hand-curated organisations with real-world coordinates in Dongguan; this module
adds what must be computed (valid 统一社会信用代码 from a seeded generator, demo users) and
writes everything in one transaction. Running it twice changes nothing.
"""

from __future__ import annotations

import random
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from core import uscc
from core.catalogue import Category, seed_catalogue, seed_factors
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Invalid
from core.models import Cluster, Organization, Park, Site
from core.units import tonnes_to_grams
from marketplace.fleet.models import Depot, Vehicle
from marketplace.orgs.services import register_user
from marketplace.profiles.models import RecyclerProfile, WasteStream
from station.models import Scale, ScaleProtocol

DEMO_FILE = Path(__file__).parent / "demo_cluster.toml"
DEMO_SEED = 20261124
DEMO_PASSWORD = "huanlian-demo"  # printed in the README; demo data only
DEMO_USERS = {  # organisation key → (username, display name, role)
    "p01": ("demo-producer", "产废企业演示用户", Role.MANAGER),
    "r01": ("demo-recycler", "回收企业演示用户", Role.MANAGER),
    "l01": ("demo-dispatcher", "物流调度演示用户", Role.MANAGER),
    "s01": ("demo-station", "回收站演示用户", Role.MANAGER),
    "g01": ("demo-gov", "政府监管演示用户", Role.VIEWER),
    "a01": ("demo-admin", "平台管理员演示用户", Role.MANAGER),
}


def load_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    """The demo cluster file, parsed."""
    with path.open("rb") as fh:
        return tomllib.load(fh)


def seed_reference_data() -> int:
    """Emission factors and the catalogue (what a production install needs too)."""
    from marketplace.dashboard import factors as dashboard_factors

    seed_factors()
    dashboard_factors.load()  # the dashboard's versioned table (also seeded by migration 0017)
    db.session.flush()
    return seed_catalogue()


def seed_demo(path: Path = DEMO_FILE, *, seed: int = DEMO_SEED) -> dict[str, int]:
    """Write the demo cluster; returns counts. Skips (returns {}) when it is already there."""
    data = load_demo(path)
    seed_reference_data()
    db.session.flush()
    code = data["cluster"]["code"]
    if db.session.scalar(sa.select(Cluster.id).where(Cluster.code == code)) is not None:
        return {}
    rng = random.Random(seed)
    categories = {c.code: c for c in db.session.scalars(sa.select(Category))}

    def category(code: str, where: str) -> Category:
        if code not in categories:
            raise Invalid("%(where)s：未知品类 %(code)s", where=where, code=code)
        return categories[code]

    cluster = Cluster(
        code=code, name_zh=data["cluster"]["name_zh"], name_en=data["cluster"]["name_en"]
    )
    db.session.add(cluster)
    parks = {}
    for p in data.get("park", []):
        parks[p["code"]] = Park(
            cluster=cluster,
            code=p["code"],
            name_zh=p["name_zh"],
            name_en=p["name_en"],
            division_code=p["division_code"],
            lat=p["lat"],
            lon=p["lon"],
        )
    db.session.add_all(parks.values())

    orgs: dict[str, Organization] = {}
    for o in data["organization"]:
        org = Organization(
            kind=OrgKind(o["kind"]),
            legal_name=o["legal_name"],
            name_en=o.get("name_en", ""),
            uscc=uscc.generate(o["division_code"], rng),
            address=o["address"],
            division_code=o["division_code"],
            lat=o["lat"],
            lon=o["lon"],
            industry_code=o.get("industry_code", ""),
            industry_name=o.get("industry_zh", ""),
            cluster=cluster,
            park=parks.get(o.get("park", "")),
            contact_name=o.get("contact_name", ""),
            contact_phone=o.get("contact_phone", ""),
        )
        for s in o.get("site", []):
            org.sites.append(
                Site(
                    name=s["name"],
                    address=s["address"],
                    lat=s["lat"],
                    lon=s["lon"],
                    opening_hours=s.get("opening_hours", "08:00-17:30"),
                    loading=list(s.get("loading", [])),
                )
            )
        db.session.add(org)
        orgs[o["key"]] = org
        for w in o.get("waste", []):
            db.session.add(
                WasteStream(
                    organization=org,
                    category=category(w["grade"], o["key"]),
                    kg_per_month=tonnes_to_grams(Decimal(str(w["tonnes_per_month"]))) // 1000,
                )
            )
        if "recycler" in o:
            r = o["recycler"]
            scope = [
                category(c, o["key"])
                for c in [*r.get("scope_families", []), *r.get("scope_grades", [])]
            ]
            db.session.add(
                RecyclerProfile(
                    organization=org,
                    licence_no=r["licence_no"],
                    licence_issuer=r["licence_issuer"],
                    hw_codes=list(r.get("hw_codes", [])),
                    capacity_t_per_month=r["capacity_t_per_month"],
                    haul_radius_km=r["haul_radius_km"],
                    scope=scope,
                )
            )

    depots = {}
    for d in data.get("depot", []):
        depots[d["key"]] = Depot(
            organization=orgs[d["owner"]],
            name=d["name"],
            address=d["address"],
            lat=d["lat"],
            lon=d["lon"],
        )
    db.session.add_all(depots.values())
    for v in data.get("vehicle", []):
        db.session.add(
            Vehicle(
                organization=orgs[v["owner"]],
                depot=depots.get(v.get("depot", "")),
                plate=v["plate"],
                vehicle_type=v["vehicle_type"],
                type_zh=v["type_zh"],
                capacity_kg=v["capacity_kg"],
                capacity_m3=v["capacity_m3"],
                hazmat_permit=bool(v.get("hazmat_permit", False)),
            )
        )
    for s in data.get("scale", []):
        db.session.add(
            Scale(
                organization=orgs[s["owner"]],
                name_zh=s["name_zh"],
                name_en=s.get("name_en", ""),
                protocol=ScaleProtocol(s["protocol"]),
                port=s["port"],
                baud=s["baud"],
                parity=s["parity"],
                data_bits=s["data_bits"],
                stop_bits=s.get("stop_bits", 1),
                capacity_kg=s["capacity_kg"],
                division_g=s["division_g"],
                unit=s.get("unit", "kg"),
            )
        )
    db.session.flush()
    for key, (username, name, role) in DEMO_USERS.items():
        register_user(
            orgs[key], username=username, display_name=name, role=role, password=DEMO_PASSWORD
        )
    db.session.flush()
    kinds: dict[str, int] = {}
    for org in orgs.values():
        kinds[org.kind.value] = kinds.get(org.kind.value, 0) + 1
    return {
        **kinds,
        "vehicles": len(data.get("vehicle", [])),
        "scales": len(data.get("scale", [])),
        "users": len(DEMO_USERS),
    }
