"""The guarded HTTP clients against real servers on 127.0.0.1: what is refused, what gets through.

Every test runs with the async and the sync client. Host names other than ``localhost`` are
resolved by an injected table, so a "public name pointing at a private address" needs no DNS.
"""

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpcore
import httpx
import pytest
from feedserver import FeedServer

from contract import AddressPolicy, BlockedAddress, UnsupportedScheme
from newsmon.http_client import (
    AsyncGuardedBackend,
    GuardedBackend,
    guarded_async_client,
    guarded_client,
)

Table = dict[str, list[str]]


class Fetch(Protocol):
    def __call__(
        self, policy: AddressPolicy, url: str, *, names: Table | None = None
    ) -> httpx.Response: ...


def _table_lookup(names: Table, calls: list[tuple[str, int]], host: str, port: int) -> list[str]:
    calls.append((host, port))
    if host not in names:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the test table")
    return names[host]


@pytest.fixture
def lookups() -> list[tuple[str, int]]:
    """The (host, port) pairs the injected resolver was asked about, in order."""
    return []


@pytest.fixture(params=["async", "sync"])
def fetch(request: pytest.FixtureRequest, lookups: list[tuple[str, int]]) -> Fetch:
    """GET one URL (following redirects) through the async or the sync guarded client."""

    def sync_get(policy: AddressPolicy, url: str, *, names: Table | None = None) -> httpx.Response:
        def lookup(host: str, port: int) -> list[str]:
            return _table_lookup(names or {}, lookups, host, port)

        with guarded_client(
            policy, timeout=5, follow_redirects=True, resolver=lookup if names else None
        ) as client:
            return client.get(url)

    def async_get(policy: AddressPolicy, url: str, *, names: Table | None = None) -> httpx.Response:
        async def lookup(host: str, port: int) -> list[str]:
            return _table_lookup(names or {}, lookups, host, port)

        async def go() -> httpx.Response:
            resolver = lookup if names else None
            async with guarded_async_client(policy, timeout=5, resolver=resolver) as client:
                return await client.get(url)

        return asyncio.run(go())

    return async_get if request.param == "async" else sync_get


@pytest.fixture
def secret_server() -> Iterator[FeedServer]:
    """A second loopback server, the target a redirect or a rebinding would aim at."""
    server = FeedServer()
    server.add("/secret", "the keys")
    yield server
    server.close()


def _port(server: FeedServer) -> int:
    return int(server.base.rsplit(":", 1)[1])


def test_loopback_literal_is_refused_by_default(fetch: Fetch, feed_server: FeedServer) -> None:
    url = feed_server.add("/", "hello")
    with pytest.raises(BlockedAddress) as refused:
        fetch(AddressPolicy(), url)
    assert str(refused.value) == (
        "127.0.0.1 is a loopback address (private networks are not fetched)"
    )
    assert not feed_server.requests


def test_localhost_is_refused_by_name(fetch: Fetch, feed_server: FeedServer) -> None:
    feed_server.add("/", "hello")
    with pytest.raises(BlockedAddress) as refused:
        fetch(AddressPolicy(), f"http://localhost:{_port(feed_server)}/")
    assert refused.value.host == "localhost"
    assert refused.value.address in {"127.0.0.1", "::1"}
    assert str(refused.value) == (
        f"localhost resolves to {refused.value.address}, a loopback address"
        " (private networks are not fetched)"
    )
    assert not feed_server.requests


def test_allow_private_fetches_loopback(fetch: Fetch, feed_server: FeedServer) -> None:
    feed_server.add("/", "hello")
    policy = AddressPolicy(allow_private=True)
    assert fetch(policy, feed_server.url("/")).text == "hello"
    assert fetch(policy, f"http://localhost:{_port(feed_server)}/").text == "hello"


def test_ip_port_entry_allows_that_server_only(
    fetch: Fetch, feed_server: FeedServer, secret_server: FeedServer
) -> None:
    feed_server.add("/", "hello")
    policy = AddressPolicy.from_settings(False, [f"127.0.0.1:{_port(feed_server)}"])
    assert fetch(policy, feed_server.url("/")).text == "hello"
    with pytest.raises(BlockedAddress, match=r"^127\.0\.0\.1 is a loopback address"):
        fetch(policy, secret_server.url("/secret"))
    assert not secret_server.requests


