"""Pages: recommended buyers with invitations on the lot page, recommended lots on the
recycler's home and its list, clicks, the daily digest, and the admin page with retraining."""

import time

import sqlalchemy as sa

from core import jobs
from core.db import db
from core.time import utcnow
from marketplace.jobs.runner import run_scheduled
from marketplace.notify.models import Notification
from marketplace.recommend.models import ModelVersion
from tests.factories import csrf_token, login
from tests.marketplace.recommend.conftest import impressions, list_lots


def session(app, user, path="/home"):
    client = app.test_client()
    login(client, user.username)
    return client, csrf_token(client, path)


def notes(org_id, event):
    return list(
        db.session.scalars(
            sa.select(Notification).where(
                Notification.organization_id == org_id, Notification.event == event
            )
        )
    )


def test_owner_sees_recommended_buyers_and_invites_one(app, client, producer, paper, metal):
    (lot,) = list_lots(client, producer, 1)
    web, csrf = session(app, producer, f"/lots/{lot['id']}")
    page = web.get(f"/lots/{lot['id']}").get_data(as_text=True)
    assert 'data-testid="recommended-buyers"' in page
    assert "为什么推荐" in page
    assert "基础排序" in page  # no model yet: labelled as the fallback
    for u in paper:
        assert f'data-buyer-id="{u.organization_id}"' in page
    assert f'data-buyer-id="{metal.organization_id}"' not in page
    target = paper[0].organization_id
    sent = web.post(
        f"/lots/{lot['id']}/invite",
        data={"csrf_token": csrf, "buyer_org_id": target},
        follow_redirects=True,
    )
    assert "已发送邀请" in sent.get_data(as_text=True)
    (note,) = notes(target, "recommend.invited")
    (invite,) = impressions(surface="invite")
    assert note.link == f"/lots/{lot['id']}?rec={invite.id}"
    assert (invite.buyer_org_id, invite.lot_id, invite.method) == (target, lot["id"], "fallback")
    again = web.post(
        f"/lots/{lot['id']}/invite",
        data={"csrf_token": csrf, "buyer_org_id": target},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已邀请过该企业" in again
    assert len(notes(target, "recommend.invited")) == 1
    # the invited recycler opens the link: the click is noted on that impression
    buyer_web, _ = session(app, paper[0])
    assert buyer_web.get(note.link).status_code == 200
    db.session.expire_all()
    assert impressions(surface="invite")[0].clicked_at is not None


def test_invitations_are_refused_for_who_cannot_take_the_lot(
    app, client, producer, metal, unlicensed
):
    (lot,) = list_lots(client, producer, 1)
    web, csrf = session(app, producer, f"/lots/{lot['id']}")
    for org_id, words in (
        (metal.organization_id, "不能承接此批次"),
        (unlicensed.organization_id, "没有经营许可范围"),
        (producer.organization_id, "请选择一家回收利用企业"),
        ("abc", "请选择一家回收利用企业"),
    ):
        page = web.post(
            f"/lots/{lot['id']}/invite",
            data={"csrf_token": csrf, "buyer_org_id": org_id},
            follow_redirects=True,
        )
        assert page.status_code == 200
        assert words in page.get_data(as_text=True)
    assert impressions(surface="invite") == []
    assert web.post("/lots/999999/invite", data={"csrf_token": csrf}).status_code == 404


def test_recycler_home_shows_recommended_lots_with_reasons(app, client, producer, paper):
    lots = list_lots(client, producer, 3)
    web, _ = session(app, paper[0])
    before = len(impressions(surface="home"))
    page = web.get("/home").get_data(as_text=True)
    assert 'data-testid="home-recommendations"' in page
    assert all(f'data-lot-id="{lot["id"]}"' in page for lot in lots)
    assert page.count('data-testid="why"') == 3
    shown = impressions(surface="home", buyer_org_id=paper[0].organization_id)
    assert len(shown) == before + 3  # every shown list is recorded, each time it is shown
    full = web.get("/recommendations").get_data(as_text=True)
    assert 'data-testid="recommended-lots"' in full
    assert web.get("/recommendations?k=0").status_code == 422


def test_a_recycler_without_licence_sees_why_not_a_crash(app, client, producer, unlicensed):
    list_lots(client, producer, 1)
    web, _ = session(app, unlicensed)
    page = web.get("/home")
    assert page.status_code == 200
    assert "请先完善经营许可" in page.get_data(as_text=True)


def test_daily_digest_once_a_day(app, client, producer, paper, unlicensed):
    list_lots(client, producer, 2)
    run_scheduled("recommend.digest")
    for u in paper:
        (note,) = notes(u.organization_id, "recommend.digest")
        assert note.link == "/recommendations"
        assert note.params["n"] == 2
    assert notes(unlicensed.organization_id, "recommend.digest") == []
    assert len(impressions(surface="digest")) == 6
    run_scheduled("recommend.digest")  # again the same day: nothing new
    assert all(len(notes(u.organization_id, "recommend.digest")) == 1 for u in paper)
    assert len(impressions(surface="digest")) == 6


def test_admin_page_retrains_with_progress(app, history, paper, admin):
    web, csrf = session(app, admin, "/admin/recommender")
    page = web.get("/admin/recommender").get_data(as_text=True)
    assert 'data-testid="no-model"' in page
    started = web.post("/admin/recommender/train", data={"csrf_token": csrf})
    assert started.status_code == 302
    job = db.session.scalar(sa.select(jobs.Job).where(jobs.Job.name == "recommend.train"))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = web.get(f"/admin/recommender/jobs/{job.id}").get_json()
        if status["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.3)
    assert status["state"] == "succeeded", status
    assert status["percent"] == 100
    db.session.expire_all()
    assert db.session.scalar(sa.select(ModelVersion.version).where(ModelVersion.active)) == 1
    page = web.get("/admin/recommender").get_data(as_text=True)
    assert "当前模型 v1" in page
    assert "同等规模的合成市场" in page
    assert 'data-testid="metrics"' in page
    assert web.get("/admin/recommender/jobs/999999").status_code == 404


def test_lists_after_training_name_the_model_on_pages(app, history, paper, producer):
    from marketplace.recommend import training

    training.train(utcnow(), lambda *a, **k: None)
    db.session.commit()
    logged = {i.id for i in impressions()}
    web, _ = session(app, paper[2])
    page = web.get("/home").get_data(as_text=True)
    assert "推荐模型 v1" in page
    assert "出价概率" in page
    version_id = db.session.scalar(sa.select(ModelVersion.id))
    new = [i for i in impressions() if i.id not in logged]
    assert new
    assert {(i.surface, i.method, i.model_version_id) for i in new} == {
        ("home", "model", version_id)
    }
