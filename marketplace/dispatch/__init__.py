"""Dispatch: pickup requests gathered from trades, station outbound plans and recurring lots,
consolidated route plans for a logistics company's day (planned by `logistics`), and the
driver's confirmation of each pickup."""
