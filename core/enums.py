"""Enumerations shared across packages, stored as their string values."""

from __future__ import annotations

import enum

import sqlalchemy as sa


class OrgKind(enum.StrEnum):
    """What an organisation is on the platform; decides which pages and rules apply."""

    PRODUCER = "producer"
    RECYCLER = "recycler"
    LOGISTICS = "logistics"
    STATION = "station"
    GOVERNMENT = "government"
    ADMIN = "admin"


class Role(enum.StrEnum):
    """A user's role within its own organisation."""

    MANAGER = "manager"  # manages the organisation's users, tokens and profile
    OPERATOR = "operator"  # does the day-to-day work
    VIEWER = "viewer"  # reads only


def enum_column(enum_cls: type[enum.Enum], length: int = 16) -> sa.Enum:
    """A portable enum column storing `.value` with a CHECK constraint on every backend."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
        name=enum_cls.__name__.lower(),
    )
