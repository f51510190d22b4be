"""E-mail over SMTP: plain text in the recipient's language, with the link into the platform.

Settings come from configuration (SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM,
SMTP_STARTTLS); without SMTP_HOST no e-mail is written at all (see `services.publish`).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage as MimeMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from flask_babel import force_locale

from core.models import User
from marketplace.notify.models import EmailMessage
from marketplace.notify.render import render

TIMEOUT_S = 15


class MailError(Exception):
    """Sending failed (unreachable server, refused recipient, …); the row is retried."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool
    base_url: str


def settings(config: Mapping[str, Any]) -> Settings:
    """SMTP settings from the app config; MailError when no host is configured."""
    host = config.get("SMTP_HOST") or ""
    if not host:
        raise MailError("SMTP_HOST is not configured")
    return Settings(
        host=host,
        port=int(config.get("SMTP_PORT") or 587),
        user=config.get("SMTP_USER") or "",
        password=config.get("SMTP_PASSWORD") or "",
        sender=config.get("SMTP_FROM") or "noreply@huanlian.invalid",
        starttls=bool(config.get("SMTP_STARTTLS", True)),
        base_url=str(config.get("PUBLIC_BASE_URL") or "").rstrip("/"),
    )


def compose(row: EmailMessage, user: User, base_url: str, sender: str) -> MimeMessage:
    """The message for one outbox row, written in the user's language."""
    from flask_babel import gettext

    note = row.notification
    with force_locale(user.locale or "zh"):
        text = render(note.message, note.params)
        subject = gettext("环链通知：%(event)s") % {"event": _subject_event(note.event)}
        lines = [gettext("%(name)s，您好：") % {"name": user.display_name}, "", text, ""]
        if note.link:
            lines += [gettext("查看详情：%(url)s") % {"url": base_url + note.link}, ""]
        lines += [
            "—",
            gettext("如不再接收邮件通知，请在通知设置中关闭：%(url)s")
            % {"url": base_url + "/settings/notifications"},
        ]
    msg = MimeMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = row.to_address
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    msg.set_content("\n".join(lines), charset="utf-8")
    return msg


def _subject_event(event: str) -> str:
    from flask_babel import gettext

    from marketplace.notify.events import EVENTS

    known = EVENTS.get(event)
    return gettext(known.label) if known else event


def send(config: Settings, message: MimeMessage) -> None:
    """Hand one message to the SMTP server; MailError for anything that went wrong."""
    try:
        with smtplib.SMTP(config.host, config.port, timeout=TIMEOUT_S) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.user:
                smtp.login(config.user, config.password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
