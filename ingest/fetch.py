"""Fetching a feed's bytes: conditional GET over HTTP, or a read from local disk.

Every failure is a :class:`contract.FeedError` naming the feed; ``transient`` says whether a
later attempt may succeed (timeouts, connection errors, 5xx, 429) or not (4xx, too large).
"""

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from contract import FeedError
from ingest.feeds_file import FeedSpec

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)


@dataclass
class FetchResult:
    """The outcome of one fetch.

    Attributes:
        status: the HTTP status (200, or 304 when unchanged; local files use the same codes).
        body: the bytes, or None when not modified.
        etag: the validator to send next time as ``If-None-Match``.
        last_modified: the validator to send next time as ``If-Modified-Since``.
    """

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        """True when the feed is unchanged since the validators sent."""
        return self.status == 304


def is_local(url: str) -> bool:
    """True for ``file://`` URLs and plain paths (read from disk, not over HTTP)."""
    scheme = urlsplit(url).scheme.lower()
    return scheme == "file" or len(scheme) <= 1


async def fetch_feed(
    client: httpx.AsyncClient,
    feed: FeedSpec,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 5_000_000,
    timeout: float = 20.0,
) -> FetchResult:
    """Fetch ``feed`` unless it is unchanged since ``etag`` / ``last_modified``.

    Args:
        client: the HTTP client (its headers, e.g. User-Agent, are sent).
        feed: the feed to fetch.
        etag: the ETag of the last fetch, sent as ``If-None-Match``.
        last_modified: the Last-Modified of the last fetch, sent as ``If-Modified-Since``.
        max_bytes: the largest body accepted (after decompression).
        timeout: seconds for the whole fetch, body included.

    Raises:
        FeedError: the feed could not be fetched; ``transient`` says whether to retry.
    """
    if is_local(feed.url):
        return await asyncio.to_thread(_read_local, feed, etag, last_modified, max_bytes)
    try:
        async with asyncio.timeout(timeout):
            return await _get(client, feed, etag, last_modified, max_bytes, timeout)
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise FeedError(feed.name, f"timed out after {timeout:g}s fetching {feed.url}") from exc
    except httpx.TooManyRedirects as exc:
        raise FeedError(feed.name, f"too many redirects: {exc}", transient=False) from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.DecodingError) as exc:
        raise FeedError(feed.name, f"{type(exc).__name__}: {exc}", transient=False) from exc
    except httpx.HTTPError as exc:
        raise FeedError(feed.name, f"{type(exc).__name__}: {exc or 'connection failed'}") from exc


async def _get(
    client: httpx.AsyncClient,
    feed: FeedSpec,
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
        "GET", feed.url, headers=headers, follow_redirects=True, timeout=timeout
    ) as response:
        status = response.status_code
        new_etag = response.headers.get("ETag")
        new_modified = response.headers.get("Last-Modified")
        if status == 304:
            return FetchResult(304, None, new_etag or etag, new_modified or last_modified)
        if status >= 400:
            transient = status >= 500 or status == 429
            raise FeedError(
                feed.name,
                f"HTTP {status} {response.reason_phrase} from {response.url}",
                transient=transient,
            )
        if status != 200:
            raise FeedError(
                feed.name,
                f"unexpected HTTP {status} from {response.url}",
                transient=False,
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
    return FetchResult(status, b"".join(chunks), new_etag, new_modified)


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
    feed: FeedSpec, etag: str | None, last_modified: str | None, max_bytes: int
) -> FetchResult:
    """Read a local feed; mtime and size stand in for HTTP's validators."""
    path = _local_path(feed.url)
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
