"""Fixtures for lot tests: a producer with two sites, a recycler with a site, the catalogue."""

import io

import pytest
from PIL import Image

from core.db import db
from core.enums import OrgKind, Role
from core.models import Site
from tests.factories import bearer, make_org, make_user


def add_site(org, name, lat, lon):
    site = Site(organization=org, name=name, address=f"{name}地址", lat=lat, lon=lon)
    db.session.add(site)
    db.session.commit()
    return site


@pytest.fixture
def producer(app, catalogue):
    org = make_org(OrgKind.PRODUCER)
    user = make_user(org, Role.OPERATOR)
    user.site = add_site(org, "长安一厂", 22.8164, 113.8033)
    user.site2 = add_site(org, "虎门二厂", 22.8198, 113.6725)
    user.headers = bearer(user)
    return user


@pytest.fixture
def recycler(app, catalogue):
    org = make_org(OrgKind.RECYCLER)
    user = make_user(org, Role.MANAGER)
    user.site = add_site(org, "麻涌纸厂", 23.0467, 113.5870)
    user.headers = bearer(user)
    return user


@pytest.fixture
def evidence_dir(app, tmp_path):
    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    return tmp_path / "evidence"


def png_bytes(colour=(120, 90, 40), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), "white").save(buffer, format="PDF")
    return buffer.getvalue()


def archive(site_id, **overrides):
    body = {
        "site_id": site_id,
        "grade": "PA-OCC",
        "title": "纸箱车间黄板纸边角料",
        "quantity_t": "12.5",
        "quantity_basis": "weighbridge",
        "form": "bale",
        "package_count": 25,
        "unit_weight_kg": "500",
        "loading": ["forklift"],
        "ask_yuan_per_t": "1650.00",
    }
    body.update(overrides)
    return body
