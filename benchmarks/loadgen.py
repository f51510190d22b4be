"""A cheap HTTP load generator: client threads on raw sockets, closed or open loop, and the
summary of what they measured.

Cheap because it shares two cores with the server it loads: a request is a pre-encoded byte
string written to a socket, and a response is read by splitting the head once and taking
`Content-Length` bytes, with no header objects or JSON decoding unless the caller asks for the
body. Threads are enough since the GIL is released while a thread waits on its socket.

Two ways to load:
- closed loop (`run_closed`): each client sends its next request as soon as the last one is
  answered, so the server is saturated and the throughput is its capacity. Latency then is
  mostly waiting in the queue: by Little's law it is clients / throughput.
- open loop (`run_open`): requests arrive as a Poisson process at a fixed rate, whatever the
  server does; latency counts from the scheduled arrival, so a stalled server is charged for
  the requests it delayed (no coordinated omission). This is latency at a stated load.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from benchmarks.common import percentile

TRANSPORT_ERROR = 0  # the status recorded when the connection failed


@dataclass(frozen=True)
class Request:
    """One request ready to send; `meta` is what the caller needs to interpret the answer."""

    kind: str
    raw: bytes
    meta: object = None


def encode(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """An HTTP/1.1 request as bytes (Host is filled in by the connection)."""
    lines = [f"{method} {path} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n").encode() + b"\r\n" + body


def parse_head(head: bytes) -> tuple[int, int | None, bool]:
    """Status, Content-Length (None when absent) and whether the server keeps the connection,
    from a response head without its blank line."""
    status_line, _, rest = head.partition(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP response: {status_line[:80]!r}")
    length, keep = None, status_line.startswith(b"HTTP/1.1")
    for line in rest.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            keep = value.strip().lower() != b"close"
        elif name == b"transfer-encoding" and value.strip().lower() != b"identity":
            raise ValueError("chunked responses are not expected from this app")
    return int(parts[1]), length, keep


class Connection:
    """One client's connection, reopened whenever the server closes it (gunicorn's sync
    workers close after every response)."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.host_header = f"Host: {host}:{port}\r\n".encode()
        self.sock: socket.socket | None = None

    def _open(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def send(self, raw: bytes) -> tuple[int, bytes]:
        """Send a request made by `encode` and return (status, body)."""
        first_line, _, rest = raw.partition(b"\r\n")
        data = first_line + b"\r\n" + self.host_header + rest
        reused = self.sock is not None
        try:
            return self._exchange(data)
        except (ConnectionError, ValueError):
            self.close()
            if not reused:
                raise
            return self._exchange(data)  # the server closed an idle keep-alive connection

    def _exchange(self, data: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = self._open()
        sock = self.sock
        sock.sendall(data)
        buf = b""
        while (end := buf.find(b"\r\n\r\n")) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed before the response head")
            buf += chunk
        status, length, keep = parse_head(buf[:end])
        body = buf[end + 4 :]
        while length is None or len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                if length is None:
                    keep = False
                    break
                raise ConnectionError("closed inside the response body")
            body += chunk
        if not keep:
            self.close()
        return status, body

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


@dataclass(frozen=True)
class Sample:
    """One answered (or failed) request: seconds on the perf_counter clock."""

    kind: str
    start: float
    end: float
    status: int


@dataclass(frozen=True)
class Summary:
    """One endpoint's figures over a measured window."""

    kind: str
    requests: int
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ok: int
    refused: int
    errors: int


def summarise(
    samples: Iterable[Sample], seconds: float, refusable: dict[str, frozenset[int]] | None = None
) -> dict[str, Summary]:
    """Per kind: requests, throughput, latency percentiles over every answered request, and
    the answers counted as ok (2xx), refused (a status listed as a rule's refusal for that kind,
    e.g. 409/422 for bids) or errors (anything else: 5xx, unexpected 4xx, a failed connection)."""
    refusable = refusable or {}
    by_kind: dict[str, list[Sample]] = {}
    for s in samples:
        by_kind.setdefault(s.kind, []).append(s)
    result = {}
    for kind, group in by_kind.items():
        ok = sum(200 <= s.status < 300 for s in group)
        refused = sum(s.status in refusable.get(kind, frozenset()) for s in group)
        latencies = [(s.end - s.start) * 1000 for s in group if s.status != TRANSPORT_ERROR]
        result[kind] = Summary(
            kind=kind,
            requests=len(group),
            throughput=len(group) / seconds if seconds > 0 else 0.0,
            p50_ms=percentile(latencies, 0.50),
            p95_ms=percentile(latencies, 0.95),
            p99_ms=percentile(latencies, 0.99),
            ok=ok,
            refused=refused,
            errors=len(group) - ok - refused,
        )
    return result


def format_summary(s: Summary, *, show_refused: bool = False) -> str:
    """One printed line per endpoint."""
    line = (
        f"  {s.kind:9s} requests {s.requests:7d}   throughput {s.throughput:7.1f} req/s   "
        f"p50 {s.p50_ms:6.1f} ms   p95 {s.p95_ms:6.1f} ms   p99 {s.p99_ms:6.1f} ms   "
        f"errors {s.errors}"
    )
    if show_refused:
        line += f"   (accepted {s.ok}, refused {s.refused})"
    return line


def poisson_arrivals(rate: float, seconds: float, rng: random.Random) -> list[float]:
    """Arrival offsets (seconds from the start) of a Poisson process at `rate` per second."""
    times, t = [], rng.expovariate(rate)
    while t < seconds:
        times.append(t)
        t += rng.expovariate(rate)
    return times


Make = Callable[[random.Random], Request]
Observe = Callable[[Request, int, bytes], None]


def _client_rngs(clients: int, seed: int) -> list[random.Random]:
    return [random.Random(seed * 1000 + i) for i in range(clients)]


def run_closed(
    address: tuple[str, int],
    make: Make,
    observe: Observe,
    *,
    clients: int,
    seconds: float,
    seed: int = 1,
) -> list[Sample]:
    """Saturate: each client sends back to back for `seconds`; the samples are the requests
    answered inside the window."""
    t0 = time.perf_counter()
    t1 = t0 + seconds
    out: list[list[Sample]] = [[] for _ in range(clients)]

    def client(i: int, rng: random.Random) -> None:
        conn = Connection(*address)
        try:
            while (start := time.perf_counter()) < t1:
                req = make(rng)
                status, body = _send(conn, req)
                end = time.perf_counter()
                if end <= t1:
                    out[i].append(Sample(req.kind, start, end, status))
                observe(req, status, body)
        finally:
            conn.close()

    _run_threads(client, _client_rngs(clients, seed))
    return [s for group in out for s in group]


def run_open(
    address: tuple[str, int],
    make: Make,
    observe: Observe,
    *,
    clients: int,
    seconds: float,
    rate: float,
    seed: int = 1,
) -> list[Sample]:
    """Offer `rate` requests per second (Poisson) for `seconds` through `clients` connections;
    a request's latency runs from its scheduled arrival, so waiting for a free client counts."""
    arrivals = poisson_arrivals(rate, seconds, random.Random(seed))
    lock = threading.Lock()
    cursor = iter(arrivals)
    t0 = time.perf_counter() + 0.05
    out: list[list[Sample]] = [[] for _ in range(clients)]

    def client(i: int, rng: random.Random) -> None:
        conn = Connection(*address)
        try:
            while True:
                with lock:
                    offset = next(cursor, None)
                if offset is None:
                    return
                due = t0 + offset
                if (wait := due - time.perf_counter()) > 0:
                    time.sleep(wait)
                req = make(rng)
                status, body = _send(conn, req)
                out[i].append(Sample(req.kind, due, time.perf_counter(), status))
                observe(req, status, body)
        finally:
            conn.close()

    _run_threads(client, _client_rngs(clients, seed))
    return [s for group in out for s in group]


def _send(conn: Connection, req: Request) -> tuple[int, bytes]:
    try:
        return conn.send(req.raw)
    except (OSError, ValueError):
        conn.close()
        return TRANSPORT_ERROR, b""


def _run_threads(target: Callable[[int, random.Random], None], rngs: list[random.Random]) -> None:
    threads = [
        threading.Thread(target=target, args=(i, rng), daemon=True) for i, rng in enumerate(rngs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


class CpuMeter:
    """CPU used during a phase, in % of one core: this process (the load generator), named
    groups of other processes (the server's workers, its database backends), and the whole
    machine (which also counts anyone else's work on a shared machine)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups

    @staticmethod
    def _proc_ticks(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        return int(fields[11]) + int(fields[12])  # utime, stime

    @staticmethod
    def _machine_ticks() -> int:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values) - values[3] - values[4]  # all but idle and iowait

    def _sample(self) -> dict[str, dict[int, int]]:
        return {
            name: {pid: self._proc_ticks(pid) for pid in pids()}
            for name, pids in self.groups.items()
        }

    def __enter__(self) -> CpuMeter:
        self.wall = time.perf_counter()
        self.own = time.process_time()
        self.before = self._sample()
        self.machine = self._machine_ticks()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self.wall
        after = self._sample()
        self.client_pct = 100 * (time.process_time() - self.own) / wall
        self.group_pct = {
            name: 100
            * sum(t - self.before[name].get(pid, 0) for pid, t in ticks.items())
            / self.TICK
            / wall
            for name, ticks in after.items()
        }
        self.machine_pct = 100 * (self._machine_ticks() - self.machine) / self.TICK / wall

    def line(self) -> str:
        groups = "".join(f", {name} {pct:.0f}" for name, pct in self.group_pct.items())
        return (
            f"  cpu (% of one core): load generator {self.client_pct:.0f}{groups}, "
            f"whole machine {self.machine_pct:.0f} of {100 * (os.cpu_count() or 1)}"
        )
