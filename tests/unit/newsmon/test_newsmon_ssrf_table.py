"""The issue's table of address forms, through the feed fetcher and newsmon's guarded client:
each refused by default with a per-feed message, before any connection; allowed by the
setting (fetched for real where the form reaches this machine's loopback server, judged by the
policy for the others, so no test traffic leaves 127.0.0.1).

Names are resolved by an injected table, as a DNS answer would resolve them.
"""

import asyncio
import ipaddress
import socket

import pytest
from feedserver import FeedServer, rss_xml

from contract import AddressPolicy, FeedError
from ingest import FeedSpec, fetch_feed
from newsmon.http_client import guarded_async_client

NAMES = {
    "loopback.example": ["127.0.0.1"],
    "ten.example": ["10.20.30.40"],
    "public.example": ["127.0.0.1"],  # only for the redirect case: allowed by name there
}

# (label, host as written in the URL, the address it is or resolves to, reaches loopback)
FORMS = [
    ("IPv4 loopback", "127.0.0.1", "127.0.0.1", True),
    ("IPv6 loopback", "[::1]", "::1", False),
    ("IPv4-mapped loopback", "[::ffff:127.0.0.1]", "::ffff:7f00:1", False),
    ("10/8", "10.1.2.3", "10.1.2.3", False),
    ("172.16/12", "172.20.0.5", "172.20.0.5", False),
    ("192.168/16", "192.168.1.1", "192.168.1.1", False),
    ("cloud metadata", "169.254.169.254", "169.254.169.254", False),
    ("CGNAT 100.64/10", "100.64.0.1", "100.64.0.1", False),
    ("unspecified", "0.0.0.0", "0.0.0.0", False),
    ("a name resolving to loopback", "loopback.example", "127.0.0.1", True),
    ("a name resolving to 10/8", "ten.example", "10.20.30.40", False),
    ("localhost", "localhost", None, True),
]


def _fetch(url: str, policy: AddressPolicy) -> bytes | None:
    async def resolve(host: str, port: int) -> list[str]:
        if host == "localhost":
            return [str(i[4][0]) for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        return NAMES[host]

    async def go() -> bytes | None:
        async with guarded_async_client(policy, timeout=5, resolver=resolve) as client:
            return (await fetch_feed(client, FeedSpec("table", url), timeout=5)).body

    return asyncio.run(go())


@pytest.mark.parametrize(("label", "host", "address", "loopback"), FORMS)
def test_refused_by_default_allowed_by_the_setting(
    feed_server: FeedServer, label: str, host: str, address: str | None, loopback: bool
) -> None:
    port = feed_server.base.rsplit(":", 1)[1]
    feed_server.add("/rss", rss_xml([]))
    url = f"http://{host}:{port}/rss"
    with pytest.raises(FeedError) as refused:
        _fetch(url, AddressPolicy())
    assert refused.value.reason.startswith(f"refused {url}: ")
    assert "(private networks are not fetched)" in refused.value.reason
    assert refused.value.transient is False
    assert feed_server.requests["/rss"] == 0
    allowed = AddressPolicy(allow_private=True)
    if loopback:
        assert _fetch(url, allowed) is not None
        assert feed_server.requests["/rss"] == 1
    else:
        assert address is not None
        assert allowed.refusal(host, int(port), ipaddress.ip_address(address)) is None


def test_a_public_url_redirecting_to_loopback_is_refused_at_that_hop(
    feed_server: FeedServer,
) -> None:
    """public.example is allowed by name (as a public site would be); it redirects to the
    loopback server's address, which is refused: nothing is fetched there."""
    secret = FeedServer()
    try:
        secret_url = secret.add("/secret", rss_xml([]))
        port = feed_server.base.rsplit(":", 1)[1]
        feed_server.add("/moved", b"", status=302, headers={"Location": secret_url})
        policy = AddressPolicy.from_settings(False, ["public.example"])
        with pytest.raises(FeedError) as refused:
            _fetch(f"http://public.example:{port}/moved", policy)
        assert refused.value.reason == (
            f"refused {secret_url}: 127.0.0.1 is a loopback address "
            "(private networks are not fetched)"
        )
        assert feed_server.requests["/moved"] == 1
        assert secret.requests["/secret"] == 0
    finally:
        secret.close()
