"""Where webhooks may go: HTTPS to public addresses, nothing inside our own network (SSRF).

A webhook makes our server send requests to a URL a customer chose, so a URL pointing at
127.0.0.1, the cloud metadata service (169.254.169.254) or a private network would let anyone
probe what only we can reach. The host is resolved and every address it resolves to must be
public (`ipaddress.is_global`), when the endpoint is registered and again before each request;
the request then connects to the checked address (no second lookup an attacker could rebind).

Exceptions are configuration, never input: `WEBHOOK_ALLOW_HTTP_LOOPBACK` admits loopback (HTTP
or HTTPS; used by the tests' local receivers), `WEBHOOK_ALLOWED_NETWORKS` admits listed networks
(e.g. a VPN to a factory's MES).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from core.errors import Invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
MAX_URL_LENGTH = 500


@dataclass(frozen=True)
class Policy:
    """What the platform's configuration admits beyond public HTTPS."""

    allow_loopback: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def from_config(cls, allow_loopback: bool, networks: Iterable[str] | str) -> Policy:
        """From the config keys; `networks` is a list or a comma-separated string of CIDRs."""
        if isinstance(networks, str):
            networks = [n for n in networks.split(",") if n.strip()]
        return cls(
            bool(allow_loopback),
            tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks),
        )


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect, and what to send as Host and TLS server name."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _address_allowed(address: IPAddress, policy: Policy) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    if address.is_loopback:
        return policy.allow_loopback
    if any(address in net for net in policy.allowed_networks):
        return True
    return address.is_global and not address.is_multicast


def _split(url: str) -> SplitResult:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise Invalid("回调地址长度应为1至%(n)d个字符", {"url": "length"}, n=MAX_URL_LENGTH)
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise Invalid("回调地址不能包含空白或控制字符", {"url": "whitespace"})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise Invalid("回调地址格式有误", {"url": "malformed"}) from None
    return parts


def check_url(url: str, policy: Policy, resolve: Resolver = system_resolver) -> Target:
    """Accept a webhook URL or raise Invalid naming `url` with the reason."""
    parts = _split(url)
    if parts.scheme not in ("https", "http"):
        raise Invalid("回调地址必须以 https:// 开头", {"url": "scheme must be https"})
    if parts.username is not None or parts.password is not None:
        raise Invalid("回调地址不能包含用户名或密码", {"url": "credentials in URL"})
    if parts.fragment:
        raise Invalid("回调地址不能包含 # 片段", {"url": "fragment"})
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Invalid("回调地址缺少主机名", {"url": "no host"})
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(resolve(host, port))
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise Invalid("无法解析回调地址的主机名", {"url": "host does not resolve"})
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if not _address_allowed(address, policy):
            raise Invalid(
                "回调地址指向内部或保留网络地址（%(address)s），不允许",
                {"url": "private or reserved address"},
                address=str(address),
            )
    loopback_only = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    if parts.scheme == "http" and not (policy.allow_loopback and loopback_only):
        raise Invalid("回调地址必须以 https:// 开头", {"url": "scheme must be https"})
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, tuple(addresses))
