"""The 23 cluster indicators as pure formulas over plain records (no Flask, no database).

One function per indicator, each returning a `Figure` that says what it is made of (numerator,
denominator), which weights it used (station weighed net, or declared when unweighed), which
emission factor and edition, and how to drill down to the records behind it. A formula whose
source holds nothing returns a `Figure` with `no_data` and the reason — never a made-up number.
Strings are Chinese source messages marked with `N_`; the API translates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from core.i18n import N_
from marketplace.dashboard import market, operations
from marketplace.dashboard.figures import (
    MIXED,
    NO_FACTOR,
    NO_PASSPORTS,
    NO_PICKUPS,
    NO_REPORTS,
    NO_RESERVE,
    NO_SALES,
    NO_TRADES,
    NO_TRANSPORT_FACTOR,
    NO_TRIPS,
    NOTHING,
    PCT,
    SOME_NO_FACTOR,
    T_CO2E,
    TONNE,
    WAN_YUAN_FEN,
    Drill,
    Figure,
    generated_g,
    missing,
    q,
    ratio_pct,
    tonnes,
    weight_basis,
)
from marketplace.dashboard.market import in_period
from marketplace.dashboard.records import Records

KEYS = (
    "utilisation_rate",
    "generation_intensity",
    "substitution_rate",
    "recycled_volume",
    "co2e_avoided_gross",
    "logistics_co2e",
    "co2e_avoided_net",
    "empty_running_rate",
    "load_factor",
    "consolidation_ratio",
    "pickup_lead_time",
    "on_time_pickup_rate",
    "clearance_rate",
    "price_realisation",
    "closed_loop_share",
    "weighing_anomaly_rate",
    "downgrade_rate",
    "bale_yield",
    "station_utilisation",
    "landfill_diversion_rate",
    "traceability_completeness",
    "escrow_settlement",
    "participation",
)

LABELS = {
    "utilisation_rate": N_("一般工业固体废物综合利用率"),
    "generation_intensity": N_("万元工业增加值产废强度"),
    "substitution_rate": N_("再生料替代率"),
    "recycled_volume": N_("再生资源回收量"),
    "co2e_avoided_gross": N_("减碳量（毛）"),
    "logistics_co2e": N_("物流碳排放"),
    "co2e_avoided_net": N_("净减碳量"),
    "empty_running_rate": N_("空驶率"),
    "load_factor": N_("车辆装载率"),
    "consolidation_ratio": N_("拼单率（每趟批次数）"),
    "pickup_lead_time": N_("挂牌至提货时长"),
    "on_time_pickup_rate": N_("准时提货率"),
    "clearance_rate": N_("市场成交率"),
    "price_realisation": N_("价格实现率"),
    "closed_loop_share": N_("园区内闭环价值占比"),
    "weighing_anomaly_rate": N_("称重异常率"),
    "downgrade_rate": N_("杂质扣减率"),
    "bale_yield": N_("打包得率"),
    "station_utilisation": N_("回收站产能利用率"),
    "landfill_diversion_rate": N_("填埋转移率"),
    "traceability_completeness": N_("溯源完整率"),
    "escrow_settlement": N_("托管结算时长"),
    "participation": N_("企业参与率"),
}


def utilisation_rate(r: Records) -> Figure:
    """综合利用率 = utilised ÷ (generated + prior stock utilised)."""
    key, rows = "utilisation_rate", market.of(r).delivered
    gen, gen_basis = generated_g(r)
    prior = sum(x.prior_stock_utilised_g or 0 for x in r.reports if in_period(r.period, x.month))
    den = gen + prior
    if den == 0:
        return missing(key, PCT, NOTHING)
    num = sum(g.net_g for g in rows if g.utilised)
    return Figure(
        key,
        ratio_pct(Decimal(num), Decimal(den)),
        PCT,
        tonnes(num),
        tonnes(den),
        basis=gen_basis if not rows or gen_basis == weight_basis(rows) else MIXED,
        records=Drill("trades", {"delivered": True}),
        extra={"generated_t": tonnes(gen), "prior_stock_t": tonnes(prior)},
    )


def generation_intensity(r: Records) -> Figure:
    """产废强度 = generated tonnes ÷ industrial value added (万元) the factories reported."""
    key = "generation_intensity"
    reports = [x for x in r.reports if x.value_added_fen and in_period(r.period, x.month)]
    if not reports:
        return missing(key, "t/万元", NO_REPORTS, "reports")
    gen, basis = generated_g(r)
    if gen == 0:  # nothing recorded is not "no waste": the figure waits for records
        return missing(key, "t/万元", NOTHING, "reports")
    va = Decimal(sum(x.value_added_fen or 0 for x in reports)) / WAN_YUAN_FEN
    return Figure(
        key,
        q(tonnes(gen) / va, "0.0001"),
        "t/万元",
        tonnes(gen),
        q(va, "0.01"),
        basis=basis,
        records=Drill("reports", {"field": "value_added"}),
    )


def substitution_rate(r: Records) -> Figure:
    """再生料替代率 = recycled input ÷ (recycled + virgin input), as buyer plants report it."""
    key = "substitution_rate"
    reports = [
        x
        for x in r.reports
        if in_period(r.period, x.month) and (x.recycled_input_g is not None or x.virgin_input_g)
    ]
    rec = sum(x.recycled_input_g or 0 for x in reports)
    total = rec + sum(x.virgin_input_g or 0 for x in reports)
    if total == 0:
        return missing(key, PCT, NO_REPORTS, "reports")
    return Figure(
        key,
        ratio_pct(Decimal(rec), Decimal(total)),
        PCT,
        tonnes(rec),
        tonnes(total),
        basis=N_("买方企业填报"),
        records=Drill("reports", {"field": "inputs"}),
    )


def recycled_volume(r: Records) -> Figure:
    """Tonnes delivered to recyclers in the period, and by material family."""
    key, rows = "recycled_volume", [g for g in market.of(r).delivered if g.utilised]
    if not rows:
        return missing(key, TONNE, NO_TRADES)
    by: dict[str, int] = {}
    for g in rows:
        by[g.family] = by.get(g.family, 0) + g.net_g
    total = sum(by.values())
    return Figure(
        key,
        q(tonnes(total)),
        TONNE,
        basis=weight_basis(rows),
        records=Drill("trades", {"delivered": True}),
        extra={"by_family": {f: q(tonnes(g)) for f, g in sorted(by.items())}},
    )


def co2e_avoided_gross(r: Records) -> Figure:
    """Σ delivered net tonnes × the material's recycling factor (kg CO2e/t), in t CO2e."""
    key, rows = "co2e_avoided_gross", [g for g in market.of(r).delivered if g.utilised]
    if not rows:
        return missing(key, T_CO2E, NO_TRADES)
    kg, used, lacking = Decimal(0), {}, set()
    for g in rows:
        f = r.factors.recycling.get(g.factor_material or "")
        if f is None:
            lacking.add(g.family)
            continue
        kg += tonnes(g.net_g) * f.value
        used[f.key] = f
    if not used:
        return missing(key, T_CO2E, NO_FACTOR, extra={"missing_factor": sorted(lacking)})
    refs = tuple(used[k] for k in sorted(used))
    return Figure(
        key,
        q(kg / 1000),
        T_CO2E,
        basis=weight_basis(rows),
        factor=refs[0],
        factors=refs,
        records=Drill("trades", {"delivered": True}),
        notes=(SOME_NO_FACTOR,) if lacking else (),
        extra={"missing_factor": sorted(lacking)},
    )


