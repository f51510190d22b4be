"""The role × endpoint matrix: every route has a rule, and every role gets what the rule says.

Adding a route without adding it to EXPECTED fails `test_every_endpoint_has_an_expectation`;
a route without an `@access` rule is refused for everyone (`test_routes_without_rule_are_closed`).
"""

import re

import pytest

from core.enums import OrgKind, Role
from marketplace.access import access
from tests.factories import bearer, csrf_token, login, make_org, make_user

PUBLIC = "public"
SIGNED_IN = {
    "producer",
    "producer_viewer",
    "recycler",
    "logistics",
    "station",
    "government",
    "admin",
}
WRITERS = SIGNED_IN - {"government", "producer_viewer"}
MANAGERS = {"producer", "recycler", "logistics", "station", "admin"}
SELLERS = {"producer", "station"}  # factories list lots; stations list their bales

# endpoint → who may call it (PUBLIC, or the set of roles). Government writes nothing but its own
# credentials.
EXPECTED: dict[str, object] = {
    "static": PUBLIC,
    "home.index": PUBLIC,
    "home.health": PUBLIC,
    "auth.login": PUBLIC,
    "auth.login_submit": PUBLIC,
    "docs.api_docs": PUBLIC,
    "api-docs.openapi_json": PUBLIC,
    "home.dashboard": SIGNED_IN,
    "auth.logout": SIGNED_IN,
    "auth_api.me": SIGNED_IN,
    "auth_api.list_tokens": SIGNED_IN,
    "auth_api.create_token": SIGNED_IN,  # own credentials: read-only users may have tokens
    "auth_api.revoke_token": SIGNED_IN,
    "orgs_api.list_organizations": SIGNED_IN,
    "orgs_api.get_organization": SIGNED_IN,
    "orgs_api.create_organization": {"admin"},
    "orgs_api.update_organization": MANAGERS,
    "orgs_api.add_site": WRITERS,
    "orgs_api.list_users": MANAGERS,
    "orgs_api.create_user": MANAGERS,
    "catalogue_api.list_categories": SIGNED_IN,
    "catalogue_api.get_category": SIGNED_IN,
    "catalogue_api.create_category": {"admin"},
    "catalogue_api.update_category": {"admin"},
    "jobs_api.start_job": {"admin"},
    "jobs_api.get_job": SIGNED_IN,
    "jobs_api.retry_job": {"admin"},
    "lots_api.search_lots": SIGNED_IN,
    "lots_api.get_lot": SIGNED_IN,
    "lots_api.list_versions": SIGNED_IN,
    "lots_api.get_version": SIGNED_IN,
    "lots_api.download_evidence": SIGNED_IN,
    "lots_api.create_lot": SELLERS,
    "lots_api.update_lot": SELLERS,
    "lots_api.publish_lot": SELLERS,
    "lots_api.withdraw_lot": SELLERS,
    "lots_api.add_evidence": SELLERS,
    "lots_api.export_lots": SELLERS | {"producer_viewer"},
    "lots_api.import_template": SELLERS | {"producer_viewer"},
    "lots_api.import_lots": SELLERS,
    "lots.mine": SELLERS | {"producer_viewer"},
    "orgs.sites": SIGNED_IN,
    "orgs.add_site": WRITERS,
    "lots.create": SELLERS,
    "lots.edit": SELLERS,
    "lots.detail": SIGNED_IN,
    "lots.publish": SELLERS,
    "lots.withdraw": SELLERS,
    "lots.upload": SELLERS,
    "lots.bulk_import": SELLERS,
    "lots.market": SIGNED_IN,
    "lots.wanted_list": SIGNED_IN,
    "lots.wanted_create": {"recycler"},
    "lots.wanted_answer": SELLERS,
    "trading_api.set_sale": SELLERS,
    "trading_api.place_bid": {"recycler"},
    "trading_api.list_bids": SIGNED_IN,
    "trading_api.close_sale": SELLERS | {"admin"},
    "trading_api.my_escrow": SIGNED_IN,
    "trading_api.top_up": {"admin"},
    "trading_api.sale_state": SIGNED_IN,
    "trading_api.accept_offer": SELLERS,
    "trading_api.reject_offer": SELLERS,
    "trading_api.my_bids": {"recycler"},
    "trading_api.payout": MANAGERS,
    "trading.set_sale": SELLERS,
    "trading.place_bid": {"recycler"},
    "trading.decide_offer": SELLERS,
    "trading.my_bids": {"recycler"},
    "trading.price_index": SIGNED_IN,
    "trading_api.price_index": SIGNED_IN,
    "trades_api.my_trades": SIGNED_IN,
    "trades_api.get_trade": SIGNED_IN,
    "trades_api.schedule_pickup": SELLERS | {"recycler", "admin"},
    "trades_api.confirm_pickup": SELLERS | {"recycler", "admin"},
    "trades_api.confirm_delivery": {"recycler", "admin"},
    "trades_api.settle": {"recycler", "admin"},
    "trades_api.cancel": SELLERS | {"recycler", "admin"},
    "trades_api.refund": {"admin"},
    "trades_api.close_trade": {"recycler", "admin"},
    "trades_api.open_dispute": {"recycler"},
    "trades_api.list_disputes": SIGNED_IN,
    "trades_api.get_dispute": SIGNED_IN,
    "trades_api.add_evidence": SELLERS | {"recycler", "admin"},
    "trades_api.download_evidence": SIGNED_IN,
    "trades_api.accept_dispute": SELLERS,
    "trades_api.contest_dispute": SELLERS,
    "trades_api.resolve_dispute": {"admin"},
    "trades_api.my_certificates": SIGNED_IN,
    "trades_api.get_certificate": PUBLIC,
    "trades_api.certificate_pdf": PUBLIC,
    "trade_pages.my_trades": SIGNED_IN,
    "trade_pages.payout": MANAGERS,
    "trade_pages.trade": SIGNED_IN,
    "trade_pages.trade_step": SELLERS | {"recycler", "admin"},
    "trade_pages.dispute_step": SELLERS | {"recycler", "admin"},
    "trade_pages.disputes_page": SIGNED_IN,
    "trade_pages.certificates_page": SIGNED_IN,
    "trade_pages.certificate": PUBLIC,
    "station_api.list_tares": {"station"},
    "station_api.add_tare": {"station"},
    "station_api.list_locations": {"station"},
    "station_api.add_location": {"station"},
    "station_api.set_tolerance": {"station"},
    "station_api.add_ratio_set": {"station"},
    "station_api.add_production_record": {"station", "producer", "admin"},
    "station_api.create_delivery": {"station", "producer", "admin"},
    "station_api.list_deliveries": {
        "station",
        "admin",
        "government",
        "producer",
        "producer_viewer",
    },
    "station_api.deliver": {"station"},
    "station_api.receive": {"station"},
    "station_api.sort": {"station"},
    "station_api.bale": {"station"},
    "station_api.warehouse_in": {"station"},
    "station_api.list_plans": {"station", "admin", "government"},
    "station_api.create_plan": {"station"},
    "station_api.approve_plan": {"station"},
    "station_api.load": {"station"},
    "station_api.close_plan": {"station"},
    "station_api.get_package": {"station", "admin", "government"},
    "station_api.list_weighings": {"station", "admin", "government"},
    "station_api.scale_reading": {"station", "admin"},
    "station_api.reweigh": {"station"},
    "station_api.list_work_orders": {"station"},
    "station_api.create_work_order": {"station"},
    "station_api.close_work_order": {"station"},
    # Station pages: station staff only (setup and plan approval: managers, as the matrix uses).
    "station.static": PUBLIC,
    "station.alerts": {"station"},
    "station.alert": {"station"},
    "station.act": {"station"},
    "station.alert_stream": {"station"},
    "station.dashboard": {"station"},
    "station.desk_index": {"station"},
    "station.desk": {"station"},
    "station.record": {"station"},
    "station.weighing": {"station"},
    "station.reweigh": {"station"},
    "station.plans": {"station"},
    "station.create_plan": {"station"},
    "station.plan": {"station"},
    "station.approve_plan": {"station"},
    "station.close_plan": {"station"},
    "station.load": {"station"},
    "station.packages": {"station"},
    "station.scan": {"station"},
    "station.package": {"station"},
    "station.label_svg": {"station"},
    "station.label_png": {"station"},
    "station.label_pdf": {"station"},
    "station.label_print": {"station"},
    "station.label_sheet": {"station"},
    "station.label_sheet_pdf": {"station"},
    "station.setup_index": {"station"},
    "station.setup_page": {"station"},
    "station.setup_save": {"station"},
    "station.close_order": {"station"},
    "station_reports.inventory": {"station", "admin", "government"},
    "station_reports.process": {"station", "admin", "government"},
    "station_reports.disposal": {"station", "admin", "government"},
    "wanted_api.list_wanted": SIGNED_IN,
    "wanted_api.get_wanted": SIGNED_IN,
    "wanted_api.create_wanted": {"recycler"},
    "wanted_api.close_wanted": {"recycler"},
    "wanted_api.answer_wanted": SELLERS,
    "tenders_api.list_requests": SIGNED_IN,
    "tenders_api.create_request": SELLERS,
    "tenders_api.get_request": SIGNED_IN,
    "tenders_api.ranked_quotes": SIGNED_IN,
    # Requesters may call it so that quoting on one's own request is refused by name (409).
    "tenders_api.submit_quote": SELLERS | {"logistics", "recycler"},
    "tenders_api.my_quote_history": {"logistics", "recycler"},
    "tenders_api.choose_quote": SELLERS,
    "tenders_api.cancel_request": SELLERS,
    "tenders_api.complete_service": SELLERS,
    "tenders_api.rate_service": SELLERS,
    "tenders_api.provider_rating": SIGNED_IN,
    # Dispatch: the logistics company's dispatchers and drivers only (another org's plan: 404)
    "dispatch.index": {"logistics"},
    "dispatch.gather": {"logistics"},
    "dispatch.start": {"logistics"},
    "dispatch.plan_page": {"logistics"},
    "dispatch.status": {"logistics"},
    "dispatch.geojson": {"logistics"},
    "dispatch.move": {"logistics"},
    "dispatch.publish": {"logistics"},
    "dispatch.driver": {"logistics"},
    "dispatch.run_sheet": {"logistics"},
    "dispatch.driver_page": {"logistics"},
    "dispatch.confirm": {"logistics"},
    "dispatch_api.create_plan": {"logistics"},
    "dispatch_api.get_plan": {"logistics"},
    "dispatch_api.move_stop": {"logistics"},
    "dispatch_api.publish_plan": {"logistics"},
    "dispatch_api.confirm_stop": {"logistics"},
    # Recommendations: lots for recyclers, buyers for one's own lot, the model for the admin
    "recommend_api.recommended_lots": {"recycler"},
    "recommend_api.recommended_buyers": SELLERS | {"producer_viewer"},
    "recommend.lots_page": {"recycler"},
    "recommend.invite": SELLERS,
    "recommend.admin": {"admin"},
    "recommend.train": {"admin"},
    "recommend.job_status": {"admin"},
    "tenders.index": SIGNED_IN,
    "tenders.my_quotes": {"logistics", "recycler"},
    "tenders.create": SELLERS,
    "tenders.detail": SIGNED_IN,
    "tenders.quote": SELLERS | {"logistics", "recycler"},
    "tenders.award": SELLERS,
    "tenders.cancel": SELLERS,
    "tenders.complete": SELLERS,
    "notify_api.list_notifications": SIGNED_IN,
    "notify_api.mark_read": SIGNED_IN,  # own read state: read-only users too
    "notify_api.mark_all_read": SIGNED_IN,
    "notify_api.get_settings": SIGNED_IN,
    "notify_api.put_settings": SIGNED_IN,
    "notify.notifications": SIGNED_IN,
    "notify.mark_read": SIGNED_IN,
    "notify.mark_all_read": SIGNED_IN,
    "notify.settings": SIGNED_IN,
    "notify.save_settings": SIGNED_IN,
    "webhooks_api.list_webhooks": MANAGERS,
    "webhooks_api.create_webhook": MANAGERS,
    "webhooks_api.get_webhook": MANAGERS,
    "webhooks_api.update_webhook": MANAGERS,
    "webhooks_api.delete_webhook": MANAGERS,
    "webhooks_api.rotate_secret": MANAGERS,
    "webhooks_api.ping_webhook": MANAGERS,
    "webhooks_api.list_deliveries": MANAGERS,
    "webhooks_api.get_delivery": MANAGERS,
    "webhooks_api.redeliver": MANAGERS,
    "webhooks.index": MANAGERS,
    "webhooks.create": MANAGERS,
    "webhooks.detail": MANAGERS,
    "webhooks.ping": MANAGERS,
    "webhooks.set_active": MANAGERS,
    "webhooks.rotate": MANAGERS,
    "webhooks.delete": MANAGERS,
    "webhooks.redeliver": MANAGERS,
    "epcis.capture": WRITERS,
    "epcis.capture_job": SIGNED_IN,
    "epcis.events": SIGNED_IN,
    # passports are public: anyone with a label scans and verifies (rate limits: issue 12)
    "passport.lot_page": PUBLIC,
    "passport.digital_link_gtin": PUBLIC,
    "passport.digital_link_sscc": PUBLIC,
    "passport.bundle": PUBLIC,
    "passport.label": PUBLIC,
    "passport.checkpoints": PUBLIC,
    "passport.latest_checkpoint": PUBLIC,
    "passport.public_key": PUBLIC,
    "passport.verify": PUBLIC,
    # Dashboard: everyone signed in reads; government/admin the cluster, others their own org
    "dashboard_api.indicators_view": SIGNED_IN,
    "dashboard_api.indicators_file": SIGNED_IN,
    "dashboard_api.indicator_records": SIGNED_IN,
    "dashboard_api.indicator_records_file": SIGNED_IN,
    "dashboard_api.trend": SIGNED_IN,
    # Dashboard pages: government and the platform see the cluster; enterprises their own
    "dashboard.cluster": {"government", "admin"},
    "dashboard.mine": {"producer", "producer_viewer", "recycler"},
    "dashboard.esg": {"producer", "producer_viewer", "recycler"},
    "dashboard.ledger_page": {"producer", "producer_viewer", "government", "admin"},
    "dashboard_data.material_flows": SIGNED_IN,  # scoped to one's own organisation
    "dashboard_data.flow_records": SIGNED_IN,
    "dashboard_data.solid_waste_ledger": {"producer", "producer_viewer", "government", "admin"},
    "dashboard_data.manifest_ledger": {"producer", "producer_viewer", "government", "admin"},
    "dashboard_data.station_anomalies": {"government", "admin"},
    "dashboard_reports.list_reports": {"producer", "producer_viewer", "recycler", "station"},
    "dashboard_reports.save_report": {"producer", "recycler", "station"},
    "dashboard.reports_page": {"producer", "producer_viewer", "recycler", "station"},
    "dashboard.reports_submit": {"producer", "recycler", "station"},
    # the audit log and PIPL requests: the platform operator only (issue 12)
    "security_admin.audit_page": {"admin"},
    "security_admin.audit_export": {"admin"},
    "security_admin.pii_export": {"admin"},
    "security_admin.pii_erase": {"admin"},
}
ROLES = {
    "producer": (OrgKind.PRODUCER, Role.MANAGER),
    "producer_viewer": (OrgKind.PRODUCER, Role.VIEWER),
    "recycler": (OrgKind.RECYCLER, Role.MANAGER),
    "logistics": (OrgKind.LOGISTICS, Role.MANAGER),
    "station": (OrgKind.STATION, Role.MANAGER),
    "government": (OrgKind.GOVERNMENT, Role.VIEWER),
    "admin": (OrgKind.ADMIN, Role.MANAGER),
}


