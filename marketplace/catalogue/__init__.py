"""The material catalogue over the API (the table itself lives in `core.catalogue`)."""
