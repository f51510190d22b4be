"""Per-lot digital passports: EPCIS 2.0 events, tamper evidence, labels, lineage."""
