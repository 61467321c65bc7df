"""No internal fetches (issue 23, finding 1): every connection of the HTTP client goes to a
checked public address, whatever the spelling of the host, after every redirect hop, and to
the address that was checked; only the hosts the config names as sources are exempt.

Everything here stays on loopback: the "internal" targets are replay servers on 127.0.0.1
that must see no request at all, and the private ranges are refused before any connect."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import httpcore
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seascout.core.config import Config, Settings
from spiders.address_guard import trusted_origins, why_not_public
from spiders.crawl import make_http_client
from spiders.http import FetchError, HttpClient, OfflineError, RefusedAddressError, RetryPolicy
from testing.replay import ReplayServer, Reply

FAST = RetryPolicy(max_attempts=1)
NON_PUBLIC_V4 = ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                 "169.254.0.0/16", "0.0.0.0/8", "100.64.0.0/10", "224.0.0.0/4", "240.0.0.0/4",
                 "192.0.0.0/24", "198.18.0.0/15")


@pytest.fixture(scope="module")
def internal() -> Iterator[ReplayServer]:
    """An 'internal admin' service on this machine: it must never be asked anything."""
    with ReplayServer() as srv:
        srv.add("/internal-admin", Reply.text("secret"))
        yield srv


def spellings(n: int) -> list[str]:
    """Ways to write the IPv4 address `n` in a URL's host that the OS reads as that address."""
    a, b, c, d = n.to_bytes(4, "big")
    return [f"{a}.{b}.{c}.{d}", str(n), hex(n), "0" + oct(n)[2:], f"{a}.{b}.{(c << 8) | d}",
            f"{a}.{(b << 16) | (c << 8) | d}", f"{a:#x}.{b:#x}.{c:#x}.{d:#x}",
            f"0{a:o}.0{b:o}.0{c:o}.0{d:o}", f"[::ffff:{a}.{b}.{c}.{d}]",
            f"[::ffff:{(a << 8) | b:x}:{(c << 8) | d:x}]", f"[2002:{(a << 8) | b:x}:{(c << 8) | d:x}::1]"]


