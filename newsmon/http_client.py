"""HTTP clients that only connect to addresses the :class:`contract.AddressPolicy` allows.

The check sits in httpcore's network backend, the one place that sees every TCP connection:
the first request and every redirect hop. It resolves the host once, refuses if any of its
addresses is refused, then connects to those checked addresses themselves, so a DNS answer that
changes between the check and the connect (rebinding) cannot send the socket elsewhere. The URL
keeps its host name, so the Host header, TLS SNI and certificate verification are unchanged.

A refusal raises :class:`contract.BlockedAddress` out of ``client.get`` / ``client.send``
as is (httpx re-raises exceptions that are not httpcore's), so catch it next to
``httpx.HTTPError``, not inside it.
"""

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import TypedDict
from urllib.parse import urlsplit

import httpcore
import httpx
from pydantic import SecretStr

from contract import AddressPolicy, BlockedAddress, Subscription, UnsupportedScheme

Resolver = Callable[[str, int], list[str]]
AsyncResolver = Callable[[str, int], Awaitable[list[str]]]
SocketOptions = Iterable[httpcore.SOCKET_OPTION] | None


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to for a TCP connection, in the system's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve_async(host: str, port: int) -> list[str]:
    """:func:`resolve` on the running event loop (its executor), without blocking it."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _literal(host: str) -> list[str] | None:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return None


def _checked(policy: AddressPolicy, host: str, port: int, found: list[str]) -> list[str]:
    """The distinct addresses to try, once every one of them passed the policy."""
    addresses = list(dict.fromkeys(ipaddress.ip_address(text) for text in found))
    if not addresses:
        raise httpcore.ConnectError(f"{host} resolved to no address")
    for address in addresses:
        policy.check(host, port, address)
    return [str(address) for address in addresses]


def _unix_refused(path: str) -> httpcore.UnsupportedProtocol:
    return httpcore.UnsupportedProtocol(f"Unix socket {path!r} refused: only TCP is fetched")


class GuardedBackend(httpcore.NetworkBackend):
    """A sync network backend that connects only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy, resolver: Resolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or resolve
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.NetworkStream:
        found = _literal(host)
        if found is None:
            try:
                found = self._resolver(host, port)
            except OSError as exc:
                raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for address in _checked(self._policy, host, port, found):
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions = None
    ) -> httpcore.NetworkStream:
        raise _unix_refused(path)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    """The async twin of :class:`GuardedBackend`, for asyncio."""

    def __init__(self, policy: AddressPolicy, resolver: AsyncResolver | None = None) -> None:
        self._policy = policy
        self._resolver = resolver or resolve_async
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: SocketOptions = None,
    ) -> httpcore.AsyncNetworkStream:
        found = _literal(host)
        if found is None:
            try:
                found = await asyncio.wait_for(self._resolver(host, port), timeout)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
            except OSError as exc:
                raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for address in _checked(self._policy, host, port, found):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: SocketOptions = None
    ) -> httpcore.AsyncNetworkStream:
        raise _unix_refused(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PoolOptions(TypedDict):
    ssl_context: ssl.SSLContext
    max_connections: int | None
    max_keepalive_connections: int | None
    keepalive_expiry: float | None


def _pool_options() -> _PoolOptions:
    """What httpx's own transports give their pool by default (no env, default limits)."""
    limits = httpx.Limits()
    return _PoolOptions(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
    )


def _async_transport(backend: AsyncGuardedBackend) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx has no public way to hand httpcore a network backend: replace the transport's pool
    # (a private attribute, stable through httpx 0.2x) with the same pool on the guarded
    # backend. The transport still maps httpcore's errors to httpx's.
    transport._pool = httpcore.AsyncConnectionPool(network_backend=backend, **_pool_options())
    return transport


def _sync_transport(backend: GuardedBackend) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(trust_env=False)
    # Same pool swap as in _async_transport.
    transport._pool = httpcore.ConnectionPool(network_backend=backend, **_pool_options())
    return transport


def _check_redirect(response: httpx.Response) -> None:
    """A redirect may only lead to http or https: refused before httpx even builds the next
    request (which it does, eagerly, for ``data:`` or ``javascript:`` too)."""
    if not response.has_redirect_location:
        return
    location = response.headers["Location"].strip()
    scheme = urlsplit(location).scheme.lower() if ":" in location else ""
    if scheme and scheme not in ("http", "https") and not location.startswith("//"):
        raise UnsupportedScheme(location, scheme)


async def _check_redirect_async(response: httpx.Response) -> None:
    _check_redirect(response)


def _headers(user_agent: str | None) -> dict[str, str] | None:
    return None if user_agent is None else {"User-Agent": user_agent}


def guarded_async_client(
    policy: AddressPolicy,
    *,
    timeout: float,
    user_agent: str | None = None,
    max_redirects: int = 5,
    follow_redirects: bool = True,
    resolver: AsyncResolver | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` whose every connection (redirect hops too) passes ``policy``.

    ``trust_env=False``: an environment proxy (``HTTPS_PROXY`` ...) would make the socket
    connect to the proxy, which then reaches the real host unchecked, bypassing the pin.

    Args:
        policy: which addresses may be fetched.
        timeout: seconds for each of connect, read, write and pool acquisition.
        user_agent: the User-Agent header, if not httpx's.
        max_redirects: hops followed before ``httpx.TooManyRedirects``.
        follow_redirects: whether redirects are followed at all.
        resolver: ``async (host, port) -> addresses``; tests inject one, default is DNS.
    """
    return httpx.AsyncClient(
        transport=_async_transport(AsyncGuardedBackend(policy, resolver)),
        timeout=timeout,
        headers=_headers(user_agent),
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        trust_env=False,
        event_hooks={"response": [_check_redirect_async]},
    )


def guarded_client(
    policy: AddressPolicy,
    *,
    timeout: float,
    follow_redirects: bool = False,
    max_redirects: int = 5,
    user_agent: str | None = None,
    resolver: Resolver | None = None,
) -> httpx.Client:
    """The sync twin of :func:`guarded_async_client` (webhooks, Slack); same ``trust_env=False``.

    Redirects are not followed by default: a webhook answering 3xx is a misconfiguration.
    """
    return httpx.Client(
        transport=_sync_transport(GuardedBackend(policy, resolver)),
        timeout=timeout,
        headers=_headers(user_agent),
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        trust_env=False,
        event_hooks={"response": [_check_redirect]},
    )


def refused_target(url: str, policy: AddressPolicy) -> str | None:
    """Why ``url`` would be refused, judged without a DNS lookup (an IP literal, or
    ``localhost``): a clear error when a webhook is added rather than at its first alert.
    Names are checked again, resolved, on every connection."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return None
    host = parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    found = _literal(host) or (["127.0.0.1"] if host.lower().rstrip(".") == "localhost" else [])
    for text in found:
        try:
            policy.check(host, port, ipaddress.ip_address(text))
        except BlockedAddress as exc:
            return str(exc)
    return None


def refused_channel(subscription: Subscription, policy: AddressPolicy) -> str | None:
    """Why a webhook or Slack channel of ``subscription`` points where newsmon does not send
    (loopback, private networks, metadata services), or None."""
    for n, channel in enumerate(subscription.channels):
        url = getattr(channel, "url", None)
        text = url.get_secret_value() if isinstance(url, SecretStr) else url
        if isinstance(text, str) and (why := refused_target(text, policy)):
            return (
                f"channels.{n} ({channel.type}): {why}; set NEWSMON_ALLOW_PRIVATE_NETWORKS=true "
                "or add the host to NEWSMON_FETCH_ALLOW to allow it"
            )
    return None
