"""Why a recommendation was made, in words a user understands, Chinese first.

Reasons are built from the pair's facts (distance, history counts, quality, price), not from
the model's internals: a recycler wants "12 km, within your 50 km radius; you bid on 9 废纸箱
lots", not a SHAP value. Each candidate reason gets a strength and the strongest three are
kept. Two views: to a buyer about a lot (`view="lot"`), to a producer about a buyer
(`view="buyer"`). The library stays free of Flask's gettext: each reason carries a stable code
and parameters besides its Chinese and English text.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.types import Reason

MAX_REASONS = 3


@dataclass
class Facts:
    """What is known about one feasible pair, in user units."""

    dist_km: float
    radius_km: float
    category: str
    bids_in_category: int
    text_sim: float
    contamination_pct: float
    max_contamination_pct: float
    ask_ratio: float
    dql: int
    quantity_t: float
    capacity_t: float
    has_history: bool


def _candidates(f: Facts, view: str) -> list[tuple[float, Reason]]:
    d, r, cat, n = f.dist_km, f.radius_km, f.category, f.bids_in_category
    mine = view == "lot"
    out = [
        (
            1.3 - d / max(r, 1e-9),
            Reason(
                "distance",
                f"{d:.0f} km，在您 {r:.0f} km 的收运半径内" if mine
                else f"相距 {d:.0f} km，在对方 {r:.0f} km 的收运半径内",
                f"{d:.0f} km, within your {r:.0f} km radius" if mine
                else f"{d:.0f} km away, within their {r:.0f} km radius",
                (("km", round(d, 1)), ("radius_km", r)),
            ),
        )
    ]  # fmt: skip
    if n >= 1:
        out.append((
            0.2 + min(1.0, n / 5),
            Reason(
                "history_category",
                f"您曾对 {n} 个类似的{cat}批次出价" if mine else f"对方曾对 {n} 个{cat}批次出价",
                f"you bid on {n} similar {cat} lots" if mine else f"they bid on {n} {cat} lots",
                (("count", n), ("category", cat)),
            ),
        ))  # fmt: skip
    elif not f.has_history:
        out.append((
            0.5,
            Reason(
                "declared_scope",
                f"在您申报的经营范围内（{cat}）" if mine else f"对方经营范围含{cat}",
                f"within your declared scope ({cat})" if mine else f"licensed for {cat}",
                (("category", cat),),
            ),
        ))  # fmt: skip
    if f.text_sim >= 0.5:
        out.append((
            f.text_sim,
            Reason(
                "similar_text",
                "与您出过价的批次描述相近" if mine else "对方常对描述相近的批次出价",
                "described like lots you bid on" if mine
                else "they often bid on lots described like this",
                (("similarity", round(f.text_sim, 2)),),
            ),
        ))  # fmt: skip
    m, c = f.max_contamination_pct, f.contamination_pct
    margin = (m - c) / max(m, 1e-9)
    if margin >= 0.3 and m < 100:  # 100 % is no declared limit at all
        out.append((
            margin,
            Reason(
                "clean",
                f"杂质 {c:.1f}%，低于您 {m:.0f}% 的上限" if mine
                else f"杂质 {c:.1f}%，在对方 {m:.0f}% 的上限内",
                f"contamination {c:.1f}%, under your {m:.0f}% limit" if mine
                else f"contamination {c:.1f}%, within their {m:.0f}% limit",
                (("pct", c), ("limit_pct", m)),
            ),
        ))  # fmt: skip
    if mine and f.ask_ratio <= 0.98:
        pct = (1 - f.ask_ratio) * 100
        out.append((
            (1 - f.ask_ratio) * 5,
            Reason(
                "price",
                f"报价低于区域指数 {pct:.0f}%",
                f"asking {pct:.0f}% below the regional index",
                (("below_index_pct", round(pct, 1)),),
            ),
        ))  # fmt: skip
    if f.dql >= 3:
        out.append((
            0.3 * (f.dql - 2),
            Reason("dql", f"数据质量等级 DQL {f.dql}", f"data quality level DQL {f.dql}",
                   (("dql", f.dql),)),
        ))  # fmt: skip
    share = f.quantity_t / max(f.capacity_t, 1e-9)
    if share >= 0.4:
        q, cap = f.quantity_t, f.capacity_t
        out.append((
            0.5 * share,
            Reason(
                "capacity",
                f"{q:g} t，在您 {cap:g} t 的处理能力内" if mine
                else f"{q:g} t，在对方 {cap:g} t 的处理能力内",
                f"{q:g} t, fits your {cap:g} t capacity" if mine
                else f"{q:g} t, fits their {cap:g} t capacity",
                (("t", q), ("capacity_t", cap)),
            ),
        ))  # fmt: skip
    return out


def explain(facts: Facts, view: str = "lot") -> tuple[Reason, ...]:
    """The strongest reasons (at most three, distance always considered) for one pair."""
    if view not in ("lot", "buyer"):
        raise ValueError("view must be 'lot' or 'buyer'")
    ranked = sorted(_candidates(facts, view), key=lambda sr: -sr[0])
    return tuple(r for _, r in ranked[:MAX_REASONS])
