"""Organisations, their sites and users: the directory every other feature refers to."""
