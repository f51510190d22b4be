"""The daily digest ranks all recyclers' lists at once with the model's coverage-aware re-rank."""

from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.time import utcnow
from marketplace.recommend import outreach, services
from tests.marketplace.recommend.conftest import impressions, list_lots
from tests.marketplace.recommend.test_api import train_now


def actors(users) -> list[Actor]:
    return [Actor(None, u.organization_id, OrgKind.RECYCLER, None) for u in users]  # type: ignore[arg-type]


def ids(results) -> dict[int, list[int]]:
    return {org: [i.id for i in r.items] for org, r in results.items()}


def test_digests_come_from_the_model_and_name_its_version(client, producer, paper, history):
    row = train_now()
    list_lots(client, producer, 6)
    assert outreach.send_digests(utcnow()) == len(paper)
    db.session.commit()
    shown = impressions(surface="digest")
    assert shown
    assert {s.method for s in shown} == {"model"}
    assert {s.model_version_id for s in shown} == {row.id}
    bid_on = {lot["id"] for lot in history[::2]}
    first = paper[0].organization_id
    assert not {s.lot_id for s in shown if s.buyer_org_id == first} & bid_on


def test_without_a_penalty_the_batch_equals_each_recyclers_own_list(
    client, producer, paper, history
):
    train_now()
    list_lots(client, producer, 6)
    model = services.load_active().model
    saved, model.coverage_penalty = model.coverage_penalty, 0.0
    try:
        now = utcnow()
        batch = ids(services.recommend_lots_many(actors(paper), 5, now=now))
        alone = {
            a.org_id: [i.id for i in services.recommend_lots(a, 5, now=now, record=False).items]
            for a in actors(paper)
        }
        assert batch == alone
        model.coverage_penalty = 5.0  # a strong penalty spreads the lists over more lots
        spread = ids(services.recommend_lots_many(actors(paper), 5, now=now))
        distinct = {lot for lots in spread.values() for lot in lots}
        assert len(distinct) >= len({lot for lots in batch.values() for lot in lots})
        assert all(len(spread[o]) == len(batch[o]) for o in batch)
    finally:
        model.coverage_penalty = saved


def test_recyclers_without_a_licence_are_left_out(client, producer, paper, unlicensed, history):
    train_now()
    got = services.recommend_lots_many(actors([*paper, unlicensed]), 3, now=utcnow())
    assert set(got) == {u.organization_id for u in paper}