def routes(app):
    # Sign-out last: it ends the session the other requests use.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint == "auth.logout"):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_has_an_expectation(app) -> None:
    missing = sorted({rule.endpoint for rule, _ in routes(app)} - set(EXPECTED))
    assert not missing, f"add an access rule and an EXPECTED entry for: {missing}"


def fill(rule, org_id: int) -> str:
    values = {
        "org_id": org_id,
        "token_id": 999_999,
        "job_id": 999_999,
        "code": "PA",
        "filename": "css/app.css",
        "lot_id": 999_999,
        "number": 1,
        "sha256": "0" * 64,
        "wanted_id": 999_999,
        "trade_id": 999_999,
        "step": "schedule",
        "bid_id": 999_999,
        "dispute_id": 999_999,
        "decision": "accept",
        "plan_id": 999_999,
        "label": "ST01-RCV-20261201-0001",
        "scale_id": 999_999,
        "weighing_id": 999_999,
        "order_id": 999_999,
        "request_id": 999_999,
        "notification_id": 999_999,
        "endpoint_id": 999_999,
        "delivery_id": 999_999,
        "alert_id": 999_999,
        "action": "acknowledge",
        "stage": "receive",
        "section": "scales",
        "capture_id": "0" * 32,
        "gtin": "00000000000000",
        "sscc": "000000000000000000",
        "kind": "qr.png",
        "vehicle_id": 999_999,
        "stop_id": 999_999,
        "key": "utilisation_rate",
        "fmt": "csv",
        "username": "nobody",
    }
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)