def logistics_co2e(r: Records) -> Figure:
    """Empty km × the 0 %-laden per-km factor + laden km × the average-laden one, in t CO2e."""
    key = "logistics_co2e"
    if not r.trips:
        return missing(key, T_CO2E, NO_TRIPS, "trips")
    fl, fe = r.factors.transport_laden, r.factors.transport_empty
    if fl is None or fe is None:
        return missing(key, T_CO2E, NO_TRANSPORT_FACTOR, "trips")
    empty = sum((t.empty_km for t in r.trips), Decimal(0))
    laden = sum((t.km for t in r.trips), Decimal(0)) - empty
    kg = laden * fl.value + empty * fe.value
    return Figure(
        key,
        q(kg / 1000),
        T_CO2E,
        basis=N_("调度路线里程（按空载/载货）"),
        factor=fl,
        factors=(fl, fe),
        records=Drill("trips"),
        extra={"laden_km": q(laden, "0.1"), "empty_km": q(empty, "0.1")},
    )


def co2e_avoided_net(r: Records) -> Figure:
    """Gross CO2e avoided − logistics CO2e (no logistics data: the gross stands, and says so)."""
    key = "co2e_avoided_net"
    gross, logi = co2e_avoided_gross(r), logistics_co2e(r)
    if gross.value is None:
        return missing(key, T_CO2E, gross.no_data or NOTHING)
    minus = logi.value or Decimal(0)
    notes = gross.notes + ((NO_TRIPS,) if logi.value is None else ())
    return Figure(
        key,
        q(gross.value - minus),
        T_CO2E,
        gross.value,
        minus,
        basis=gross.basis,
        factor=gross.factor,
        factors=gross.factors + logi.factors,
        records=gross.records,
        notes=notes,
    )


def pickup_lead_time(r: Records) -> Figure:
    """Median (and p90) hours from listing to pickup, for lots picked up in the period."""
    key, m = "pickup_lead_time", market.of(r)
    if not m.lead.n:
        return missing(key, "h", NO_PICKUPS)
    by_stop = m.lead_by_delivery == 0
    return Figure(
        key,
        q(hours(m.lead.median_s), "0.1"),
        "h",
        basis=N_("司机确认提货时间") if by_stop else N_("提货时间，未确认的按到货时间"),
        records=Drill("trades", {"picked_up": True}),
        extra={"p90_h": q(hours(m.lead.p90_s), "0.1"), "count": m.lead.n},
    )


