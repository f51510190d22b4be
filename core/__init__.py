"""Shared kernel: database handle, domain errors, time, money/weight units, identity and auth.

Everything here sits below every domain package; it imports none of them.
"""
