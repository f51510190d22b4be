"""One webhook POST to a checked address, with a timeout; what happened, never an exception.

http.client rather than a client library: we must connect to the address `addresses.check_url`
approved (not look the name up again), keep TLS verification against the host name, follow no
redirects (a 3xx could point inside our network) and read only a bounded reply.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from marketplace.notify.addresses import Target

RESPONSE_EXCERPT = 500
MAX_READ = 64 * 1024
USER_AGENT = "Huanlian-Webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: a status code, or an error; how long it took."""

    status_code: int | None
    error: str
    duration_ms: int
    response_excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(target: Target, body: bytes, headers: dict[str, str], timeout_s: float) -> Outcome:
    """POST `body` to the first reachable checked address of `target`."""
    started = time.monotonic()
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error = "no address"
    for address in target.addresses:
        conn = cls(address, target.host, target.port, timeout_s)
        try:
            conn.request(
                "POST",
                target.path,
                body=body,
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    "Content-Length": str(len(body)),
                },
            )
            response = conn.getresponse()
            excerpt = response.read(MAX_READ)[:RESPONSE_EXCERPT].decode("utf-8", "replace")
            return Outcome(response.status, "", _ms(started), excerpt)
        except TimeoutError:
            return Outcome(None, f"timeout after {timeout_s:g} s", _ms(started))
        except ConnectionRefusedError as exc:
            error = f"connection refused: {exc}"
        except ssl.SSLError as exc:
            return Outcome(None, f"TLS error: {exc}"[:300], _ms(started))
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            conn.close()
    return Outcome(None, error, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
