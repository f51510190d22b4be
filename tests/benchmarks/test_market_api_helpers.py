"""The benchmark's own helpers: summary arithmetic, the HTTP client, the request mix.

The benchmark is a script, not a test; these keep its pure parts honest so a refactor cannot
quietly make it measure something else. No timing is asserted.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from benchmarks.common import percentile
from benchmarks.loadgen import (
    TRANSPORT_ERROR,
    Connection,
    Request,
    Sample,
    encode,
    format_summary,
    parse_head,
    poisson_arrivals,
    run_closed,
    run_open,
    summarise,
)
from benchmarks.market_api import (
    INCREMENT_FEN,
    MIX,
    REFUSED,
    Buyer,
    Workload,
    choose_kind,
    next_bid,
    search_params,
)
from marketplace.lots.schemas import LotSearchArgs
from marketplace.trading.schemas import BidCreateSchema


def test_percentile_interpolates_like_numpy() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == pytest.approx(50.5)
    assert percentile(values, 0.95) == pytest.approx(95.05)
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN: no answers, no figure


def test_summarise_counts_ok_refused_and_errors_apart() -> None:
    samples = [Sample("search", 0.0, 0.010 * (i + 1), 200) for i in range(10)]
    samples += [
        Sample("bid", 0.0, 0.020, 201),
        Sample("bid", 0.0, 0.030, 422),
        Sample("bid", 0.0, 0.040, 409),
        Sample("bid", 0.0, 0.050, 500),
        Sample("bid", 0.0, 9.000, TRANSPORT_ERROR),
    ]
    result = summarise(samples, 2.0, REFUSED)
    search, bid = result["search"], result["bid"]
    assert (search.requests, search.ok, search.refused, search.errors) == (10, 10, 0, 0)
    assert search.throughput == 5.0
    assert search.p50_ms == pytest.approx(55.0)
    assert (bid.requests, bid.ok, bid.refused, bid.errors) == (5, 1, 2, 2)
    assert bid.p99_ms < 51  # a failed connection has no latency to count
    line = format_summary(bid, show_refused=True)
    assert "errors 2" in line
    assert "accepted 1, refused 2" in line


def test_a_refusal_status_is_an_error_where_it_is_not_a_rule() -> None:
    result = summarise([Sample("search", 0.0, 0.01, 422)], 1.0, REFUSED)
    assert result["search"].errors == 1


def test_encode_and_parse_head() -> None:
    raw = encode("POST", "/api/v1/lots/7/bids", {"Authorization": "Bearer x"}, b'{"a": 1}')
    assert raw.startswith(b"POST /api/v1/lots/7/bids HTTP/1.1\r\n")
    assert b"Content-Length: 8\r\n\r\n{" in raw
    assert parse_head(b"HTTP/1.1 201 CREATED\r\nContent-Length: 12\r\nServer: x") == (
        201,
        12,
        True,
    )
    assert parse_head(b"HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0") == (
        200,
        0,
        False,
    )
    assert parse_head(b"HTTP/1.0 500 oops") == (500, None, False)
    with pytest.raises(ValueError, match="not an HTTP response"):
        parse_head(b"SSH-2.0-OpenSSH")
    with pytest.raises(ValueError, match="chunked"):
        parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked")


class _Echo(BaseHTTPRequestHandler):
    """Answers with the path and body; closes the connection when the path says so."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.dumps({"path": self.path, "body": self.rfile.read(length).decode()}).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Length", str(len(body)))
        if "close" in self.path:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1", server.server_port
    server.shutdown()
    server.server_close()
    thread.join()


def test_connection_keeps_alive_and_reopens_after_close(echo: tuple[str, int]) -> None:
    conn = Connection(*echo)
    try:
        status, body = conn.send(encode("GET", "/a", {}))
        assert (status, json.loads(body)["path"]) == (200, "/a")
        kept = conn.sock
        assert kept is not None
        conn.send(encode("GET", "/b", {}))
        assert conn.sock is kept  # one connection for both
        status, body = conn.send(encode("POST", "/close", {}, b"payload"))
        assert (status, json.loads(body)["body"]) == (201, "payload")
        assert conn.sock is None
        assert conn.send(encode("GET", "/again", {}))[0] == 200
    finally:
        conn.close()


