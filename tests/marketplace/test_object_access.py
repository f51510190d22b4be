"""Object-level authorisation (issue 12): every route that names an object by id, called by a
user of ANOTHER organisation of the same kind, answers 403 or 404 with every method, and each
refusal is in the audit log.

The routes are enumerated from the URL map: a route with an object parameter must appear in
OWN (probed against the demo cluster's real objects) or SHARED (readable across organisations
by design, with the reason), so a new object route without a decision fails
`test_every_object_route_has_a_rule`.

The probe runs against the seeded demo cluster (market, tenders, trading history, the station,
today's dispatch) in its own scratch database per backend; it is marked slow (a few minutes
per backend): `python -m pytest tests/marketplace/test_object_access.py -m slow`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from core.db import db
from core.enums import OrgKind, Role
from core.models import ApiToken, AuditEntry, Organization, User
from tests.factories import bearer, csrf_token, login, make_org, make_user

# Path parameters that select a mode, a format or reference data, not another party's object.
NOT_OBJECTS = {"stage", "section", "step", "decision", "action", "fmt", "kind", "filename"}
PUBLIC_ENDPOINTS_PREFIXES = ("passport.", "static", "station.static")

# Readable (or usable) across organisations on purpose.
SHARED: dict[str, str] = {
    "catalogue_api.get_category": "the material catalogue is reference data",
    "catalogue_api.update_category": "admin only (kind rule); reference data",
    "trades_api.get_certificate": "public certificate (anyone with the code verifies it)",
    "trades_api.certificate_pdf": "public certificate",
    "trade_pages.certificate": "public certificate",
    "tenders_api.provider_rating": "a provider's rating is shown to every requester",
    "tenders_api.get_request": "open service requests are offered to every provider",
    "tenders.detail": "open service requests are offered to every provider",
    "tenders_api.submit_quote": "any provider may quote on an open request",
    "tenders.quote": "any provider may quote on an open request",
    "tenders_api.my_quote_history": "answers the caller's own quotes only",
    "tenders_api.ranked_quotes": "the requester's ranking; others see only their own quote",
    "wanted_api.get_wanted": "wanted posts are offered to every seller",
    "wanted_api.answer_wanted": "any seller may answer a wanted post",
    "lots.wanted_answer": "any seller may answer a wanted post",
    "trading_api.place_bid": "any eligible recycler may bid on a listed lot",
    "trading.place_bid": "any eligible recycler may bid on a listed lot",
    "epcis.capture_job": "capture ids are random 128-bit handles given only to the submitter",
    "jobs_api.get_job": "job ids are checked against the caller in the service",
    "security_admin.pii_export": "platform operator only (kind rule): PIPL requests of anyone",
    "security_admin.pii_erase": "platform operator only (kind rule): PIPL requests of anyone",
    "recommend.job_status": "platform operator only (kind rule): the platform's training jobs",
    "jobs_api.retry_job": "platform operator only (kind rule): re-runs a failed job of anyone",
    "dashboard_api.indicator_records": "`key` names an indicator, not an object; the scope is "
    "the caller's own organisation unless government or the platform",
    "dashboard_api.indicator_records_file": "as dashboard_api.indicator_records",
}


def object_routes(app) -> Iterator[Any]:
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(PUBLIC_ENDPOINTS_PREFIXES):
            continue
        params = set(rule.arguments) - NOT_OBJECTS
        if params:
            yield rule


# endpoint prefix/parameter → (query of one object's path values, owner organisation id)
Resolver = Callable[[], tuple[dict[str, Any], int] | None]


def _one(stmt: Any) -> Any:
    return db.session.execute(stmt.limit(1)).first()


def lot() -> tuple[dict[str, Any], int] | None:
    from marketplace.lots.models import Lot

    row = _one(sa.select(Lot.id, Lot.version, Lot.organization_id).order_by(Lot.id.desc()))
    return ({"lot_id": row[0], "number": row[1]}, row[2]) if row else None


def bid() -> tuple[dict[str, Any], int] | None:
    from marketplace.lots.models import Lot
    from marketplace.trading.models import Bid

    row = _one(sa.select(Bid.id, Bid.lot_id, Lot.organization_id).join(Lot, Lot.id == Bid.lot_id))
    return ({"bid_id": row[0], "lot_id": row[1]}, row[2]) if row else None


def lot_evidence() -> tuple[dict[str, Any], int] | None:
    """A file of the lot the lot routes probe (a draft, hidden from others), held by no other
    lot (the demo's photos repeat across lots; a listed lot's files are for the whole market)."""
    from marketplace.lots.models import Evidence, Lot

    first = db.session.scalar(sa.select(sa.func.max(Lot.id)))
    shared = sa.select(Evidence.sha256).where(Evidence.lot_id != first)
    row = _one(
        sa.select(Evidence.sha256, Evidence.organization_id).where(
            Evidence.lot_id == first, Evidence.sha256.not_in(shared)
        )
    )
    return ({"sha256": row[0]}, row[1]) if row else None


def trade() -> tuple[dict[str, Any], int] | None:
    from marketplace.trading.models import Trade

    row = _one(sa.select(Trade.id, Trade.seller_id).order_by(Trade.id))
    return ({"trade_id": row[0]}, row[1]) if row else None


def dispute() -> tuple[dict[str, Any], int] | None:
    from marketplace.trading.models import Dispute, DisputeEvidence, Trade

    row = _one(
        sa.select(Dispute.id, Trade.seller_id, DisputeEvidence.sha256)
        .join(Trade, Trade.id == Dispute.trade_id)
        .outerjoin(DisputeEvidence, DisputeEvidence.dispute_id == Dispute.id)
    )
    return ({"dispute_id": row[0], "sha256": row[2] or "0" * 64}, row[1]) if row else None


def by_org(model_path: str, column: str = "organization_id", **extra: str) -> Resolver:
    def resolve() -> tuple[dict[str, Any], int] | None:
        module, name = model_path.rsplit(".", 1)
        model = getattr(__import__(module, fromlist=[name]), name)
        param = extra.get("param", "id")
        row = _one(sa.select(model.id, getattr(model, column)).order_by(model.id))
        return ({param: row[0]}, row[1]) if row else None

    return resolve


def dispatch_plan() -> tuple[dict[str, Any], int] | None:
    from marketplace.dispatch.models import RoutePlan, RouteStop

    row = _one(
        sa.select(RoutePlan.id, RoutePlan.organization_id, RouteStop.vehicle_id).join(
            RouteStop, RouteStop.plan_id == RoutePlan.id
        )
    )
    return ({"plan_id": row[0], "vehicle_id": row[2]}, row[1]) if row else None


def dispatch_stop() -> tuple[dict[str, Any], int] | None:
    from marketplace.dispatch.models import RoutePlan, RouteStop

    row = _one(
        sa.select(RouteStop.id, RoutePlan.organization_id).join(
            RoutePlan, RoutePlan.id == RouteStop.plan_id
        )
    )
    return ({"stop_id": row[0]}, row[1]) if row else None


def token() -> tuple[dict[str, Any], int] | None:
    row = _one(sa.select(ApiToken.id, User.organization_id).join(User, User.id == ApiToken.user_id))
    return ({"token_id": row[0]}, row[1]) if row else None


def organization() -> tuple[dict[str, Any], int] | None:
    row = _one(sa.select(Organization.id).where(Organization.kind == OrgKind.PRODUCER))
    return ({"org_id": row[0]}, row[0]) if row else None


def webhook_delivery() -> tuple[dict[str, Any], int] | None:
    from marketplace.notify.models import WebhookDelivery, WebhookEndpoint

    row = _one(
        sa.select(WebhookDelivery.id, WebhookEndpoint.organization_id).join(
            WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id
        )
    )
    return ({"delivery_id": row[0]}, row[1]) if row else None


def package() -> tuple[dict[str, Any], int] | None:
    from station.models import Package

    row = _one(sa.select(Package.label, Package.station_id))
    return ({"label": row[0]}, row[1]) if row else None


def with_extra(resolver: Resolver, **values: Any) -> Resolver:
    def resolve() -> tuple[dict[str, Any], int] | None:
        found = resolver()
        return ({**found[0], **values}, found[1]) if found else None

    return resolve


STATION = "station.models"
# route parameter (qualified by blueprint where a name means two things) → resolver
RESOLVERS: dict[str, Resolver] = {
    "lot_id": lot,
    "bid_id": bid,
    "sha256@lots_api": lot_evidence,
    "trade_id": trade,
    "dispute_id": dispute,
    "plan_id@dispatch": dispatch_plan,
    "plan_id@dispatch_api": dispatch_plan,
    "plan_id@station": by_org(f"{STATION}.OutboundPlan", "station_id", param="plan_id"),
    "plan_id@station_api": by_org(f"{STATION}.OutboundPlan", "station_id", param="plan_id"),
    "stop_id": dispatch_stop,
    "token_id": token,
    "org_id": organization,
    "notification_id": by_org("marketplace.notify.models.Notification", param="notification_id"),
    "endpoint_id": by_org("marketplace.notify.models.WebhookEndpoint", param="endpoint_id"),
    "delivery_id@webhooks": webhook_delivery,
    "delivery_id@webhooks_api": webhook_delivery,
    "delivery_id@station_api": by_org(f"{STATION}.Delivery", "station_id", param="delivery_id"),
    "request_id": by_org("marketplace.tenders.models.ServiceRequest", param="request_id"),
    "wanted_id": by_org("marketplace.lots.models.WantedRequest", param="wanted_id"),
    "weighing_id": by_org(f"{STATION}.Weighing", "station_id", param="weighing_id"),
    "order_id": by_org(f"{STATION}.WorkOrder", "station_id", param="order_id"),
    "alert_id": by_org(f"{STATION}.Alert", "station_id", param="alert_id"),
    "scale_id": by_org(f"{STATION}.Scale", param="scale_id"),
    "label": package,
}
# the modes some object routes also take (any valid one will do: the object check comes first)
MODES = {
    "step": "schedule",
    "decision": "accept",
    "action": "acknowledge",
    "kind": "qr.png",
}


def resolver_for(rule) -> Resolver | None:
    blueprint = rule.endpoint.split(".")[0]
    params = sorted(set(rule.arguments) - NOT_OBJECTS)
    # the most specific parameter decides the object (a bid over its lot, a dispute over sha256)
    for name in ("bid_id", "dispute_id", "vehicle_id", *params):
        if name not in params:
            continue
        found = RESOLVERS.get(f"{name}@{blueprint}") or RESOLVERS.get(name)
        if found is not None:
            return found
    return None


def test_every_object_route_has_a_rule(app) -> None:
    from marketplace.security.objects import OPEN_WRITES, lookups_for

    missing, unguarded = [], []
    for rule in object_routes(app):
        writes = rule.methods - {"GET", "HEAD", "OPTIONS"}
        guarded = bool(lookups_for(rule.endpoint, set(rule.arguments)))
        if writes and rule.endpoint not in OPEN_WRITES and not guarded:
            unguarded.append(f"{rule.rule} ({rule.endpoint})")
        if rule.endpoint in SHARED:
            continue
        if resolver_for(rule) is None:
            missing.append(f"{rule.rule} ({rule.endpoint})")
    assert not missing, f"say who owns the object of: {missing} (RESOLVERS) or why it is SHARED"
    assert not unguarded, f"add a party lookup (marketplace.security.objects): {unguarded}"


def test_a_strangers_write_is_refused_before_the_body_is_read(app) -> None:
    """The guard refuses and audits, where body validation would have answered 422."""
    from tests.marketplace.conftest import archive

    owner = make_user(make_org(OrgKind.PRODUCER))
    from core.models import Site

    site = Site(organization=owner.organization, name="厂", address="地址", lat=22.8, lon=113.8)
    db.session.add(site)
    db.session.commit()
    from marketplace.seed.services import seed_reference_data

    seed_reference_data()
    db.session.commit()
    lot = app.test_client().post("/api/v1/lots", json=archive(site.id), headers=bearer(owner))
    assert lot.status_code == 201, lot.json
    stranger = make_user(make_org(OrgKind.PRODUCER))
    response = app.test_client().put(
        f"/api/v1/lots/{lot.json['id']}", json={}, headers=bearer(stranger)
    )
    assert response.status_code == 403
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "access.denied")
    ).one()
    assert (entry.user_id, entry.target) == (stranger.id, f"lot_id:{lot.json['id']}")
    mine = app.test_client().put(f"/api/v1/lots/{lot.json['id']}", json={}, headers=bearer(owner))
    assert mine.status_code == 422  # the owner gets as far as the body


# --- the probe, on the demo cluster ---------------------------------------------------------


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory) -> Iterator[Any]:
    """A scratch database of the same backend with the whole demo cluster seeded."""
    from flask_migrate import upgrade

    from core.time import utcnow
    from marketplace.lots.store import evidence_store
    from marketplace.seed.dispatch import seed_dispatch
    from marketplace.seed.history import seed_history
    from marketplace.seed.market import seed_market
    from marketplace.seed.services import seed_demo
    from marketplace.seed.station import seed_station
    from marketplace.seed.tenders import seed_tenders
    from tests.conftest import _create_pg_database, _drop_pg_database, make_app

    folder = tmp_path_factory.mktemp("world")
    sqlite = database_url.startswith("sqlite")
    url = f"sqlite:///{folder / 'world.sqlite3'}" if sqlite else _create_pg_database()
    app = make_app(
        url,
        folder,
        EVIDENCE_DIR=str(folder / "evidence"),
        RATE_LIMIT_ENABLED=False,
        WEBHOOK_ALLOW_HTTP_LOOPBACK=True,
    )
    try:
        with app.app_context():
            upgrade()
            now = utcnow()
            seed_demo()
            seed_market(evidence_store(), now=now)
            seed_tenders(now=now)
            seed_history(evidence_store(), now=now)
            seed_station(now=now)
            seed_dispatch(now=now)
            db.session.commit()
            private_objects(app)
            yield app
            db.session.remove()
            db.engine.dispose()
    finally:
        if not sqlite:
            _drop_pg_database(url)


def private_objects(app) -> None:
    """What the demo does not make but object routes name: a token, a draft lot with a file of
    its own, a webhook endpoint with a delivery (demo-producer's), a wanted request
    (demo-recycler's) and a work order (demo-station's)."""
    import io

    from tests.marketplace.conftest import archive, png_bytes

    producer = db.session.scalar(sa.select(User).where(User.username == "demo-producer"))
    headers = bearer(producer)  # also the token the token routes probe
    client = app.test_client()
    site = producer.organization.sites[0].id
    lot = client.post("/api/v1/lots", json=archive(site), headers=headers)
    assert lot.status_code == 201, lot.json
    upload = client.post(
        f"/api/v1/lots/{lot.json['id']}/evidence",
        headers=headers,
        data={"kind": "photo", "file": (io.BytesIO(png_bytes((1, 2, 3))), "p.png")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    hook = client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:9/hook", "events": ["trade.awarded"]},
        headers=headers,
    )
    assert hook.status_code == 201, hook.json
    client.post(f"/api/v1/webhooks/{hook.json['id']}/ping", headers=headers)

    from datetime import timedelta

    from core.time import utcnow

    recycler = db.session.scalar(sa.select(User).where(User.username == "demo-recycler"))
    day = utcnow().date()
    wanted = client.post(
        "/api/v1/wanted",
        headers=bearer(recycler),
        json={
            "site_id": recycler.organization.sites[0].id,
            "category": "PA",
            "quantity_t": "200",
            "period_start": day.isoformat(),
            "period_end": (day + timedelta(days=30)).isoformat(),
            "radius_km": 60,
            "max_moisture_pct": "12",
            "min_dql": 1,
            "price_idea_yuan_per_t": "1600",
        },
    )
    assert wanted.status_code == 201, wanted.json
    station = db.session.scalar(sa.select(User).where(User.username == "demo-station"))
    order = client.post(
        "/api/v1/station/work-orders",
        headers=bearer(station),
        json={
            "number": "wo-probe-1",
            "stage": "receive",
            "line": "L1",
            "shift": "白班",
            "work_date": day.isoformat(),
            "assignees": [station.id],
        },
    )
    assert order.status_code == 201, order.json
    db.session.expire_all()


def attacker(kind: OrgKind, app) -> tuple[Any, dict[str, str], str]:
    user = make_user(make_org(kind), Role.MANAGER)
    client = app.test_client()
    login(client, user.username)
    return client, bearer(user), csrf_token(client, "/home")


def fill(values: dict[str, Any], template: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), template)


def denials() -> int:
    return int(
        db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.action.in_(["access.denied", "access.not_found"])
            )
        )
    )


@pytest.mark.slow
def test_another_organisation_is_refused_every_object_route_and_it_is_logged(world) -> None:
    app = world
    kinds = dict(db.session.execute(sa.select(Organization.id, Organization.kind)).all())
    # resolve every route's object first, so no object of an attacker is picked
    targets, absent = [], []
    for rule in sorted(object_routes(app), key=lambda r: r.rule):
        if rule.endpoint in SHARED:
            continue
        found = resolver_for(rule)()  # type: ignore[misc]
        if found is None:
            absent.append(rule.endpoint)
        else:
            targets.append((rule, fill({**MODES, **found[0]}, rule.rule), kinds[found[1]]))
    attackers: dict[OrgKind, tuple[Any, dict[str, str], str]] = {}
    failures, probed = [], 0
    for rule, path, kind in targets:
        if kind not in attackers:
            attackers[kind] = attacker(kind, app)
        client, headers, csrf = attackers[kind]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            before = denials()
            api = path.startswith("/api/")
            kwargs: dict[str, Any] = {"headers": dict(headers) if api else {"X-CSRFToken": csrf}}
            if method not in ("GET", "DELETE"):
                kwargs["json" if api else "data"] = {} if api else {"csrf_token": csrf}
            response = client.open(path, method=method, **kwargs)
            response.close()
            probed += 1
            if response.status_code not in (403, 404):
                failures.append(f"{method} {path} ({rule.endpoint}): {response.status_code}")
            elif denials() == before:
                failures.append(f"{method} {path} ({rule.endpoint}): refusal not in the audit log")
    assert probed > 60
    assert not failures, "\n".join(failures)
    assert set(absent) <= ALLOWED_ABSENT, f"the demo has no object for {sorted(absent)}"


# Object kinds the demo cluster does not create (yet); the probe cannot reach their routes.
ALLOWED_ABSENT: set[str] = set()
