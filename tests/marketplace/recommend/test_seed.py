"""The demo recommender: trained on the history's bids, lists with reasons, idempotent."""

import sqlalchemy as sa

from core.auth import Actor
from core.db import db
from core.models import User
from core.storage import LocalFolderStore
from core.time import utcnow
from marketplace.recommend import services
from marketplace.recommend.models import Impression, ModelVersion
from marketplace.recommend.seed import seed_recommender
from marketplace.seed.history import seed_history
from marketplace.seed.market import seed_market


def test_demo_trains_on_the_history_and_explains(app, demo, tmp_path) -> None:
    store = LocalFolderStore(tmp_path / "evidence")
    now = utcnow()
    seed_market(store, now=now, lots_per_stream=(1, 2))
    seed_history(store, now=now)
    assert seed_recommender(now=now) == 1
    db.session.commit()
    row = db.session.scalar(sa.select(ModelVersion))
    assert row.active
    assert row.n_bids > 50
    assert row.n_exposures > row.n_bids  # recyclers that could have bid and did not
    seeded = db.session.scalar(
        sa.select(sa.func.count()).select_from(Impression).where(Impression.surface == "seed")
    )
    assert seeded == row.n_exposures
    user = db.session.scalar(sa.select(User).where(User.username == "demo-recycler"))
    with app.test_request_context():
        result = services.recommend_lots(Actor.of(user), 5, now=now, record=False)
    assert result.method == "model"
    assert len(result.items) == 5
    texts = [r["text"] for i in result.items for r in i.reasons]
    assert any("收运半径内" in t for t in texts)
    assert any("您曾对" in t for t in texts)  # its own bidding history is a reason
    assert seed_recommender(now=now) == 0  # idempotent
