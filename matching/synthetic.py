"""A synthetic market with hidden ground truth, for measuring the recommender honestly.

Everything the recommender may see is in `Market.lots`, `.buyers` and `.exposures`; what it
may not see (each buyer's hidden preference weights and latent taste, the utility of every
test pair) is only used to grade it. The generator:

- sellers (factories) of very different sizes (Zipf), each with a site, one or two categories
  and a quality level; lots come in weekly cohorts from them;
- buyers with sites, licences (categories, HW codes), radii, capacities, tolerances, hidden
  preference weights over category, process, distance, quality, price, DQL and lot size, and
  a latent taste over the descriptive words in lot texts;
- a logging policy that shows each buyer its nearest feasible lots of the week plus a few
  random ones (`policy="biased"`), or only random ones (`policy="uniform"`); bids are drawn
  from the hidden utility through a logistic link, so exposure is biased the way a real
  "nearest first" page biases it;
- a test window of brand-new lots; for each buyer its feasible test lots get graded relevance
  (3/2/1/0 by the hidden utility's rank) and one simulated bid each, for calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from matching.feasibility import LotTable, feasible_lots
from matching.types import Buyer, Exposure, Lot

CATEGORIES = ["废纸箱", "废报纸", "PET瓶片", "PP破碎料", "HDPE", "废钢", "铝屑", "铜屑",
              "废木托盘", "废电路板"]  # fmt: skip
PROCESSES = ["打包", "散装", "压块", "破碎"]
DESCRIPTORS = ["白色", "彩色", "干净", "含胶带", "带标签", "已清洗", "含油污", "大块", "细碎",
               "单一牌号", "混合料", "透明", "含铁", "低灰分"]  # fmt: skip
HW_BY_CATEGORY = {"废电路板": ("HW49",), "铝屑": ("HW17",)}  # hazardous share below
HW_CODES = ["HW08", "HW17", "HW49"]
CENTRE = (22.95, 113.75)  # Dongguan
GRADE_CUTS = (0.05, 0.15, 0.30)  # top 5 % → 3, next 10 % → 2, next 15 % → 1


@dataclass
class Market:
    """A generated market: the visible inputs and the hidden grading."""

    seed: int
    policy: str
    lots: list[Lot]
    buyers: list[Buyer]
    exposures: list[Exposure]
    test_lots: list[Lot]
    cold_buyers: frozenset[str]
    # hidden: buyer id → {feasible test lot id → graded relevance 0..3 / utility}
    relevance: dict[str, dict[str, int]] = field(default_factory=dict)
    utility: dict[str, dict[str, float]] = field(default_factory=dict)
    # hidden: (buyer id, lot id, true bid probability, simulated bid) over feasible test pairs
    test_bids: list[tuple[str, str, float, bool]] = field(default_factory=list)


@dataclass
class _Taste:
    cat: dict[str, float]
    proc: np.ndarray
    w: np.ndarray  # distance, quality, price, dql, size
    desc: np.ndarray
    bias: float


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class _World:
    """The hidden generator state; kept apart so nothing of it leaks into `Market`'s inputs."""

    def __init__(self, rng: np.random.Generator, n_sellers: int, n_buyers: int) -> None:
        self.rng = rng
        ranks = np.arange(1, n_sellers + 1)
        self.seller_w = 1.0 / ranks**1.1
        self.seller_w /= self.seller_w.sum()
        self.seller_site = np.c_[
            CENTRE[0] + rng.normal(0, 0.22, n_sellers), CENTRE[1] + rng.normal(0, 0.25, n_sellers)
        ]
        self.seller_cats = [
            rng.choice(len(CATEGORIES), size=rng.integers(1, 3), replace=False)
            for _ in range(n_sellers)
        ]
        self.seller_quality = rng.uniform(0.5, 1.5, n_sellers)
        self.seller_desc = [rng.random(len(DESCRIPTORS)) for _ in range(n_sellers)]
        self.buyers: list[Buyer] = []
        self.tastes: dict[str, _Taste] = {}
        for i in range(n_buyers):
            self._make_buyer(i)

    def _make_buyer(self, i: int) -> None:
        rng = self.rng
        cats = rng.choice(len(CATEGORIES), size=rng.integers(2, 5), replace=False)
        names = [CATEGORIES[c] for c in cats]
        hw = {c for c in HW_CODES if rng.random() < 0.4}
        for c in names:
            hw.update(HW_BY_CATEGORY.get(c, ()) if rng.random() < 0.8 else ())
        bid = f"B{i:05d}"
        self.buyers.append(
            Buyer(
                id=bid,
                lat=float(CENTRE[0] + rng.normal(0, 0.2)),
                lon=float(CENTRE[1] + rng.normal(0, 0.22)),
                permitted_categories=frozenset(names),
                permitted_hw_codes=frozenset(hw),
                radius_km=float(rng.choice([20, 30, 40, 50, 60, 80])),
                capacity_t=float(rng.choice([10, 20, 30, 50, 80])),
                max_contamination_pct=float(rng.choice([3, 5, 8, 12, 20])),
                min_dql=int(rng.choice([0, 1, 1, 2, 2, 3])),
            )
        )
        main = rng.integers(len(names))
        cat = {n: (1.2 if k == main else float(rng.normal(0, 0.6))) for k, n in enumerate(names)}
        self.tastes[bid] = _Taste(
            cat=cat,
            proc=rng.normal(0, 0.5, len(PROCESSES)),
            w=np.array(
                [
                    rng.uniform(0.8, 2.5),
                    rng.uniform(0.3, 1.5),
                    rng.uniform(1.0, 4.0),
                    rng.uniform(0.0, 0.5),
                    rng.uniform(0.0, 1.0),
                ]
            ),
            desc=rng.normal(0, 0.8, len(DESCRIPTORS)),
            bias=float(rng.normal(-1.6, 0.3)),
        )

    def make_lots(self, n: int, listed: datetime, prefix: str) -> tuple[list[Lot], np.ndarray]:
        """A cohort of lots and their descriptor indicator rows (hidden)."""
        rng = self.rng
        sellers = rng.choice(len(self.seller_w), size=n, p=self.seller_w)
        lots, descs = [], np.zeros((n, len(DESCRIPTORS)))
        for j, s in enumerate(sellers):
            cat = CATEGORIES[int(rng.choice(self.seller_cats[s]))]
            hw = HW_BY_CATEGORY.get(cat, ()) if cat == "废电路板" or rng.random() < 0.3 else ()
            if rng.random() < 0.05:
                hw = (*hw, "HW08")
            p = self.seller_desc[s] / self.seller_desc[s].sum()
            words = rng.choice(len(DESCRIPTORS), size=rng.integers(2, 5), replace=False, p=p)
            descs[j, words] = 1.0
            proc = PROCESSES[int(rng.integers(len(PROCESSES)))]
            q = self.seller_quality[s]
            lots.append(
                Lot(
                    id=f"{prefix}{j:06d}",
                    category=cat,
                    process=proc,
                    lat=float(self.seller_site[s, 0] + rng.normal(0, 0.004)),
                    lon=float(self.seller_site[s, 1] + rng.normal(0, 0.004)),
                    quantity_t=float(np.round(rng.lognormal(2.2, 0.7), 1)),
                    contamination_pct=float(np.round(rng.gamma(2.0, 2.0 * q), 1)),
                    moisture_pct=float(np.round(rng.uniform(2, 15), 1)),
                    dql=int(np.clip(rng.poisson(1.5 / q + 0.5), 0, 4)),
                    ask_ratio=float(np.round(rng.normal(1.0, 0.1), 3)),
                    hw_codes=tuple(hw),
                    listed_at=listed + timedelta(hours=float(rng.uniform(0, 72))),
                    text=f"{cat} {proc} " + " ".join(DESCRIPTORS[w] for w in words),
                    seller_id=f"S{s:04d}",
                )
            )
        return lots, descs

    def utility(self, buyer: Buyer, table: LotTable, idx: np.ndarray, dist: np.ndarray,
                descs: np.ndarray) -> np.ndarray:  # fmt: skip
        """The hidden, noise-free utility of `buyer` for the lots at `idx`."""
        t = self.tastes[buyer.id]
        cat = np.array([t.cat.get(table.category[i], -2.0) for i in idx])
        proc = t.proc[[PROCESSES.index(table.process[i]) for i in idx]]
        margin = (buyer.max_contamination_pct - table.contamination[idx]) / max(
            buyer.max_contamination_pct, 1e-9
        )
        x = np.c_[
            -dist / buyer.radius_km,
            margin,
            1.0 - table.ask[idx],
            table.dql[idx] - 2,
            table.quantity[idx] / buyer.capacity_t,
        ]
        taste = descs[idx] @ t.desc / np.sqrt(np.maximum(descs[idx].sum(1), 1))
        return cat + 0.5 * proc + x @ t.w + taste

    def bid_proba(self, buyer: Buyer, u: np.ndarray) -> np.ndarray:
        return _sigmoid(2.0 * (u + self.tastes[buyer.id].bias))


