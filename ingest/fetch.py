"""Fetching a feed's bytes: conditional GET over HTTP, or a read from local disk.

Every failure is a :class:`contract.FeedError` naming the feed; ``transient`` says whether a
later attempt may succeed soon (timeouts, connection errors, 5xx, 429) or not (4xx, too large,
refused), ``status`` and ``retry_after`` carry what the server said. The HTTP client is the
caller's: newsmon passes one that refuses private addresses on every hop
(``newsmon.http_client``), whose refusals arrive here as :class:`contract.BlockedAddress`.
"""

import asyncio
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from contract import BlockedAddress, FeedError
from ingest.feeds_file import FeedSpec

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
PERMANENT_REDIRECTS = frozenset({301, 308})
_SCHEME = re.compile(r"protocol '([^':/]*)")


@dataclass
class FetchResult:
    """The outcome of one fetch.

    Attributes:
        status: the HTTP status (200, or 304 when unchanged; local files use the same codes).
        body: the bytes, or None when not modified.
        etag: the validator to send next time as ``If-None-Match``.
        last_modified: the validator to send next time as ``If-Modified-Since``.
        content_type: the response's ``Content-Type`` (its charset counts), if any.
        moved_to: where the feed moved for good: the URL after the leading 301/308 redirects,
            to fetch from now on (None when it did not move).
    """

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None = None
    moved_to: str | None = None

    @property
    def not_modified(self) -> bool:
        """True when the feed is unchanged since the validators sent."""
        return self.status == 304


def is_local(url: str) -> bool:
    """True for ``file://`` URLs and plain paths (read from disk, not over HTTP)."""
    scheme = urlsplit(url).scheme.lower()
    return scheme == "file" or len(scheme) <= 1


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number, or an HTTP date); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: FeedSpec,
    *,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 5_000_000,
    timeout: float = 20.0,
) -> FetchResult:
    """Fetch ``feed`` unless it is unchanged since ``etag`` / ``last_modified``.

    Args:
        client: the HTTP client (its headers, redirect limit and address guard apply).
        feed: the feed to fetch.
        url: where to fetch it from, if it moved (default: ``feed.url``).
        etag: the ETag of the last fetch, sent as ``If-None-Match``.
        last_modified: the Last-Modified of the last fetch, sent as ``If-Modified-Since``.
        max_bytes: the largest body accepted (after decompression).
        timeout: seconds for the whole fetch, body included.

    Raises:
        FeedError: the feed could not be fetched; ``transient`` says whether to retry soon.
    """
    url = url or feed.url
    if is_local(url):
        return await asyncio.to_thread(_read_local, feed, url, etag, last_modified, max_bytes)
    try:
        async with asyncio.timeout(timeout):
            return await _get(client, feed, url, etag, last_modified, max_bytes, timeout)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise FeedError(feed.name, f"timed out after {timeout:g}s fetching {url}") from exc
    except BlockedAddress as exc:
        raise FeedError(feed.name, f"refused {url}: {exc}", transient=False) from exc
    except httpx.TooManyRedirects as exc:
        limit = client.max_redirects
        raise FeedError(
            feed.name, f"too many redirects (more than {limit}) from {url}", transient=False
        ) from exc
    except httpx.UnsupportedProtocol as exc:
        found = _SCHEME.search(str(exc))
        scheme = found.group(1) if found else str(exc)
        raise FeedError(
            feed.name, f"unsupported URL scheme {scheme!r} in {url}", transient=False
        ) from exc
    except (httpx.InvalidURL, httpx.DecodingError) as exc:
        raise FeedError(feed.name, f"{type(exc).__name__}: {exc}", transient=False) from exc
    except httpx.HTTPError as exc:
        raise FeedError(feed.name, f"{type(exc).__name__}: {exc or 'connection failed'}") from exc


async def _get(
    client: httpx.AsyncClient,
    feed: FeedSpec,
    url: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    timeout: float,
) -> FetchResult:
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with client.stream(
        "GET", url, headers=headers, follow_redirects=True, timeout=timeout
    ) as response:
        status = response.status_code
        moved_to = _moved_to(response)
        new_etag = response.headers.get("ETag")
        new_modified = response.headers.get("Last-Modified")
        if status == 304:
            return FetchResult(
                304, None, new_etag or etag, new_modified or last_modified, moved_to=moved_to
            )
        if status >= 400:
            raise _status_error(feed, response)
        if status != 200:
            raise FeedError(
                feed.name, f"unexpected HTTP {status} from {response.url}", transient=False
            )
        length = response.headers.get("Content-Length", "")
        if "Content-Encoding" not in response.headers and length.isdigit():
            _check_size(feed, int(length), max_bytes)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            _check_size(feed, size, max_bytes)
            chunks.append(chunk)
    return FetchResult(
        status,
        b"".join(chunks),
        new_etag,
        new_modified,
        response.headers.get("Content-Type"),
        moved_to,
    )


def _status_error(feed: FeedSpec, response: httpx.Response) -> FeedError:
    status = response.status_code
    wait = retry_after(response.headers.get("Retry-After"))
    reason = f"HTTP {status} {response.reason_phrase} from {response.url}"
    if wait is not None and status in (429, 503):
        reason += f"; retry after {wait:.0f}s"
    return FeedError(
        feed.name,
        reason,
        transient=status >= 500 or status in (408, 429),
        status=status,
        retry_after=wait,
    )


def _moved_to(response: httpx.Response) -> str | None:
    """The URL after the leading run of permanent redirects (None if the first was not)."""
    moved = None
    hops = response.history
    for hop, after in zip(hops, [*hops[1:], response][: len(hops)], strict=True):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        moved = str(after.url)
    return moved


def _check_size(feed: FeedSpec, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FeedError(feed.name, f"body larger than {max_bytes} bytes", transient=False)


def _local_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            return Path(url2pathname(f"//{parts.netloc}{unquote(parts.path)}"))
        return Path(url2pathname(unquote(parts.path)))
    return Path(url).expanduser()


def _read_local(
    feed: FeedSpec, url: str, etag: str | None, last_modified: str | None, max_bytes: int
) -> FetchResult:
    """Read a local feed; mtime and size stand in for HTTP's validators."""
    path = _local_path(url)
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            new_etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
            new_modified = datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC).isoformat()
            unchanged = etag == new_etag if etag else last_modified == new_modified
            if unchanged:
                return FetchResult(304, None, new_etag, new_modified)
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        raise FeedError(
            feed.name, f"cannot read {path}: {exc.strerror or exc}", transient=False
        ) from exc
    _check_size(feed, len(body), max_bytes)
    return FetchResult(200, body, new_etag, new_modified)
