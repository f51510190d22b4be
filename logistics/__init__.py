"""Consolidated pickup routing with OR-Tools. A plain library (no Flask, no DB)."""
