"""Moisture-adjusted settlement weight for waste paper (GB/T 20811 practice).

Paper is bought dry: water above the contract moisture is not paid for. The dry mass is kept,
re-expressed at the contract moisture:

    W_settle = W_net × (1 − M_measured) / (1 − M_contract)      when M_measured > M_contract

and W_net otherwise (drier paper is not paid extra, as is usual in Chinese OCC contracts).
Integer grams in, integer grams out, rounded down: the seller never gets paid for a fraction of a
gram it did not deliver. Pure: the trade settlement calls it.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal


def settlement_grams(net_grams: int, measured_pct: Decimal, contract_pct: Decimal) -> int:
    """The weight to settle on, in grams, after the moisture deduction."""
    if net_grams < 0:
        raise ValueError("net weight cannot be negative")
    for name, pct in (("measured", measured_pct), ("contract", contract_pct)):
        if not isinstance(pct, Decimal):
            raise TypeError(f"{name} moisture must be a Decimal")
        if not Decimal(0) <= pct < Decimal(100):
            raise ValueError(f"{name} moisture must be in [0, 100) %")
    if measured_pct <= contract_pct:
        return net_grams
    adjusted = Decimal(net_grams) * (100 - measured_pct) / (100 - contract_pct)
    return int(adjusted.to_integral_value(rounding=ROUND_FLOOR))
