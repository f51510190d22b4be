"""Trading: auctions and awards, the lot lifecycle, the escrow ledger. Pure rules live in
`lifecycle`, `auction` and `ledger`; models, services and pages join them to the database."""
