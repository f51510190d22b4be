"""Identity tables: clusters, parks, organisations, their sites, users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, coordinate_checks, db
from core.enums import OrgKind, Role, enum_column
from core.time import utcnow


class Cluster(db.Model):
    """A regional industrial cluster (产业集群) the platform serves; the government's scope."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(160))

    def __repr__(self) -> str:
        return f"<Cluster {self.code}>"


class Park(db.Model):
    """An industrial park or town zone (园区) inside a cluster; a drill-down level."""

    __tablename__ = "parks"
    __table_args__ = coordinate_checks()

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("clusters.id"))
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(120))
    name_en: Mapped[str] = mapped_column(sa.String(160))
    division_code: Mapped[str] = mapped_column(sa.String(12))
    lat: Mapped[float]
    lon: Mapped[float]

    cluster: Mapped[Cluster] = relationship()

    def __repr__(self) -> str:
        return f"<Park {self.code}>"


class Organization(db.Model):
    """A legal entity on the platform: a factory, recycler, carrier, station, authority or us."""

    __tablename__ = "organizations"
    __table_args__ = coordinate_checks()

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind))
    legal_name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    uscc: Mapped[str] = mapped_column(sa.String(18), unique=True)
    address: Mapped[str] = mapped_column(sa.String(300))
    division_code: Mapped[str] = mapped_column(sa.String(12))
    lat: Mapped[float]
    lon: Mapped[float]
    industry_code: Mapped[str] = mapped_column(sa.String(8), default="")
    industry_name: Mapped[str] = mapped_column(sa.String(120), default="")
    cluster_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clusters.id"))
    park_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parks.id"))
    contact_name: Mapped[str] = mapped_column(sa.String(60), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cluster: Mapped[Cluster | None] = relationship()
    park: Mapped[Park | None] = relationship()
    sites: Mapped[list[Site]] = relationship(
        back_populates="organization", order_by="Site.id", cascade="all, delete-orphan"
    )
    users: Mapped[list[User]] = relationship(back_populates="organization", order_by="User.id")

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.kind} {self.legal_name}>"


class Site(db.Model):
    """A physical place of an organisation (plant, yard, depot) with its own coordinates."""

    __tablename__ = "sites"
    __table_args__ = coordinate_checks()

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str] = mapped_column(sa.String(300))
    lat: Mapped[float]
    lon: Mapped[float]
    # "08:00-17:30" local time; pickups are planned inside it.
    opening_hours: Mapped[str] = mapped_column(sa.String(40), default="08:00-17:30")
    loading: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    organization: Mapped[Organization] = relationship(back_populates="sites")

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.name}>"


class User(db.Model):
    """A person who logs in; belongs to exactly one organisation with one role in it."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    locale: Mapped[str] = mapped_column(sa.String(8), default="zh")
    # Where notifications are mailed when SMTP is configured; `notify_email` is the opt-out.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    notify_email: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(back_populates="users")

    # The interface Flask-Login expects, written out so the kernel does not import the web layer.
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"


class ApiToken(db.Model):
    """A bearer token for API access; only its SHA-256 is stored, so a leaked table is inert."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(12))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def is_usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}…>"


class LoginAttempt(db.Model):
    """One login try; counted per account and per address to throttle guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (sa.Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    ip: Mapped[str] = mapped_column(sa.String(45), index=True)
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<LoginAttempt {self.username} {self.succeeded}>"


class AuditEntry(db.Model):
    """An append-only record of a security-relevant act: who, when (UTC), what, from where."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    target: Mapped[str] = mapped_column(sa.String(200), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action}>"
