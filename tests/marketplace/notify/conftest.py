"""Real servers on loopback for the notification tests: an HTTP receiver that checks our
signatures the way a customer's ERP would, and an SMTP server (aiosmtpd) that keeps what it
receives. Webhooks to loopback are allowed here (WEBHOOK_ALLOW_HTTP_LOOPBACK), as in the brief.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from core.enums import OrgKind, Role
from marketplace.notify import signing
from tests.factories import bearer, make_org, make_user


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None
    at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1: answers `statuses` in turn (the last one repeats),
    `"hang"` never answers (until the test ends), and checks each signature when it knows
    the secret."""

    statuses: list[Any] = field(default_factory=lambda: [200])
    secret: str | None = None
    tolerance_s: int = signing.DEFAULT_TOLERANCE_S
    delay_s: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()

    def next_status(self) -> Any:
        with self.lock:
            n = len(self.requests)
        return self.statuses[min(n, len(self.statuses) - 1)]

    def record(self, item: Received) -> None:
        with self.lock:
            self.requests.append(item)


def start_receiver(receiver: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status = receiver.next_status()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            verified = None
            if receiver.secret is not None:
                verified = signing.verify(
                    receiver.secret,
                    self.headers.get(signing.HEADER, ""),
                    body,
                    now=int(time.time()),
                    tolerance_s=receiver.tolerance_s,
                )
            receiver.record(
                Received(self.path, dict(self.headers.items()), body, verified, time.time())
            )
            if status == "hang":
                receiver.release.wait(30)
                return
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            if verified is False:
                status = 400
            reply = b'{"ok": true}' if 200 <= status < 300 else b"receiver error"
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_port}/huanlian/webhook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver_factory():
    """`make(statuses=[500, 200], …)` → a running Receiver; all are stopped after the test."""
    servers: list[tuple[ThreadingHTTPServer, Receiver]] = []

    def make(**kwargs: Any) -> Receiver:
        receiver = Receiver(**kwargs)
        servers.append((start_receiver(receiver), receiver))
        return receiver

    yield make
    for server, receiver in servers:
        receiver.release.set()
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook_app(app):
    """The app as the tests configure it: loopback receivers allowed, a short timeout."""
    app.config.update(WEBHOOK_ALLOW_HTTP_LOOPBACK=True, WEBHOOK_TIMEOUT_S=1)
    return app


@pytest.fixture
def manager(app):
    """A recycler's manager with an API token."""
    user = make_user(make_org(OrgKind.RECYCLER), Role.MANAGER)
    user.headers = bearer(user)
    return user


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the SMTP server received: (envelope sender, recipients, parsed message)."""

    def __init__(self, fail_first: int = 0) -> None:
        self.messages: list[tuple[str, list[str], Any]] = []
        self.fail_first = fail_first
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 4.3.0 try again later"
        message = message_from_bytes(envelope.original_content, policy=default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real aiosmtpd server on loopback with AUTH (user `mailer`), configured into the app."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    mailbox = Mailbox()

    def authenticator(server, session, envelope, mechanism, auth_data):  # aiosmtpd's signature
        ok = (auth_data.login, auth_data.password) == (b"mailer", b"mail-secret")
        if ok:
            mailbox.logins.append((auth_data.login.decode(), mechanism))
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        SMTP_USER="mailer",
        SMTP_PASSWORD="mail-secret",
        SMTP_FROM="环链通知 <notify@huanlian.test>",
        SMTP_STARTTLS=False,
        PUBLIC_BASE_URL="https://huanlian.test",
    )
    mailbox.controller = controller
    yield mailbox
    controller.stop()
