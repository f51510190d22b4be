"""The recommender in the platform: rows → `matching` inputs, trained models, shown lists.

`matching` is a plain library; this package is its edge (DESIGN.md): it adapts lots, recycler
profiles, impressions and bids into `matching.Lot` / `Buyer` / `Exposure`, trains and stores
model versions as a background job, records every shown list with its model version, and
serves the API, the page panels, invitations and the daily digest.
"""