def test_name_entry_fetches_through_one_pinned_lookup(
    fetch: Fetch, feed_server: FeedServer, lookups: list[tuple[str, int]]
) -> None:
    feed_server.add("/", "hello")
    port = _port(feed_server)
    policy = AddressPolicy.from_settings(False, ["feeds.test"])
    response = fetch(policy, f"http://feeds.test:{port}/", names={"feeds.test": ["127.0.0.1"]})
    assert response.text == "hello"
    assert feed_server.request_headers["/"][0]["Host"] == f"feeds.test:{port}"
    assert lookups == [("feeds.test", port)]


def test_redirect_hop_to_a_private_address_is_refused(
    fetch: Fetch, feed_server: FeedServer, secret_server: FeedServer
) -> None:
    feed_server.add("/feed", status=302, headers={"Location": secret_server.url("/secret")})
    policy = AddressPolicy.from_settings(False, ["feeds.test"])
    url = f"http://feeds.test:{_port(feed_server)}/feed"
    with pytest.raises(BlockedAddress) as refused:
        fetch(policy, url, names={"feeds.test": ["127.0.0.1"]})
    assert str(refused.value).startswith("127.0.0.1 is a loopback address")
    assert feed_server.requests["/feed"] == 1
    assert not secret_server.requests


def test_redirect_hop_to_a_name_resolving_privately_is_refused(
    fetch: Fetch, feed_server: FeedServer, secret_server: FeedServer
) -> None:
    target = f"http://localhost:{_port(secret_server)}/secret"
    feed_server.add("/feed", status=301, headers={"Location": target})
    policy = AddressPolicy.from_settings(False, [f"127.0.0.1:{_port(feed_server)}"])
    with pytest.raises(BlockedAddress, match=r"^localhost resolves to "):
        fetch(policy, feed_server.url("/feed"))
    assert not secret_server.requests


def test_name_resolving_to_a_private_address_is_refused_before_connecting(fetch: Fetch) -> None:
    with pytest.raises(BlockedAddress) as refused:
        fetch(AddressPolicy(), "http://intranet.test/", names={"intranet.test": ["10.0.0.5"]})
    assert str(refused.value) == (
        "intranet.test resolves to 10.0.0.5, a private address (private networks are not fetched)"
    )


def test_one_refused_address_among_several_refuses_the_name(
    fetch: Fetch, feed_server: FeedServer
) -> None:
    feed_server.add("/", "hello")
    port = _port(feed_server)
    policy = AddressPolicy.from_settings(False, [f"127.0.0.1:{port}"])
    names = {"mixed.test": ["127.0.0.1", "169.254.169.254"]}
    with pytest.raises(BlockedAddress, match=r"169\.254\.169\.254, a cloud metadata address"):
        fetch(policy, f"http://mixed.test:{port}/", names=names)
    assert not feed_server.requests


def test_unresolvable_name_is_an_httpx_connect_error(fetch: Fetch) -> None:
    with pytest.raises(httpx.ConnectError, match="not in the test table"):
        fetch(AddressPolicy(), "http://nowhere.test/", names={"feeds.test": ["127.0.0.1"]})


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "127.1", "017700000001"])
def test_legacy_ipv4_spellings_are_refused_after_resolution(
    fetch: Fetch, feed_server: FeedServer, host: str
) -> None:
    feed_server.add("/", "hello")
    with pytest.raises(BlockedAddress) as refused:
        fetch(AddressPolicy(), f"http://{host}:{_port(feed_server)}/")
    assert str(refused.value).startswith(f"{host} resolves to 127.0.0.1, a loopback address")
    assert not feed_server.requests


def test_octal_dotted_quad_is_an_invalid_url(fetch: Fetch, feed_server: FeedServer) -> None:
    with pytest.raises(httpx.InvalidURL):
        fetch(AddressPolicy(), f"http://0177.0.0.1:{_port(feed_server)}/")
    assert not feed_server.requests


