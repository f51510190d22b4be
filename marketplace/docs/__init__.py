"""Offline API documentation page."""
