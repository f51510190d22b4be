"""The government dashboard and enterprise KPIs: pure formulas (`indicators`) over plain records
(`records`), the database edge (`sources`), the versioned emission factors (`factors`) and the
read-only API (`api`)."""