@pytest.mark.parametrize("host", ["[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"])
def test_ipv6_loopback_literals_are_refused(
    fetch: Fetch, feed_server: FeedServer, host: str
) -> None:
    with pytest.raises(BlockedAddress, match=r"^\S+ is a loopback address"):
        fetch(AddressPolicy(), f"http://{host}:{_port(feed_server)}/")
    assert not feed_server.requests


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml"])
def test_other_schemes_are_refused(fetch: Fetch, url: str) -> None:
    with pytest.raises(httpx.UnsupportedProtocol):
        fetch(AddressPolicy(allow_private=True), url)


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "data:text/html;base64,PGgxPg==",
        "gopher://127.0.0.1:70/",
        "javascript:x",
    ],
)
def test_redirect_to_another_scheme_is_refused(
    fetch: Fetch, feed_server: FeedServer, location: str
) -> None:
    """Refused by the client's response hook, naming the target, before httpx builds (or
    fails to build) the next request."""
    feed_server.add("/feed", status=302, headers={"Location": location})
    with pytest.raises(UnsupportedScheme) as caught:
        fetch(AddressPolicy(allow_private=True), feed_server.url("/feed"))
    scheme = location.split(":")[0]
    assert str(caught.value) == f"unsupported URL scheme {scheme!r} in {location}"


def test_sync_client_does_not_follow_redirects_by_default(
    feed_server: FeedServer, secret_server: FeedServer
) -> None:
    feed_server.add("/hook", status=302, headers={"Location": secret_server.url("/secret")})
    with guarded_client(AddressPolicy(allow_private=True), timeout=5, user_agent="nm/1") as client:
        response = client.get(feed_server.url("/hook"))
    assert response.status_code == 302
    assert feed_server.request_headers["/hook"][0]["User-Agent"] == "nm/1"
    assert not secret_server.requests


def test_unix_sockets_are_refused() -> None:
    with pytest.raises(httpcore.UnsupportedProtocol, match="Unix socket"):
        GuardedBackend(AddressPolicy(allow_private=True)).connect_unix_socket("/run/docker.sock")
    backend = AsyncGuardedBackend(AddressPolicy(allow_private=True))
    with pytest.raises(httpcore.UnsupportedProtocol, match="Unix socket"):
        asyncio.run(backend.connect_unix_socket("/run/docker.sock"))


KEEPALIVE = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]


def _check_socket(stream: httpcore.NetworkStream | httpcore.AsyncNetworkStream) -> None:
    sock = stream.get_extra_info("socket")
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert sock.getsockname()[0] == "127.0.0.1"
    assert sock.getpeername()[0] == "127.0.0.1"


def test_backends_pass_connect_options_through(feed_server: FeedServer) -> None:
    port = _port(feed_server)
    policy = AddressPolicy(allow_private=True)
    stream = GuardedBackend(policy, lambda host, port: ["127.0.0.1"]).connect_tcp(
        "feeds.test", port, timeout=2, local_address="127.0.0.1", socket_options=KEEPALIVE
    )
    _check_socket(stream)
    stream.close()

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    async def go() -> None:
        backend = AsyncGuardedBackend(policy, resolve)
        stream = await backend.connect_tcp(
            "feeds.test", port, timeout=2, local_address="127.0.0.1", socket_options=KEEPALIVE
        )
        _check_socket(stream)
        await stream.aclose()

    asyncio.run(go())


class TlsServer:
    """Accepts TLS handshakes on 127.0.0.1 and records the SNI name each client sent."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.server_names: list[str | None] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._context.sni_callback = self._record
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _record(self, sock: Any, name: str | None, context: ssl.SSLContext) -> None:
        self.server_names.append(name)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            with conn, contextlib.suppress(OSError):  # the client rejects the certificate
                self._context.wrap_socket(conn, server_side=True).close()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """A TLS server with a self-signed certificate for feeds.test (made with openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    request = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
    subject = "-subj /CN=feeds.test -addext subjectAltName=DNS:feeds.test"
    command = [
        "openssl",
        *request.split(),
        *subject.split(),
        "-keyout",
        str(key),
        "-out",
        str(cert),
    ]
    subprocess.run(command, check=True, capture_output=True)
    server = TlsServer(cert, key)
    yield server
    server.close()


def test_tls_keeps_the_host_name_for_sni_and_verification(
    fetch: Fetch, tls_server: TlsServer
) -> None:
    policy = AddressPolicy.from_settings(False, ["feeds.test"])
    url = f"https://feeds.test:{tls_server.port}/"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        fetch(policy, url, names={"feeds.test": ["127.0.0.1"]})
    assert tls_server.server_names[-1] == "feeds.test"
