"""The audit log (issue 12): append-only in the database, each event kind recorded by the action
that causes it, an admin page with filters and CSV/XLSX export; PIPL export and erasure."""

import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core import audit, security_pii
from core.db import db
from core.enums import OrgKind, Role
from core.models import AuditEntry, User
from core.security_models import UserSession
from station.models import Alert
from tests.factories import bearer, csrf_token, login, make_org, make_user
from tests.marketplace.trading.conftest import admin, buyers, listed  # noqa: F401 (fixtures)
from tests.station.conftest import _no_drivers_left, manager, operator, station  # noqa: F401
from tests.station.pages import new_delivery, post, receive


def entries(action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(sa.or_(AuditEntry.action == action, AuditEntry.action.startswith(action + ".")))
            .order_by(AuditEntry.id)
        )
    )


# --- append-only ---------------------------------------------------------------------------


def test_the_database_refuses_to_rewrite_or_delete_audit_entries(app) -> None:
    audit.record_now("test.entry", target="x")
    for statement in ("UPDATE audit_log SET target = 'y'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert [e.target for e in entries("test.entry")] == ["x"]


# --- each event kind recorded by the action ------------------------------------------------


def test_logins_and_denials_are_recorded_with_who_when_what(app) -> None:
    user = make_user()
    other = make_user(make_org(OrgKind.PRODUCER))
    client = app.test_client()
    login(client, user.username, "wrong password!")
    login(client, user.username)
    response = client.get(
        f"/api/v1/organizations/{other.organization_id}/users", headers=bearer(user)
    )
    assert response.status_code == 403
    (failure,) = entries("login.failure")
    (success,) = entries("login.success")
    (denied,) = entries("access.denied")
    assert success.user_id == user.id
    assert success.at.tzinfo is not None  # UTC, aware
    assert failure.target == f"user:{user.username}"
    assert denied.user_id == user.id
    assert denied.detail["path"] == f"/api/v1/organizations/{other.organization_id}/users"


def test_money_movements_and_awards_are_recorded(client, producer, listed, buyers, admin) -> None:  # noqa: F811
    from tests.marketplace.trading.test_trades import awarded, top_up

    buyer = buyers[0]
    trade_id = awarded(client, producer, listed, buyer)
    top_up(client, admin, buyer.organization_id, "20000", "k1")
    (award,) = entries("trade.awarded")
    (money,) = entries("escrow.top_up")
    assert award.target == f"lot:{listed['id']}"
    assert award.detail["trade"] == trade_id
    assert money.user_id == admin.id


def test_tolerance_changes_reweighs_and_alert_handling_are_recorded(
    app,
    station,  # noqa: F811
    manager,  # noqa: F811
    operator,  # noqa: F811
) -> None:
    from station.services import setup

    setup.set_tolerance(
        station.manager, "receive", None, {"shortfall": {"basis": "absolute", "absolute_kg": "5"}}
    )
    db.session.commit()
    (tolerance,) = entries("tolerance.set")
    assert tolerance.user_id == station.manager.user_id
    assert tolerance.detail["after"]["shortfall"]["absolute_kg"] == "5"

    receive(operator, new_delivery(manager, station, number="AU-1"), kg="5198")
    alert = db.session.scalars(sa.select(Alert).order_by(Alert.id)).first()
    assert post(operator, f"/station/alerts/{alert.id}/acknowledge").status_code == 302
    assert post(operator, f"/station/alerts/{alert.id}/file", reason="残留料").status_code == 302
    assert post(manager, f"/station/alerts/{alert.id}/approve").status_code == 302
    kinds = [e.action for e in entries("alert")]
    assert kinds == ["alert.acknowledge", "alert.file", "alert.approve"]
    assert entries("alert.approve")[0].user_id == station.manager.user_id


# --- the admin page ------------------------------------------------------------------------


@pytest.fixture
def platform_admin(app):
    user = make_user(make_org(OrgKind.ADMIN), Role.MANAGER)
    client = app.test_client()
    login(client, user.username)
    return user, client


def test_admin_filters_the_log(app, platform_admin) -> None:
    _, client = platform_admin
    audit.record_now("trade.awarded", target="trade:7")
    audit.record_now("escrow.top_up", target="org:3", organization_id=None)
    page = client.get("/admin/audit?action=trade").get_data(as_text=True)
    assert 'data-action="trade.awarded"' in page
    assert 'data-action="escrow.top_up"' not in page
    login_rows = client.get("/admin/audit?action=login").get_data(as_text=True)
    assert 'data-action="login.success"' in login_rows
    assert client.get("/admin/audit?since=yesterday").status_code == 422
    assert client.get("/admin/audit?organization_id=x").status_code == 422


def test_exports_escape_formulas(app, platform_admin) -> None:
    _, client = platform_admin
    audit.record_now("test.entry", target='=HYPERLINK("http://evil")')
    csv_body = client.get("/admin/audit.csv?action=test").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_body
    assert csv_body.splitlines()[0].startswith("id,at_utc,action")
    xlsx = client.get("/admin/audit.xlsx?action=test")
    assert xlsx.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert rows[1][2] == "test.entry"
    assert rows[1][6].startswith("'=")
    assert client.get("/admin/audit.pdf").status_code == 422


def test_other_roles_cannot_read_the_log(app) -> None:
    user = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    client = app.test_client()
    login(client, user.username)
    assert client.get("/admin/audit").status_code == 403


# --- personal information --------------------------------------------------------------------


def test_masks() -> None:
    assert security_pii.mask_phone("13812345678") == "138****5678"
    assert security_pii.mask_phone("5678") == "****"
    assert security_pii.mask_name("张三丰") == "张**"
    assert security_pii.mask_email("zhang@example.com") == "z***@example.com"


def test_erase_keeps_ids_and_the_audit_trail(app, platform_admin) -> None:
    boss, client = platform_admin
    org = make_org(OrgKind.PRODUCER, contact_name="李四", contact_phone="13900001111")
    user = make_user(org, display_name="李四", email="li@example.com")
    victim = app.test_client()
    login(victim, user.username)
    before = len(entries("login"))
    exported = client.get(f"/admin/pii/{user.username}.json")
    assert json.loads(exported.data)["user"]["email"] == "li@example.com"
    token = csrf_token(client, "/admin/audit")
    refused = client.post(f"/admin/pii/{user.username}/erase", data={"csrf_token": token})
    assert refused.status_code == 422  # must repeat the username
    done = client.post(
        f"/admin/pii/{user.username}/erase",
        data={"csrf_token": token, "confirm": user.username},
    )
    assert done.status_code == 302
    db.session.expire_all()
    erased = db.session.get(User, user.id)
    assert erased.display_name == f"已删除#{user.id}"
    assert erased.email is None
    assert not erased.is_active
    assert (erased.organization.contact_name, erased.organization.contact_phone) == ("已删除", "")
    assert len(entries("login")) == before  # nothing of the trail is gone
    assert [e.user_id for e in entries("pii")] == [boss.id, boss.id]  # exported, erased
    assert db.session.scalar(
        sa.select(UserSession.revoked_at).where(UserSession.user_id == user.id)
    )
    assert victim.get("/home").status_code == 302  # signed out everywhere


def test_pii_cli_exports_and_erases(app) -> None:
    user = make_user(email="wang@example.com")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pii", "export", "--user", user.username])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["user"]["email"] == "wang@example.com"
    assert runner.invoke(args=["pii", "export", "--user", "nobody"]).exit_code != 0
    result = runner.invoke(args=["pii", "erase", "--user", user.username, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).email is None
    assert entries("pii.erased")[0].target == f"user:{user.id}"


def test_contacts_of_other_organisations_are_masked_for_government(app) -> None:
    factory = make_org(OrgKind.PRODUCER, contact_name="陈小明", contact_phone="13812345678")
    own = make_user(factory)
    gov = make_user(make_org(OrgKind.GOVERNMENT), Role.VIEWER)
    boss = make_user(make_org(OrgKind.ADMIN))
    path = f"/api/v1/organizations/{factory.id}"
    seen = {
        who.username: app.test_client().get(path, headers=bearer(who)).json
        for who in (own, gov, boss)
    }
    assert seen[own.username]["contact_phone"] == "13812345678"
    assert seen[boss.username]["contact_phone"] == "13812345678"
    assert seen[gov.username]["contact_phone"] == "138****5678"
    assert seen[gov.username]["contact_name"] == "陈**"
    page = app.test_client().get("/api/v1/organizations?per_page=100", headers=bearer(gov)).json
    row = next(o for o in page["items"] if o["id"] == factory.id)
    assert row["contact_phone"] == "138****5678"