def clearance_rate(r: Records) -> Figure:
    """Lots whose sale ended in the period with a trade ÷ lots whose sale ended."""
    key, m = "clearance_rate", market.of(r)
    if not m.sales_ended:
        return missing(key, PCT, NO_SALES, "lots")
    return Figure(
        key,
        ratio_pct(Decimal(m.sales_sold), Decimal(m.sales_ended)),
        PCT,
        Decimal(m.sales_sold),
        Decimal(m.sales_ended),
        records=Drill("lots", {"sale_closed": True}),
    )


def price_realisation(r: Records) -> Figure:
    """Σ price × quantity ÷ Σ reserve × quantity for trades with a reserve; in `extra`, the same
    against the platform's weekly price index of each trade's grade (`trading.index.reference`:
    the last complete week before the trade, within four), for the trades that had one."""
    key, m = "price_realisation", market.of(r)
    if not m.reserved:
        return missing(key, PCT, NO_RESERVE if m.priced else NOTHING)
    extra: dict[str, Any] = {}
    if m.indexed:
        extra["against_index_pct"] = ratio_pct(Decimal(m.index_got), Decimal(m.index_ask))
    return Figure(
        key,
        ratio_pct(Decimal(m.reserve_got), Decimal(m.reserve_ask)),
        PCT,
        basis=N_(
            "成交价对保留价，按申报重量加权；对价格指数：对该等级成交前最近一个完整周"
            "（四周内）的周价格指数"
        ),
        records=Drill("trades", {"reserve": True}),
        extra=extra,
    )


def closed_loop_share(r: Records) -> Figure:
    """Value of delivered trades bought inside the cluster ÷ value of all delivered trades."""
    key, rows = "closed_loop_share", market.of(r).delivered
    total = sum(g.value_fen for g in rows)
    if total == 0:
        return missing(key, PCT, NO_TRADES)
    inside = sum(g.value_fen for g in rows if g.buyer_in_cluster)
    return Figure(
        key,
        ratio_pct(Decimal(inside), Decimal(total)),
        PCT,
        Decimal(inside) / 100,
        Decimal(total) / 100,
        basis=weight_basis(rows),
        records=Drill("trades", {"delivered": True}),
    )


def landfill_diversion_rate(r: Records) -> Figure:
    """Delivered tonnes not sent to disposal ÷ all delivered tonnes."""
    key, rows = "landfill_diversion_rate", market.of(r).delivered
    total = sum(g.net_g for g in rows)
    if total == 0:
        return missing(key, PCT, NO_TRADES)
    kept = sum(g.net_g for g in rows if g.utilised)
    return Figure(
        key,
        ratio_pct(Decimal(kept), Decimal(total)),
        PCT,
        tonnes(kept),
        tonnes(total),
        basis=weight_basis(rows),
        records=Drill("trades", {"delivered": True}),
    )


def traceability_completeness(r: Records) -> Figure:
    """Lots closed in the period whose passport runs listing → pickup → delivery → end use ÷
    lots closed."""
    key, m = "traceability_completeness", market.of(r)
    if not m.closed:
        return missing(key, PCT, NO_PASSPORTS)
    return Figure(
        key,
        ratio_pct(Decimal(m.closed_complete), Decimal(m.closed)),
        PCT,
        Decimal(m.closed_complete),
        Decimal(m.closed),
        basis=N_("数字护照事件链"),
        records=Drill("trades", {"closed": True}),
    )


def escrow_settlement(r: Records) -> Figure:
    """Median hours from delivery to escrow settlement; the dispute rate beside it."""
    key, m = "escrow_settlement", market.of(r)
    if not m.settle.n:
        return missing(key, "h", NOTHING)
    delivered = sum(g.count for g in m.delivered)
    disputes = sum(g.count for g in m.delivered if g.disputed)
    extra: dict[str, Any] = {"count": m.settle.n}
    if delivered:
        extra["dispute_rate_pct"] = ratio_pct(Decimal(disputes), Decimal(delivered))
    return Figure(
        key,
        q(hours(m.settle.median_s), "0.1"),
        "h",
        basis=N_("托管账本结算时间"),
        records=Drill("trades", {"settled": True}),
        extra=extra,
    )


FORMULAS: dict[str, Callable[[Records], Figure]] = {
    k: globals().get(k) or getattr(operations, k) for k in KEYS
}


def compute(records: Records, keys: Iterable[str] = KEYS) -> list[Figure]:
    """Every requested indicator over the same records, in the issue's order."""
    return [FORMULAS[k](records) for k in keys]


def hours(s: Decimal | int | None) -> Decimal:
    return Decimal(s or 0) / 3600


def change_pct(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Period-over-period change in percent (None when either side is missing or before is 0)."""
    if now is None or before is None or before == 0:
        return None
    return q((now - before) * 100 / abs(before), "0.1")
