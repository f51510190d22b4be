"""Reference data and the demo cluster."""