def call(client, rule, method, org_id, headers, csrf):
    path = fill(rule, org_id)
    kwargs = {"headers": dict(headers)}
    if method not in ("GET", "DELETE"):
        if path.startswith("/api/"):
            kwargs["json"] = {}
        else:
            kwargs["data"] = {"csrf_token": csrf}
    if method != "GET":  # cookie sessions need it; bearer requests ignore it
        kwargs["headers"]["X-CSRFToken"] = csrf
    return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_role_matrix(app, role) -> None:
    if role == "anonymous":
        org = make_org()
        headers, client = {}, app.test_client()
        csrf = csrf_token(client)
    else:
        kind, user_role = ROLES[role]
        user = make_user(make_org(kind), user_role)
        org = user.organization
        headers, client = bearer(user), app.test_client()
        login(client, user.username)
        csrf = csrf_token(client, "/home")
    failures = []
    for rule, method in routes(app):
        expected = EXPECTED[rule.endpoint]
        allowed = expected == PUBLIC or role in expected
        api_headers = headers if rule.rule.startswith("/api/") else {}
        response = call(client, rule, method, org.id, api_headers, csrf)
        response.close()  # static files are streamed
        location = response.headers.get("Location", "")
        denied = response.status_code in (401, 403) or location.startswith("/login?next=")
        if allowed == denied:
            failures.append(f"{method} {rule.rule} ({rule.endpoint}): {response.status_code}")
        if denied and role != "anonymous" and response.status_code != 403:
            failures.append(f"{method} {rule.rule}: signed-in denial must be 403")
    assert not failures, "\n".join(failures)


def test_routes_without_rule_are_closed(app) -> None:
    @app.get("/__no_rule__")
    def no_rule():
        return "open?"

    @app.get("/__with_rule__")
    @access(public=True)
    def with_rule():
        return "open"

    client = app.test_client()
    assert client.get("/__no_rule__").status_code == 403
    assert client.get("/__with_rule__").status_code == 200