def make_lots(seed: int, n: int, *, n_sellers: int = 150) -> list[Lot]:
    """`n` open lots from the same kind of sellers as `make_market` (for speed benchmarks)."""
    world = _World(np.random.default_rng(seed), n_sellers, 0)
    return world.make_lots(n, datetime(2026, 3, 2, tzinfo=UTC), "O-")[0]


def make_buyers(seed: int, n: int) -> list[Buyer]:
    """`n` recyclers drawn as `make_market` draws them (for speed benchmarks)."""
    return _World(np.random.default_rng(seed), 1, n).buyers


def make_market(
    seed: int,
    *,
    n_buyers: int = 200,
    n_sellers: int = 150,
    n_weeks: int = 8,
    lots_per_week: int = 250,
    n_test_lots: int = 600,
    n_near: int = 8,
    n_random: int = 4,
    policy: str = "biased",
    cold_share: float = 0.15,
    start: datetime = datetime(2026, 1, 5, tzinfo=UTC),
) -> Market:
    """Generate a market; the same seed and arguments give the same market."""
    if policy not in ("biased", "uniform"):
        raise ValueError("policy must be 'biased' or 'uniform'")
    rng = np.random.default_rng(seed)
    world = _World(rng, n_sellers, n_buyers)
    n_cold = round(cold_share * n_buyers)
    cold = frozenset(b.id for b in world.buyers[:n_cold])
    lots: list[Lot] = []
    exposures: list[Exposure] = []
    for week in range(n_weeks):
        week_start = start + timedelta(weeks=week)
        cohort, descs = world.make_lots(lots_per_week, week_start, f"L{week:02d}-")
        lots.extend(cohort)
        table = LotTable(cohort)
        for buyer in world.buyers[n_cold:]:
            idx, dist = feasible_lots(buyer, table)
            if not len(idx):
                continue
            order = np.argsort(dist, kind="stable")
            if policy == "biased":
                shown = list(order[:n_near])
                rest = order[n_near:]
                n_rand = n_random
            else:
                shown, rest, n_rand = [], order, n_near + n_random
            if len(rest):
                shown += list(rng.choice(rest, size=min(n_rand, len(rest)), replace=False))
            shown = np.array(shown)
            u = world.utility(buyer, table, idx[shown], dist[shown], descs)
            bids = rng.random(len(shown)) < world.bid_proba(buyer, u)
            when = week_start + timedelta(days=3, hours=float(rng.uniform(0, 96)))
            for pos, (k, bid) in enumerate(zip(shown, bids, strict=True)):
                exposures.append(Exposure(buyer.id, table.ids[idx[k]], when, bool(bid), pos))
    test_start = start + timedelta(weeks=n_weeks)
    test_lots, descs = world.make_lots(n_test_lots, test_start, "T-")
    market = Market(seed, policy, lots, world.buyers, exposures, test_lots, cold)
    table = LotTable(test_lots)
    for buyer in world.buyers:
        idx, dist = feasible_lots(buyer, table)
        if not len(idx):
            continue
        u = world.utility(buyer, table, idx, dist, descs)
        ranks = np.argsort(np.argsort(-u, kind="stable"), kind="stable") / len(u)
        grade = np.select([ranks < c for c in GRADE_CUTS], [3, 2, 1], default=0)
        ids = [table.ids[i] for i in idx]
        market.relevance[buyer.id] = dict(zip(ids, grade.tolist(), strict=True))
        market.utility[buyer.id] = dict(zip(ids, u.tolist(), strict=True))
        p = world.bid_proba(buyer, u)
        draws = rng.random(len(p)) < p
        market.test_bids.extend(
            (buyer.id, lid, float(pi), bool(d)) for lid, pi, d in zip(ids, p, draws, strict=True)
        )
    return market
