"""Outbound connections go to public addresses only (server-side request forgery guard).

A link in crawled text (an arXiv abstract's "Project page: http://169.254.169.254/…", a feed's
og:image, a redirect) must never make us fetch this machine or a private network. So every
TCP connection the HTTP client opens — pages, robots.txt, images, every redirect hop — goes
through `GuardedBackend`, which

- resolves the host with `socket.getaddrinfo` (which reads every spelling the OS accepts:
  `2130706433`, `127.1`, `0x7f000001`, `017700000001`, `[::ffff:127.0.0.1]`, a DNS name
  that points at 127.0.0.1),
- refuses the connection when *any* resolved address is loopback, private, link-local,
  reserved, multicast, unspecified or otherwise not globally routable (IPv4 inside IPv6 —
  mapped, 6to4, Teredo — is judged by the IPv4 address), and
- connects to the address it checked, so a second DNS answer cannot swap it (rebinding).

The one exception: hosts (host and port) the config itself names as sources — the API base
URLs, feed URLs, news start URLs, the arXiv HTML base. The offline demo and the tests point
those at loopback replay servers. A link found in crawled text never adds a host.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Container, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from spiders.deadline import DeadlineStream, bound

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}
# Not globally reachable, though this Python's `ipaddress` may not say so (IANA special-purpose
# registry: IETF protocol assignments).
SPECIAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("2001::/23"))
ONE = httpx.Limits(max_connections=1, max_keepalive_connections=1)  # the client's own limits


class AddressRefused(Exception):
    """A connection to a non-public address was refused before it was opened."""

    def __init__(self, host: str, address: str, why: str):
        self.host, self.address, self.why = host, address, why
        shown = host if host == address else f"{host} ({address})"
        super().__init__(f"{shown} is a {why} address")


def origin_of(url: str) -> tuple[str, int] | None:
    """(host, port) of an http(s) URL, host lower-case without brackets; None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return parts.hostname.lower(), port


def trusted_origins(urls: Iterable[str]) -> frozenset[tuple[str, int]]:
    """The (host, port) pairs of the given configured URLs (empty strings are skipped)."""
    return frozenset(o for o in (origin_of(u) for u in urls if u) if o is not None)


def why_not_public(address: Address) -> str | None:
    """Why an address must not be connected to (None: it is a public unicast address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (
            address.teredo[1] if address.teredo else None)
        if embedded is not None:
            return why_not_public(embedded)
    for why, flag in (("loopback", address.is_loopback), ("link-local", address.is_link_local),
                      ("multicast", address.is_multicast), ("unspecified", address.is_unspecified),
                      ("reserved", address.is_reserved), ("private", address.is_private)):
        if flag:
            return why
    if not address.is_global or any(address in net for net in SPECIAL
                                    if net.version == address.version):
        return "non-public"
    return None


def resolve_public(host: str, port: int) -> list[str]:
    """The host's addresses, every one checked. Raises `AddressRefused` when any is not
    public, `OSError` (socket.gaierror) when the name does not resolve."""
    try:  # a numeric spelling is read locally, without asking DNS
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # an IPv6 zone index is not part of it
        why = why_not_public(ipaddress.ip_address(text))
        if why:
            raise AddressRefused(host, text, why)
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OSError(f"{host} has no address")
    return addresses


def refusal(url: str, trusted: Container[tuple[str, int]]) -> str | None:
    """Why the URL's host may not be fetched (None: it may, or it does not resolve — the
    fetch then fails as offline)."""
    origin = origin_of(url)
    if origin is None or origin in trusted:
        return None
    try:
        resolve_public(*origin)
    except AddressRefused as e:
        return str(e)
    except (OSError, UnicodeError):
        return None
    return None


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting to checked public addresses only. Its streams
    keep the current request's wall-clock deadline (`spiders.deadline`)."""

    def __init__(self, trusted: Container[tuple[str, int]]):
        self.trusted = trusted

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        name = host.lower().strip("[]")
        if (name, port) in self.trusted:
            return DeadlineStream(super().connect_tcp(
                host, port, bound(timeout, httpcore.ConnectTimeout), local_address,
                socket_options))
        try:
            addresses = resolve_public(name, port)
        except (OSError, UnicodeError) as e:
            raise httpcore.ConnectError(f"{host}: {e}") from e
        error: Exception | None = None
        for address in addresses:  # the checked address, never the name again
            try:
                return DeadlineStream(super().connect_tcp(
                    address, port, bound(timeout, httpcore.ConnectTimeout), local_address,
                    socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        assert error is not None
        raise error


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport whose connections all go through `GuardedBackend`."""

    def __init__(self, trusted: Container[tuple[str, int]], *, limits: httpx.Limits = ONE):
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(trusted),
        )
