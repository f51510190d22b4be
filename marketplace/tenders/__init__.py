"""服务询价 / 反向竞价: producers and stations ask carriers and disposal contractors to quote.

A requester publishes a service request (服务需求) for transport (运输, answered by logistics
companies) or disposal (处置/利用, answered by recyclers whose licence covers it); providers quote
and may lower their quote until the deadline; the requester chooses on a transparent score of
price and rating, marks the service completed and rates the provider. Pure rules live in
`lifecycle.py` (states), `quoting.py` (what a quote must satisfy) and `ranking.py` (the score).
"""