addresses = st.sampled_from(NON_PUBLIC_V4).flatmap(
    lambda net: st.integers(int(ipaddress.ip_network(net).network_address),
                            int(ipaddress.ip_network(net).broadcast_address)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=addresses, pick=st.integers(0, 10))
def test_no_spelling_of_a_non_public_address_is_fetched(internal: ReplayServer, n: int,
                                                        pick: int) -> None:
    host = spellings(n)[pick]
    port = internal.base_url.rsplit(":", 1)[1]
    url = f"http://{host}:{port}/internal-admin"
    before = len(internal.hits())
    with HttpClient(user_agent="t", retry=FAST, timeout=2.0, connect_timeout=1.0) as http:
        assert http.refusal(url), url
        with pytest.raises(FetchError, match=r"refused: .* is a .*address|not a valid URL"):
            http.get(url)  # (httpx itself rejects some spellings, e.g. '0177.00.00.01')
    assert len(internal.hits()) == before


@pytest.mark.parametrize("host", ["[::1]", "[::]", "[fe80::1]", "[fc00::7]", "[ff02::1]",
                                  "localhost", "127.0.0.1", "[::ffff:7f00:1]"])
def test_ipv6_and_names_of_this_machine_are_refused(internal: ReplayServer, host: str) -> None:
    port = internal.base_url.rsplit(":", 1)[1]
    with HttpClient(user_agent="t", retry=FAST) as http, pytest.raises(RefusedAddressError):
        http.get(f"http://{host}:{port}/internal-admin")
    assert not internal.hits()


def test_a_dns_name_pointing_at_this_machine_is_refused(internal: ReplayServer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    port = int(internal.base_url.rsplit(":", 1)[1])
    real = socket.getaddrinfo

    def dns(host, *args, **kwargs):  # type: ignore[no-untyped-def]  # a localtest.me-style name
        if host == "admin.localtest.example":
            if kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
                raise socket.gaierror(socket.EAI_NONAME, "not numeric")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with HttpClient(user_agent="t", retry=FAST) as http, \
            pytest.raises(RefusedAddressError, match=r"admin.localtest.example \(127.0.0.1\)"):
        http.get(f"http://admin.localtest.example:{port}/internal-admin")
    assert not internal.hits()


def test_the_connection_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """The name is resolved once and the socket opened to that address: a second DNS answer
    (rebinding to 127.0.0.1) is never asked for."""
    answers = iter(["93.184.215.14", "127.0.0.1"])
    real = socket.getaddrinfo
    opened: list[str] = []

    def dns(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "rebind.example":
            if kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
                raise socket.gaierror(socket.EAI_NONAME, "not numeric")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), 80))]
        return real(host, *args, **kwargs)

    def connect(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(host)
        raise httpcore.ConnectError("connection refused (no network in tests)")

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    with HttpClient(user_agent="t", retry=FAST) as http, pytest.raises(OfflineError):
        http.get("http://rebind.example/page")
    assert opened == ["93.184.215.14"]


def test_a_redirect_hop_to_this_machine_is_refused(internal: ReplayServer) -> None:
    with ReplayServer() as source:  # the configured source redirects into the machine
        source.add("/img.png", Reply.raw(b"", "text/plain", status=302,
                                         Location=internal.url("/internal-admin")))
        trusted = trusted_origins([source.base_url])
        with HttpClient(user_agent="t", retry=FAST, trusted=trusted) as http, \
                pytest.raises(RefusedAddressError):
            http.get(source.url("/img.png"))
        assert [h.path for h in source.hits()] == ["/img.png"]
    assert not internal.hits()


def test_hosts_the_config_names_are_the_only_exception(internal: ReplayServer,
                                                       tmp_path: object) -> None:
    with ReplayServer() as source:
        source.add("/works", Reply.json({"status": "ok"}))
        cfg = Config.model_validate({"sources": {"crossref": {"base_url": source.base_url}}})
        settings_ = Settings(config=cfg, home=tmp_path, root=tmp_path, config_path=None)  # type: ignore[arg-type]
        with make_http_client(settings_, retry=FAST) as http:
            assert http.get(source.url("/works")).status == 200
            with pytest.raises(RefusedAddressError):
                http.get(internal.url("/internal-admin"))
    assert not internal.hits()


@pytest.mark.parametrize("text,why", [("8.8.8.8", None), ("2606:4700::1111", None),
                                      ("::ffff:10.1.2.3", "private"), ("2002:a9fe:a9fe::", "link-local"),
                                      ("100.64.0.1", "non-public"), ("239.1.1.1", "multicast")])
def test_address_classes(text: str, why: str | None) -> None:
    assert why_not_public(ipaddress.ip_address(text)) == why


def test_news_feeds_and_added_pages_do_not_follow_redirects_inside(internal: ReplayServer) -> None:
    """`seascout add URL` and the configured news feeds trust the host they name; a redirect
    from there into this machine is refused, one line, nothing asked of the target."""
    from spiders.news.feeds import FeedError, fetch_feed
    from spiders.news.manual import FetchError as AddError
    from spiders.news.manual import fetch_page

    with ReplayServer() as named:
        named.add("/robots.txt", Reply.text("User-agent: *\nAllow: /\n"))
        named.add("/feed.xml", Reply.raw(b"", "text/plain", status=302,
                                         Location=internal.url("/internal-admin")))
        named.add("/a.html", Reply.raw(b"", "text/plain", status=302,
                                       Location=internal.url("/internal-admin")))
        with pytest.raises(FeedError, match=r"refused: .*loopback"):
            fetch_feed(named.url("/feed.xml"), user_agent="t", max_bytes=100_000)
        with pytest.raises(AddError, match=r"refused: .*loopback"):
            fetch_page(named.url("/a.html"), user_agent="t", max_bytes=100_000)
    assert not internal.hits()
