"""The recommender: lot↔recycler matching with scikit-learn. A plain library (no Flask, no DB).

Public API: the data (`Lot`, `Buyer`, `Exposure`), the hard filter (`is_feasible`,
`feasible_lots`), `Recommender` and its results (`Recommendation`, `Reason`), and the errors
(`MatchingError`, with the offending field). `matching.synthetic` makes a market with hidden
ground truth; `matching.evaluate` measures the recommender and baselines on it.
"""

from matching.feasibility import BuyerTable, LotTable, feasible_lots, is_feasible
from matching.model import FORMAT_VERSION, Recommender
from matching.types import Buyer, Exposure, Lot, MatchingError, Reason, Recommendation

__all__ = [
    "FORMAT_VERSION",
    "Buyer",
    "BuyerTable",
    "Exposure",
    "Lot",
    "LotTable",
    "MatchingError",
    "Reason",
    "Recommendation",
    "Recommender",
    "feasible_lots",
    "is_feasible",
]
