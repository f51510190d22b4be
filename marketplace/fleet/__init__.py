"""Vehicles and depots of logistics companies (and stations that run their own trucks)."""
