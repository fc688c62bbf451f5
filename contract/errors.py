"""Typed errors. The type decides the route: retry, dead-letter, or a clear message to the user."""

import ipaddress
from typing import Any


class NewsmonError(Exception):
    """Base class of every error newsmon raises on purpose.

    Errors cross process boundaries (a feed parsed in a worker process fails there), so they
    pickle by message and attributes rather than by their constructors' arguments.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls: type[NewsmonError], message: str, state: dict[str, Any]) -> NewsmonError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigError(NewsmonError):
    """Configuration is invalid (a settings value, a feeds file, a taxonomy file)."""


class ModelNotFoundError(ConfigError):
    """No spaCy model package could be loaded under any of the accepted names."""


class TransientError(NewsmonError):
    """A failure that may succeed later (network, broker, cluster busy): retry with backoff."""


class FeedError(NewsmonError):
    """A feed could not be fetched or parsed. Names the feed; the other feeds go on.

    Args:
        feed: the feed's name.
        reason: what went wrong, naming the URL where one is involved.
        transient: a later attempt may succeed soon (timeouts, 5xx, 429): a short backoff;
            otherwise (4xx, not a feed, over budget, refused) a long one.
        status: the HTTP status, when the server answered with an error.
        retry_after: seconds the server asked us to wait (``Retry-After``), if it did.
        kind: what failed, in one stable word, for flags and counts: ``timeout``,
            ``http`` (see ``status``), ``too-large``, ``refused``, ``redirects``,
            ``network``, ``encoding``, ``not-html``, ``unreadable``, ``budget``.
    """

    def __init__(
        self,
        feed: str,
        reason: str,
        *,
        transient: bool = True,
        status: int | None = None,
        retry_after: float | None = None,
        kind: str = "error",
    ) -> None:
        super().__init__(f"feed {feed!r}: {reason}")
        self.feed = feed
        self.reason = reason
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
        self.kind = kind


class PoisonMessage(NewsmonError):
    """A message that will never process: route it to the dead-letter topic, never retry.

    Args:
        reason: what is wrong, naming the field where one is at fault.
        payload: the original bytes, kept for the dead-letter envelope.
        field: the offending field, if one is to blame.
    """

    def __init__(self, reason: str, payload: bytes = b"", field: str | None = None) -> None:
        where = f" (field {field!r})" if field else ""
        super().__init__(f"{reason}{where}")
        self.reason = reason
        self.payload = payload
        self.field = field


class InvalidQuery(NewsmonError):
    """A subscription query Elasticsearch (or newsmon's field check) refuses.

    Args:
        query: the query as the user wrote it.
        reason: the parser's message, or which field is unknown.
    """

    def __init__(self, query: str, reason: str) -> None:
        super().__init__(f"invalid query {query!r}: {reason}")
        self.query = query
        self.reason = reason


class BlockedAddress(NewsmonError):
    """A URL's host is, or resolves to, an address newsmon does not fetch (SSRF guard).

    Args:
        host: the host as written in the URL.
        address: the address it is or resolved to.
        kind: what the address is ("loopback", "private", "cloud metadata", ...).
    """

    def __init__(self, host: str, address: str, kind: str) -> None:
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        what = f"{article} {kind} address (private networks are not fetched)"
        if _same_address(host, address):
            super().__init__(f"{address} is {what}")
        else:
            super().__init__(f"{host} resolves to {address}, {what}")
        self.host = host
        self.address = address
        self.kind = kind


class UnsupportedScheme(NewsmonError):
    """A URL (a redirect's target) that is not http or https: never fetched.

    Args:
        url: the URL as the server gave it.
        scheme: its scheme (``file``, ``data``, ``gopher``, ...).
    """

    def __init__(self, url: str, scheme: str) -> None:
        shown = url if len(url) <= 200 else url[:199] + "…"
        super().__init__(f"unsupported URL scheme {scheme!r} in {shown}")
        self.url = url
        self.scheme = scheme


def _same_address(host: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")) == ipaddress.ip_address(address)
    except ValueError:
        return False
