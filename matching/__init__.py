"""The recommender: lot↔recycler matching with scikit-learn. A plain library (no Flask, no DB)."""
