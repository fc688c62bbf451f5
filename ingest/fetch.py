"""Fetching a feed's bytes: conditional GET over HTTP, or a read from local disk.

Every failure is a :class:`contract.FeedError` naming the feed; ``transient`` says whether a
later attempt may succeed soon (timeouts, connection errors, 5xx, 429) or not (4xx, too large,
refused), ``status`` and ``retry_after`` carry what the server said. The HTTP client is the
caller's: newsmon passes one that refuses private addresses on every hop
(``newsmon.http_client``), whose refusals arrive here as :class:`contract.BlockedAddress`.
"""

import asyncio
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from contract import BlockedAddress, FeedError, UnsupportedScheme
from ingest.archive import Exchange
from ingest.decompress import ACCEPT_ENCODING, InflateError, Inflater
from ingest.feeds_file import FeedSpec

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
log = logging.getLogger(__name__)

HTML_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})


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
        url: the URL that answered, after every redirect.
    """

    status: int
    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str | None = None
    moved_to: str | None = None
    url: str | None = None

    @property
    def not_modified(self) -> bool:
        """True when the feed is unchanged since the validators sent."""
        return self.status == 304


class Archive(Protocol):
    """Where every response with a body goes (``ingest.archive.WarcArchive``)."""

    def write(self, exchange: Exchange) -> None: ...


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
    max_redirects: int = 5,
    archive: Archive | None = None,
) -> FetchResult:
    """Fetch ``feed`` unless it is unchanged since ``etag`` / ``last_modified``.

    Redirects are followed here, hop by hop, so a message names the hop that failed (a refused
    address, an unsupported scheme) and a leading run of 301/308 is known as a move. The body is
    decompressed here too, within ``max_bytes`` however it was compressed.

    Args:
        client: the HTTP client (its headers and address guard apply; its own redirect
            following is not used).
        feed: the feed to fetch.
        url: where to fetch it from, if it moved (default: ``feed.url``).
        etag: the ETag of the last fetch, sent as ``If-None-Match``.
        last_modified: the Last-Modified of the last fetch, sent as ``If-Modified-Since``.
        max_bytes: the largest body accepted (after decompression).
        timeout: seconds for the whole fetch, redirects and body included.
        max_redirects: redirects followed before giving up.
        archive: gets every response with a body (not the local files).

    Raises:
        FeedError: the feed could not be fetched; ``transient`` says whether to retry soon.
    """
    url = url or feed.url
    if is_local(url):
        return await asyncio.to_thread(_read_local, feed, url, etag, last_modified, max_bytes)
    return await fetch_http(
        client,
        feed.name,
        url,
        accept=ACCEPT,
        etag=etag,
        last_modified=last_modified,
        max_bytes=max_bytes,
        timeout=timeout,
        max_redirects=max_redirects,
        archive=archive,
    )


async def fetch_http(
    client: httpx.AsyncClient,
    name: str,
    url: str,
    *,
    accept: str,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 5_000_000,
    timeout: float = 20.0,
    max_redirects: int = 5,
    archive: Archive | None = None,
) -> FetchResult:
    """GET ``url`` over HTTP(S), following redirects hop by hop, within ``timeout`` and
    ``max_bytes``: feeds and article pages alike.

    Args:
        name: who the fetch is for, named in errors (a feed's name).

    Raises:
        FeedError: naming ``name`` and the hop; ``kind`` says what failed.
    """
    hop = url
    try:
        async with asyncio.timeout(timeout):
            moved: str | None = None
            permanent = True
            for _ in range(max_redirects + 1):
                result, target = await _get(
                    client, name, hop, accept, etag, last_modified, max_bytes, archive
                )
                if target is None:
                    result.moved_to = moved
                    result.url = hop
                    return result
                permanent = permanent and result.status in PERMANENT_REDIRECTS
                moved = target if permanent else moved
                hop = target
            raise FeedError(
                name,
                f"too many redirects (more than {max_redirects}) from {url}",
                transient=False,
                kind="redirects",
            )
    except (TimeoutError, httpx.TimeoutException) as exc:
        raise FeedError(
            name, f"timed out after {timeout:g}s fetching {url}", kind="timeout"
        ) from exc
    except BlockedAddress as exc:
        raise FeedError(name, f"refused {hop}: {exc}", transient=False, kind="refused") from exc
    except UnsupportedScheme as exc:  # the client's own check of a redirect
        raise FeedError(name, str(exc), transient=False, kind="refused") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        # the hop's own URL was checked before its request: httpx refused where it redirects
        what = "invalid URL" if hop == url and not _valid(url) else "invalid redirect from"
        raise FeedError(name, f"{what} {hop}: {exc}", transient=False, kind="redirects") from exc
    except httpx.HTTPError as exc:
        detail = str(exc).strip()
        raise FeedError(
            name,
            f"connection failed fetching {hop}" + (f": {detail}" if detail else ""),
            kind="network",
        ) from exc


async def _get(
    client: httpx.AsyncClient,
    name: str,
    url: str,
    accept: str,
    etag: str | None,
    last_modified: str | None,
    max_bytes: int,
    archive: Archive | None,
) -> tuple[FetchResult, str | None]:
    """One request: its result, and where it redirects to (None when it does not)."""
    headers = {"Accept": accept, "Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with client.stream("GET", url, headers=headers, follow_redirects=False) as response:
        status = response.status_code
        new_etag = response.headers.get("ETag")
        new_modified = response.headers.get("Last-Modified")
        if status in REDIRECTS and "Location" in response.headers:
            return FetchResult(status, None, None, None), _redirect_target(name, response)
        if status == 304:
            return FetchResult(304, None, new_etag or etag, new_modified or last_modified), None
        if status >= 400:
            raise _status_error(name, response)
        if status != 200:
            raise FeedError(
                name, f"unexpected HTTP {status} from {response.url}", transient=False, kind="http"
            )
        body = await _read_body(name, response, max_bytes)
    if archive is not None:  # gzip and a flush: not on the event loop
        try:
            await asyncio.to_thread(archive.write, exchange(response, body))
        except (OSError, ValueError) as exc:  # the fetch still counts; the gap is said loudly
            log.error("archive: the response from %s was not kept: %s", response.url, exc)
    content_type = response.headers.get("Content-Type")
    return FetchResult(status, body, new_etag, new_modified, content_type), None


def exchange(response: httpx.Response, body: bytes) -> Exchange:
    """A response as the archive keeps it: the request as sent, the payload decoded."""
    request = response.request
    version = response.http_version or "HTTP/1.1"
    return Exchange(
        url=str(request.url),
        method=request.method,
        request_headers=[
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
        ],
        status=response.status_code,
        reason=_phrase(response.status_code) or "Unknown",
        http_version=version,
        response_headers=[
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
        ],
        body=body,
        fetched_at=datetime.now(UTC),
        ip_address=_peer(response),
    )


def _peer(response: httpx.Response) -> str | None:
    """The address the response came from, when the transport says."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    try:
        address = stream.get_extra_info("server_addr")
    except Exception:  # a transport without the extra info; the record goes without it
        return None
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        return address[0]
    return None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase  # the server's own phrase is not trusted
    except ValueError:
        return ""


def _redirect_target(name: str, response: httpx.Response) -> str:
    location = response.headers["Location"].strip()
    try:
        target = response.url.join(location)
    except httpx.InvalidURL as exc:
        raise FeedError(
            name,
            f"invalid redirect from {response.url} to {printable_url(location)}: {exc}",
            transient=False,
            kind="redirects",
        ) from exc
    if target.scheme not in ("http", "https"):
        raise FeedError(
            name,
            f"unsupported URL scheme {target.scheme!r} in {printable_url(location)}",
            transient=False,
            kind="refused",
        )
    return str(target)


def _valid(url: str) -> bool:
    try:
        httpx.URL(url)
    except httpx.InvalidURL:
        return False
    return True


def printable_url(url: str, limit: int = 200) -> str:
    """A URL from a server, for a message: cut to ``limit`` characters."""
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _status_error(name: str, response: httpx.Response) -> FeedError:
    status = response.status_code
    phrase = _phrase(status)
    return FeedError(
        name,
        f"HTTP {status}{' ' + phrase if phrase else ''} from {response.url}",
        transient=status >= 500 or status in (408, 429),
        status=status,
        retry_after=retry_after(response.headers.get("Retry-After")),
        kind="http",
    )


async def _read_body(name: str, response: httpx.Response, max_bytes: int) -> bytes:
    """The body, decompressed, refused as soon as it would pass ``max_bytes``."""
    encodings = [
        e.strip().lower()
        for e in response.headers.get("Content-Encoding", "").split(",")
        if e.strip().lower() not in ("", "identity")
    ]
    if not encodings:
        length = response.headers.get("Content-Length", "")
        if length.isdigit():
            _check_size(name, int(length), max_bytes)
    try:
        layers = [Inflater(e, max_bytes) for e in reversed(encodings)]
    except ValueError as exc:
        raise FeedError(
            name, f"{exc} from {response.url}", transient=False, kind="encoding"
        ) from exc
    chunks: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            for layer in layers:
                raw = layer.feed(raw)
            size += len(raw)
            _check_size(name, size, max_bytes)
            chunks.append(raw)
    except OverflowError:
        _check_size(name, max_bytes + 1, max_bytes)
    except InflateError as exc:
        raise FeedError(
            name,
            f"cannot decompress the {', '.join(encodings)} body from {response.url}: {exc}",
            transient=False,
            kind="encoding",
        ) from exc
    return b"".join(chunks)


def _check_size(name: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FeedError(
            name, f"body larger than {max_bytes} bytes", transient=False, kind="too-large"
        )


def local_path(url: str) -> Path:
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
    path = local_path(url)
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
            feed.name,
            f"cannot read {path}: {exc.strerror or exc}",
            transient=False,
            kind="unreadable",
        ) from exc
    _check_size(feed.name, len(body), max_bytes)
    return FetchResult(200, body, new_etag, new_modified)
