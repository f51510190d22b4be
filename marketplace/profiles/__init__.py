"""Market profiles: what a recycler may take and a producer generates."""
