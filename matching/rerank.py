"""Re-rank for exposure: keep the market from collapsing onto a few big names.

Scores alone send every buyer to the same large sellers (they list the most lots, so they
hold most of the top places). The re-rank discounts a candidate by how much exposure its
group (seller, or the buyer itself when ranking buyers) already had in the logs, and
greedily decays further picks from a group already in this list. Only the order among
feasible candidates changes; the filter ran before.
"""

from __future__ import annotations

import numpy as np


def rerank(
    keys: np.ndarray,
    groups: np.ndarray,
    popularity: np.ndarray,
    k: int,
    *,
    penalty: float,
    decay: float,
    pool: int = 5,
) -> np.ndarray:
    """Indices of the `k` candidates to show, in order.

    `keys` are ranking scores (higher is better), `groups[i]` the group id of candidate i,
    `popularity[i]` its group's past exposure scaled to [0, 1]. A candidate's value is
    `key × (1 − penalty × popularity) × decay^(picks of its group so far)`; the greedy pass
    looks only at the best `pool × k` by the discounted key, which keeps it O(k²).
    """
    base = keys * (1.0 - penalty * popularity)
    m = min(len(keys), max(k * pool, k))
    top = np.argpartition(-base, m - 1)[:m] if m < len(keys) else np.arange(len(keys))
    top = top[np.argsort(-base[top], kind="stable")]
    vals = base[top]
    _, grp = np.unique(groups[top], return_inverse=True)
    counts = np.zeros(grp.max() + 1 if len(grp) else 0)
    taken = np.zeros(len(top), dtype=bool)
    order = np.empty(min(k, len(top)), dtype=np.int64)
    for n in range(len(order)):
        cand = np.where(taken, -np.inf, vals * decay ** counts[grp])
        j = int(np.argmax(cand))
        taken[j] = True
        counts[grp[j]] += 1
        order[n] = top[j]
    return order


def exposure_discount(shown: np.ndarray, penalty: float) -> np.ndarray:
    """Multipliers `1 / (1 + penalty × √shown)` for lots already in `shown` other lists.

    Used across buyers (`Recommender.recommend_lots_many`). Dividing rather than subtracting
    keeps the discount relative to each buyer's own scale of P(bid), so a lot a buyer likes
    far more than the alternatives still wins after several showings. The square root makes
    the first showings cost the most: on development markets (seeds 4–8) it bought the same
    coverage as a linear `1 / (1 + penalty × shown)` for about half the NDCG.
    """
    return 1.0 / (1.0 + penalty * np.sqrt(shown))
