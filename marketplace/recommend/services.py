"""Serving recommendations: the active model (or the labelled fallback), lists, impressions.

A list is always answered. With an active model, `matching.Recommender` ranks the feasible
candidates by calibrated P(bid); without one — nothing trained yet, or its file was written by
another library or scikit-learn version — the fallback ranks the feasible candidates nearest
first and every item says so (`method="fallback"`, a reason naming it). Infeasible items are
never shown either way: the hard filter is the library's, not learned.

Every list shown to someone is recorded as impressions with the model version that ranked it;
services add them to the session and the caller commits (page panels commit their own).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import get_locale

import matching
from core.auth import Actor
from core.db import db
from core.enums import OrgKind
from core.errors import Forbidden, Invalid, NotFound
from core.i18n import N_
from core.models import Organization
from core.storage import LocalFolderStore
from marketplace.lots.models import Lot, LotStatus
from marketplace.recommend import adapter
from marketplace.recommend.models import SURFACES, Impression, ModelVersion

log = logging.getLogger(__name__)
MAX_K = 50
_CACHE: dict[str, matching.Recommender] = {}
_CACHE_LOCK = threading.Lock()


def model_store() -> LocalFolderStore:
    """Model files: `RECOMMENDER_DIR`, else `instance/models` (content-addressed, read-only)."""
    root = current_app.config.get("RECOMMENDER_DIR") or Path(current_app.instance_path) / "models"
    return LocalFolderStore(Path(root))


def parse_k(raw: Any, default: int = 10) -> int:
    """`k` from a query string: a whole number 1..50, else a 422 naming `k`."""
    if raw is None or raw == "":
        return default
    try:
        k = int(str(raw).strip())
    except ValueError:
        raise Invalid("%(field)s 应为 1 到 50 的整数", {"k": "not an integer"}, field="k") from None
    if not 1 <= k <= MAX_K:
        raise Invalid("%(field)s 应为 1 到 50 的整数", {"k": "must be 1..50"}, field="k")
    return k


def active_version() -> ModelVersion | None:
    """The model version that serves now, if any."""
    return db.session.scalar(
        sa.select(ModelVersion).where(ModelVersion.active.is_(True)).order_by(ModelVersion.id)
    )


@dataclass
class Loaded:
    """The active model, or why there is none (a message for the fallback label)."""

    version: ModelVersion | None
    model: matching.Recommender | None
    problem: str = ""


def load_active() -> Loaded:
    """The active model from the store (cached per file); a bad file means the fallback."""
    row = active_version()
    if row is None:
        return Loaded(None, None, "untrained")
    with _CACHE_LOCK:
        model = _CACHE.get(row.sha256)
    if model is None:
        try:
            data = model_store().get(row.sha256)
        except KeyError:
            log.warning("model v%s: file %s missing", row.version, row.sha256)
            return Loaded(row, None, "missing")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.joblib"
            path.write_bytes(data)
            try:
                model = matching.Recommender.load(path)
            except matching.MatchingError as err:
                log.warning("model v%s unusable: %s", row.version, err.message)
                return Loaded(row, None, "incompatible")
        with _CACHE_LOCK:
            _CACHE[row.sha256] = model
    return Loaded(row, model)


_OPEN: dict[str, tuple[tuple[Any, ...], matching.LotTable | None]] = {}


def open_table() -> matching.LotTable | None:
    """The open lots as one `LotTable`, rebuilt only when they (or the price index) change.

    Reading and adapting every open lot was most of a list's cost; the library caches its
    per-lot work (text vectors, the spatial index) on the table, so reusing it across requests
    keeps that too. Each process keeps its own copy; the signature query says when it is stale.
    """
    signature = adapter.open_signature()
    with _CACHE_LOCK:
        cached = _OPEN.get("open")
    if cached is not None and cached[0] == signature:
        return cached[1]
    lots = adapter.open_lot_inputs()
    table = matching.LotTable(lots) if lots else None
    with _CACHE_LOCK:
        _OPEN["open"] = (signature, table)
    return table


@dataclass
class Item:
    """One recommended lot or buyer as a page or the API shows it."""

    id: int
    score: float | None
    reasons: list[dict[str, str]]
    distance_km: float | None = None
    impression_id: int | None = None
    row: Any = None


@dataclass
class Result:
    """A ranked list, how it was ranked and by which model version."""

    items: list[Item]
    method: str  # model | fallback
    model_version: int | None
    note: str = ""
    impressions: list[Impression] = field(default_factory=list)
    version_row: ModelVersion | None = None


def _lang() -> str:
    if not has_request_context():  # a job: Chinese, the default
        return "zh"
    return "en" if str(get_locale() or "zh").startswith("en") else "zh"


def _reasons(reasons: tuple[matching.Reason, ...]) -> list[dict[str, str]]:
    lang = _lang()
    return [{"code": r.code, "text": r.en if lang == "en" else r.zh} for r in reasons]


FALLBACK_NOTES = {
    "untrained": N_("尚未训练推荐模型：按可承接且距离最近排序。"),
    "missing": N_("推荐模型文件缺失：按可承接且距离最近排序。"),
    "incompatible": N_("推荐模型文件来自其他版本，需要重新训练：按可承接且距离最近排序。"),
}


FALLBACK_TEXT = {  # built like the library's reasons: both languages, picked per reader
    "fallback": ("暂无推荐模型，按距离最近排序", "No trained model yet: nearest first"),
    "lot": ("%(km)s km，在您 %(r)s km 的收运半径内", "%(km)s km, within your %(r)s km radius"),
    "buyer": (
        "相距 %(km)s km，在对方 %(r)s km 的收运半径内",
        "%(km)s km away, within their %(r)s km radius",
    ),
    "licence": ("在经营许可范围内", "Within the licence scope"),
}


def _fallback_reasons(km: float, radius: float, view: str) -> list[dict[str, str]]:
    pick = 1 if _lang() == "en" else 0
    params = {"km": f"{km:.0f}", "r": f"{radius:.0f}"}
    return [
        {"code": "fallback", "text": FALLBACK_TEXT["fallback"][pick]},
        {"code": "distance", "text": FALLBACK_TEXT[view][pick] % params},
        {"code": "licence", "text": FALLBACK_TEXT["licence"][pick]},
    ]


def recommend_lots(
    actor: Actor, k: int, *, now: datetime, surface: str = "api", record: bool = True
) -> Result:
    """The top `k` open lots for the recycler `actor`, with reasons; recorded when shown."""
    buyer = adapter.buyer(actor.org_id, now)  # NoLicence (422) without a licence scope
    table = open_table()
    excluded = adapter.excluded_for(actor.org_id)
    loaded = load_active()
    items: list[Item] = []
    if table is not None and len(excluded) < len(table):
        if loaded.model is not None:
            wanted = min(k + len(excluded), len(table))
            items = _model_items(loaded.model.recommend_lots(buyer, table, wanted), excluded, k)
        else:
            idx, dist = matching.feasible_lots(buyer, table)
            for o in np.argsort(dist, kind="stable"):
                lot_id = table.ids[int(idx[o])]
                if lot_id in excluded:
                    continue
                km = float(dist[o])
                reasons = _fallback_reasons(km, buyer.radius_km, "lot")
                items.append(Item(int(lot_id), None, reasons, km))
                if len(items) == k:
                    break
    result = _shown_lots(items, loaded)
    if record:
        _record(result, surface, now, buyer_org=actor.org_id, shown_to=actor.org_id)
    return result


def recommend_lots_many(
    actors: Sequence[Actor], k: int, *, now: datetime, surface: str = "digest"
) -> dict[int, Result]:
    """Lists for many recyclers at once (the daily digest), by organisation id; recorded.

    One recycler's list cannot see the others', so every digest would carry the same few strong
    lots; the model's batch ranking (``matching``'s coverage-aware re-rank) lets a lot already in
    many lists yield to a nearly as good one nobody was sent. Recyclers without a licence scope
    are left out; without a model each gets the fallback list.
    """
    kept, buyers = [], []
    for actor in actors:
        try:
            buyers.append(adapter.buyer(actor.org_id, now))
        except adapter.NoLicence:
            continue
        kept.append(actor)
    table, loaded = open_table(), load_active()
    if loaded.model is None or table is None:
        return {a.org_id: recommend_lots(a, k, now=now, surface=surface) for a in kept}
    excluded = {a.org_id: adapter.excluded_for(a.org_id) for a in kept}
    wanted = min(k + max((len(e) for e in excluded.values()), default=0), len(table))
    results = {}
    for actor, recs in zip(
        kept, loaded.model.recommend_lots_many(buyers, table, wanted), strict=True
    ):
        result = _shown_lots(_model_items(recs, excluded[actor.org_id], k), loaded)
        _record(result, surface, now, buyer_org=actor.org_id, shown_to=actor.org_id)
        results[actor.org_id] = result
    return results


def _model_items(recs: Sequence[matching.Recommendation], excluded: set[Any], k: int) -> list[Item]:
    """The model's ranked lots without the recycler's own and those it bid on, at most `k`."""
    items = [Item(int(r.id), r.score, _reasons(r.reasons)) for r in recs if r.id not in excluded]
    return items[:k]


def _shown_lots(items: list[Item], loaded: Loaded) -> Result:
    rows = adapter.lot_rows([i.id for i in items])
    for item in items:
        item.row = rows[item.id]
    return _result(items, loaded)


def lot_for_owner(actor: Actor, lot_id: int) -> Lot:
    """The lot `lot_id` if it belongs to the actor's organisation (another's: 404)."""
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.organization_id != actor.org_id:
        raise NotFound("批次不存在")
    return lot


def recommend_buyers(
    actor: Actor, lot_id: int, k: int, *, now: datetime, surface: str = "api", record: bool = True
) -> Result:
    """The top `k` recyclers for the actor's own lot, most likely bidder first, with reasons."""
    lot = lot_for_owner(actor, lot_id)
    if lot.status != LotStatus.LISTED:
        return Result([], "none", None, N_("批次未发布，发布后才有推荐买家。"))
    (target,) = adapter.lots([lot])
    candidates = [b for b in adapter.buyers(now) if b.id != str(actor.org_id)]
    loaded = load_active()
    items: list[Item] = []
    if candidates:
        table = matching.BuyerTable(candidates)
        if loaded.model is not None:
            for rec in loaded.model.recommend_buyers(target, table, k):
                items.append(Item(int(rec.id), rec.score, _reasons(rec.reasons)))
        else:
            idx, dist = table.feasible_for(target)
            for o in np.argsort(dist, kind="stable")[:k]:
                b = table.buyers[int(idx[o])]
                km = float(dist[o])
                items.append(Item(int(b.id), None, _fallback_reasons(km, b.radius_km, "buyer"), km))
    orgs = {
        o.id: o
        for o in db.session.scalars(
            sa.select(Organization).where(Organization.id.in_([i.id for i in items]))
        )
    }
    for item in items:
        item.row = orgs[item.id]
    result = _result(items, loaded)
    if record:
        for item in result.items:
            imp = _impression(item.id, lot.id, actor.org_id, surface, item, result, now)
            result.impressions.append(imp)
    return result


