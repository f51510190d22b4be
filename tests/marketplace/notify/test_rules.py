"""Pure rules: the signature scheme, the retry schedule, and which webhook URLs are refused."""

import hashlib
import hmac
import ipaddress
import random
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Invalid
from marketplace.notify import backoff, signing
from marketplace.notify.addresses import Policy, check_url
from marketplace.notify.events import EVENTS, require_known, subscribable

BODY = b'{"data":{"lot_id":12},"event":"trade.awarded"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    """The documented scheme, computed independently: hex HMAC-SHA256 over "<t>.<body>"."""
    expected = hmac.new(b"whsec_abc", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signing.signature("whsec_abc", 1700000000, BODY) == expected
    assert signing.header_value("whsec_abc", 1700000000, BODY) == f"t=1700000000,v1={expected}"


def test_verify_accepts_fresh_valid_signatures_only() -> None:
    header = signing.header_value("s3cret", 1_700_000_000, BODY)
    assert signing.verify("s3cret", header, BODY, now=1_700_000_100)
    assert not signing.verify("other", header, BODY, now=1_700_000_100)  # wrong secret
    assert not signing.verify("s3cret", header, BODY + b" ", now=1_700_000_100)  # body changed
    assert not signing.verify("s3cret", header, BODY, now=1_700_000_301)  # replayed too late
    assert not signing.verify("s3cret", "v1=abc", BODY, now=1_700_000_000)  # no timestamp
    assert not signing.verify("s3cret", "t=1700000000", BODY, now=1_700_000_000)  # no v1
    # a second v1 (e.g. while rotating) is enough when it matches
    good = signing.signature("s3cret", 1_700_000_000, BODY)
    assert signing.verify("s3cret", f"t=1700000000,v1=00ff,v1={good}", BODY, now=1_700_000_000)


def test_backoff_schedule_then_give_up() -> None:
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    rng = random.Random(7)
    expected = [60, 300, 1800, 7200, 43200]
    for failures, seconds in enumerate(expected, start=1):
        delay = (backoff.next_attempt(failures, now, rng) - now).total_seconds()
        assert seconds * 0.9 <= delay <= seconds * 1.1, (failures, delay)
    assert backoff.next_attempt(len(expected) + 1, now, rng) is None
    assert backoff.MAX_ATTEMPTS == 6
    with pytest.raises(ValueError, match="from 1"):
        backoff.next_attempt(0, now)


def test_backoff_jitter_spreads_retries() -> None:
    """Endpoints that failed together are not all retried in the same second."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    times = {backoff.next_attempt(3, now, random.Random(seed)) for seed in range(20)}
    assert len(times) == 20
    assert max(times) - min(times) > timedelta(minutes=1)


def test_events_are_one_closed_set() -> None:
    for name in ("bid.outbid", "trade.awarded", "deposit.held", "deposit.released"):
        assert name in EVENTS
    for name in ("pickup.scheduled", "dispute.opened", "trade.settled", "certificate.issued"):
        assert require_known(name).webhook
    assert "webhook.disabled" not in {e.name for e in subscribable()}
    with pytest.raises(ValueError, match="unknown notification event"):
        require_known("bid.outbidd")


PUBLIC = Policy()
TESTING = Policy(allow_loopback=True)


def test_public_https_is_accepted() -> None:
    target = check_url("https://93.184.216.34:8443/hooks/huanlian?k=1", PUBLIC)
    assert (target.host, target.port, target.path) == ("93.184.216.34", 8443, "/hooks/huanlian?k=1")
    assert target.addresses == ("93.184.216.34",)
    assert check_url("https://[2606:4700::1111]/h", PUBLIC).port == 443


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://93.184.216.34/hook", "scheme must be https"),
        ("ftp://93.184.216.34/hook", "scheme must be https"),
        ("https://127.0.0.1/hook", "private or reserved address"),
        ("https://localhost/hook", "private or reserved address"),  # resolved for real
        ("https://10.1.2.3/hook", "private or reserved address"),
        ("https://172.16.0.9/hook", "private or reserved address"),
        ("https://192.168.1.20/hook", "private or reserved address"),
        ("https://169.254.169.254/latest/meta-data", "private or reserved address"),
        ("https://100.64.0.1/hook", "private or reserved address"),  # carrier-grade NAT
        ("https://0.0.0.0/hook", "private or reserved address"),
        ("https://224.0.0.1/hook", "private or reserved address"),
        ("https://[::1]/hook", "private or reserved address"),
        ("https://[fd00::1]/hook", "private or reserved address"),
        ("https://[::ffff:10.0.0.1]/hook", "private or reserved address"),
        ("https://user:pw@93.184.216.34/hook", "credentials in URL"),
        ("https://93.184.216.34/hook#x", "fragment"),
        ("https:///hook", "no host"),
        ("https://no-such-host.invalid/hook", "host does not resolve"),
        ("https://93.184.216.34:99999/hook", "malformed"),
        ("https://93.184.216.34/a b", "whitespace"),
        ("", "length"),
        ("https://e.com/" + "a" * 500, "length"),
    ],
)
def test_refused_urls_name_the_url_field(url, why) -> None:
    with pytest.raises(Invalid) as info:
        check_url(url, PUBLIC)
    assert info.value.fields == {"url": why}
    assert info.value.status == 422


def test_loopback_only_when_configured_and_http_only_to_loopback() -> None:
    assert check_url("http://127.0.0.1:8081/hook", TESTING).scheme == "http"
    assert check_url("http://localhost:8081/hook", TESTING).addresses == ("127.0.0.1",)
    with pytest.raises(Invalid, match="https"):  # the flag opens loopback, not plain HTTP
        check_url("http://93.184.216.34/hook", TESTING)
    with pytest.raises(Invalid):  # nor other private networks
        check_url("https://10.0.0.5/hook", TESTING)


def test_allowed_networks_open_only_those_networks() -> None:
    policy = Policy.from_config(False, "10.20.0.0/16, 192.168.5.0/24")
    assert policy.allowed_networks == (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("192.168.5.0/24"),
    )
    assert check_url("https://10.20.3.4/mes", policy).host == "10.20.3.4"
    with pytest.raises(Invalid):
        check_url("https://10.21.0.1/mes", policy)
    with pytest.raises(Invalid):
        check_url("https://127.0.0.1/mes", policy)