def test_closed_and_open_loops_record_what_they_sent(echo: tuple[str, int]) -> None:
    seen: list[int] = []

    def make(rng: random.Random) -> Request:
        return Request("echo", encode("GET", f"/{rng.randint(0, 9)}", {}))

    def observe(req: Request, status: int, body: bytes) -> None:
        seen.append(status)

    closed = run_closed(echo, make, observe, clients=3, seconds=0.2)
    assert closed
    assert {s.status for s in closed} == {200}
    assert all(s.end >= s.start for s in closed)
    opened = run_open(echo, make, observe, clients=3, seconds=0.2, rate=100, seed=3)
    assert len(opened) == len(poisson_arrivals(100, 0.2, random.Random(3)))
    assert len(seen) >= len(closed) + len(opened)


def test_poisson_arrivals_have_the_asked_rate() -> None:
    arrivals = poisson_arrivals(200, 50, random.Random(1))
    assert arrivals == sorted(arrivals)
    assert arrivals[0] >= 0
    assert arrivals[-1] < 50
    assert len(arrivals) == pytest.approx(10_000, rel=0.05)


def test_every_search_the_mix_makes_is_a_valid_query() -> None:
    rng = random.Random(5)
    schema = LotSearchArgs()
    kinds = Counter()
    for _ in range(500):
        params = search_params(rng, site_id=42)
        loaded = schema.load(params)
        kinds[loaded["sort"]] += 1
        if loaded["sort"] == "distance":
            assert loaded["site_id"] == 42
            assert loaded["radius_km"] in (20, 50, 80)
    assert {"distance", "price", "-price", "newest"} <= set(kinds)


def test_bids_go_above_the_standing_price_in_whole_yuan() -> None:
    rng = random.Random(2)
    for _ in range(200):
        amount, ceiling = next_bid(150_000, rng)
        assert amount >= 150_000 + INCREMENT_FEN
        assert amount % 100 == 0
        assert ceiling is None or ceiling > amount


def test_the_mix_follows_its_weights() -> None:
    rng = random.Random(3)
    counts = Counter(choose_kind(rng) for _ in range(20_000))
    total = sum(MIX.values())
    for kind, weight in MIX.items():
        assert counts[kind] / 20_000 == pytest.approx(weight / total, abs=0.02)


def test_workload_bids_are_valid_and_learn_from_the_answers() -> None:
    buyers = [Buyer(org_id=i, site_id=100 + i, token=f"hl_token{i}") for i in range(3)]
    work = Workload(buyers, lot_ids=[1, 2, 3], auctions={2: 100_000, 3: 200_000}, hot=[2])
    rng = random.Random(4)
    req = work.bid(rng)
    head, _, body = req.raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /api/v1/lots/2/bids HTTP/1.1")
    assert b"Idempotency-Key: " in head
    assert b"Authorization: Bearer hl_token" in head
    loaded = BidCreateSchema().load(json.loads(body))
    lot, amount = req.meta
    assert (lot, int(loaded["amount_yuan_per_t"] * 100)) == (2, amount)
    work.observe(req, 422, b"")
    assert work.book[2] == 100_000 + INCREMENT_FEN
    work.observe(req, 201, b"")
    assert work.book[2] == amount
    work.observe(req, 409, b"")
    assert work.book[2] == amount
    search = work.search(rng)
    path = search.raw.split(b" ")[1].decode()
    assert path.startswith("/api/v1/lots?")
    LotSearchArgs().load(dict(parse_qsl(path.split("?", 1)[1])))
    assert work.detail(rng).raw.split(b" ")[1] in (
        b"/api/v1/lots/1",
        b"/api/v1/lots/2",
        b"/api/v1/lots/3",
    )
    assert b"Authorization" not in work.trivial(rng).raw