def _result(items: list[Item], loaded: Loaded) -> Result:
    method = "model" if loaded.model is not None else "fallback"
    note = "" if loaded.model is not None else FALLBACK_NOTES[loaded.problem]
    version = loaded.version.version if loaded.model is not None and loaded.version else None
    row = loaded.version if loaded.model is not None else None
    return Result(items, method, version, note, version_row=row)


def _impression(
    buyer_org: int,
    lot_id: int,
    shown_to: int,
    surface: str,
    item: Item,
    result: Result,
    now: datetime,
) -> Impression:
    if surface not in SURFACES:
        raise ValueError(f"unknown surface {surface!r}")
    row = result.version_row
    imp = Impression(
        buyer_org_id=buyer_org,
        lot_id=lot_id,
        shown_to_org_id=shown_to,
        surface=surface,
        position=result.items.index(item),
        score=float(item.score) if item.score is not None else 0.0,
        method=result.method,
        model_version_id=row.id if row is not None else None,
        shown_at=now,
    )
    db.session.add(imp)
    return imp


def _record(result: Result, surface: str, now: datetime, *, buyer_org: int, shown_to: int) -> None:
    for item in result.items:
        result.impressions.append(
            _impression(buyer_org, item.id, shown_to, surface, item, result, now)
        )
    db.session.flush()
    for item, imp in zip(result.items, result.impressions, strict=True):
        item.impression_id = imp.id


def mark_clicked(actor: Actor, impression_id: int, lot_id: int, now: datetime) -> bool:
    """The recycler opened a lot from one of its lists: note it on that impression (once)."""
    imp = db.session.get(Impression, impression_id)
    if imp is None or imp.buyer_org_id != actor.org_id or imp.lot_id != lot_id:
        return False
    if imp.clicked_at is None:
        imp.clicked_at = now
    return True


def require_recycler(actor: Actor) -> None:
    """Recommendations of lots are for recyclers; others get a clear 403."""
    if actor.org_kind is not OrgKind.RECYCLER:
        raise Forbidden("只有回收利用企业可以获得批次推荐")
