"""Personal information (PIPL): masking for lists and exports, export and erasure on request.

What counts as personal here: a user's display name and e-mail, an organisation's contact
person and phone. (Drivers are users; their phone is the contact phone of their carrier or
their e-mail.) Erasure replaces the values with a tombstone and keeps every id, hash and audit
entry: the audit trail still says "user 17 did X", passports still verify, and nothing that
references the user breaks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core import audit, security
from core.db import db
from core.errors import NotFound
from core.models import Organization, User

TOMBSTONE = "已删除"


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise a number, not to call it."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "****" + digits[-4:]


def mask_name(name: str) -> str:
    """张** — the family name only."""
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_email(email: str | None) -> str:
    """z***@example.com."""
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound("用户不存在")
    return user


def export_user(username: str) -> dict[str, Any]:
    """Everything personal we hold about a user (the PIPL access request), as plain JSON."""
    user = _user(username)
    org = user.organization
    return {
        "user": {
            "id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "role": user.role.value,
            "locale": user.locale,
            "created_at": user.created_at.isoformat(),
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        },
        "organization": {
            "id": org.id,
            "legal_name": org.legal_name,
            "contact_name": org.contact_name,
            "contact_phone": org.contact_phone,
        },
    }


def erase_user(username: str, *, by_user_id: int | None, now: datetime) -> User:
    """Replace a user's personal data with a tombstone, deactivate it and end its sessions.

    The organisation's contact details are erased too when they name this person. The caller
    commits; the erasure itself is audited (ids only — the erased values are not logged).
    """
    user = _user(username)
    org: Organization = user.organization
    if org.contact_name and org.contact_name == user.display_name:
        org.contact_name = TOMBSTONE
        org.contact_phone = ""
    user.display_name = f"{TOMBSTONE}#{user.id}"
    user.email = None
    user.notify_email = False
    user.is_active = False
    security.end_all_sessions(user.id, now=now)
    audit.record("pii.erased", user_id=by_user_id, organization_id=org.id, target=f"user:{user.id}")
    return user
