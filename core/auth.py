"""Authentication and authorisation primitives every package checks.

Services receive an `Actor` (who is asking) and call the `require_*` checks; they never look at
Flask's request or session. The rules:
- a user touches only its own organisation's objects;
- government reads across the cluster and never writes;
- admin (the platform operator) manages organisations and reference data;
- viewers read only; managers also manage their organisation's users and tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit
from core.db import db
from core.enums import OrgKind, Role
from core.errors import Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from core.models import ApiToken, LoginAttempt, User

TOKEN_PREFIX = "hl_"
LAST_USED_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user, its organisation and what kind it is, and its role there."""

    user_id: int
    org_id: int
    org_kind: OrgKind
    role: Role

    @classmethod
    def of(cls, user: User) -> Actor:
        """The actor for a loaded user."""
        return cls(user.id, user.organization_id, user.organization.kind, user.role)

    @property
    def is_admin(self) -> bool:
        return self.org_kind is OrgKind.ADMIN

    @property
    def is_government(self) -> bool:
        return self.org_kind is OrgKind.GOVERNMENT


def _deny(actor: Actor, message: str, target: str) -> Forbidden:
    err = Forbidden(message)
    err.audit = {"user_id": actor.user_id, "organization_id": actor.org_id, "target": target}  # type: ignore[attr-defined]
    return err


def can_read_org(actor: Actor, org_id: int) -> bool:
    """Own organisation, or a cluster-wide reader (government, admin)."""
    return actor.org_id == org_id or actor.is_government or actor.is_admin


def require_read_org(actor: Actor, org_id: int, target: str = "") -> None:
    """Refuse reading another organisation's objects."""
    if not can_read_org(actor, org_id):
        raise _deny(actor, "无权查看其他组织的数据", target or f"organization:{org_id}")


def require_write_org(
    actor: Actor, org_id: int, *, manager: bool = False, target: str = ""
) -> None:
    """Refuse writing unless it is the actor's own organisation (or the actor is admin)."""
    target = target or f"organization:{org_id}"
    if actor.is_admin:
        return
    if actor.is_government:
        raise _deny(actor, "政府账户为只读", target)
    if actor.org_id != org_id:
        raise _deny(actor, "无权修改其他组织的数据", target)
    if actor.role is Role.VIEWER:
        raise _deny(actor, "只读用户不能修改数据", target)
    if manager and actor.role is not Role.MANAGER:
        raise _deny(actor, "需要本组织管理员角色", target)


def require_admin(actor: Actor, target: str = "") -> None:
    """Refuse unless the actor belongs to the platform operator."""
    if not actor.is_admin:
        raise _deny(actor, "需要平台管理员权限", target or "admin")


# --- passwords ---------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Hash with werkzeug's salted scrypt; refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("密码至少需要%(n)d个字符", {"password": "too short"}, n=MIN_PASSWORD_LENGTH)
    return generate_password_hash(password)


def verify_password(user: User, password: str) -> bool:
    """Constant-time check of a password against the stored hash."""
    return check_password_hash(user.password_hash, password)


# --- login with throttling -----------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed per account and per address within `window` before refusing."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)


def _recent_failures(
    column: sa.ColumnElement[str], value: str, since: datetime
) -> tuple[int, datetime | None]:
    row = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(LoginAttempt.at)).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    ).one()
    return int(row[0]), row[1]


def authenticate(
    username: str, password: str, *, ip: str, now: datetime, policy: ThrottlePolicy | None = None
) -> User:
    """Check a login, throttled per account and per address; every attempt is logged and audited.

    Raises TooManyRequests while throttled (even for the right password, so guessing learns
    nothing), Unauthorized for a wrong name or password (the same message for both).
    """
    policy = policy or ThrottlePolicy()
    username = username.strip().lower()
    since = now - policy.window
    for column, value, limit in (
        (LoginAttempt.username, username, policy.per_account),
        (LoginAttempt.ip, ip, policy.per_address),
    ):
        count, oldest = _recent_failures(column, value, since)
        if count >= limit and oldest is not None:
            retry = max(1, int((oldest + policy.window - now).total_seconds()) + 1)
            audit.record_now("login.throttled", target=f"user:{username}", ip=ip)
            raise TooManyRequests("登录失败次数过多，请稍后再试", retry_after=retry)

    user = db.session.scalar(sa.select(User).where(User.username == username))
    ok = user is not None and user.is_active and verify_password(user, password)
    if not ok:
        # Written in their own transaction: the caller rolls back on the error below.
        with db.engine.begin() as conn:
            conn.execute(
                sa.insert(LoginAttempt).values(username=username, ip=ip, succeeded=False, at=now)
            )
        audit.record_now("login.failure", target=f"user:{username}", ip=ip)
        raise Unauthorized("用户名或密码错误")
    db.session.add(LoginAttempt(username=username, ip=ip, succeeded=True, at=now))
    assert user is not None
    user.last_login_at = now
    audit.record(
        "login.success",
        user_id=user.id,
        organization_id=user.organization_id,
        target=f"user:{username}",
        ip=ip,
    )
    return user


# --- API tokens --------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str, *, now: datetime, days: int = 90) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and never stored."""
    if not 1 <= days <= 365:
        raise Invalid("有效期应为1至365天", {"days": "must be between 1 and 365"})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=plain[:10],
        token_hash=_digest(plain),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "token.created",
        user_id=user.id,
        organization_id=user.organization_id,
        target=f"token:{token.id}",
    )
    return token, plain


def user_for_token(plain: str, *, now: datetime) -> User:
    """The active user a bearer token belongs to; Unauthorized if unknown, expired or revoked.

    One query loads the token with its user and organisation (every API request needs all
    three). `last_used_at` moves only when it is older than LAST_USED_RESOLUTION: writing it on
    every request would add an UPDATE and a commit to each read, and make concurrent requests
    of one token queue on its row lock; the token list shows it to the minute anyway.
    """
    token = db.session.scalar(
        sa.select(ApiToken)
        .options(joinedload(ApiToken.user).joinedload(User.organization))
        .where(ApiToken.token_hash == _digest(plain))
    )
    if token is None or not token.is_usable(now) or not token.user.is_active:
        raise Unauthorized("访问令牌无效、已过期或已撤销")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
    return token.user


def revoke_token(actor: Actor, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the actor's own tokens (or, for a manager, one of its organisation's)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("令牌不存在")
    if token.user_id != actor.user_id:
        require_write_org(
            actor, token.user.organization_id, manager=True, target=f"token:{token_id}"
        )
    if token.revoked_at is None:
        token.revoked_at = now
        audit.record(
            "token.revoked",
            user_id=actor.user_id,
            organization_id=actor.org_id,
            target=f"token:{token_id}",
        )
    return token
