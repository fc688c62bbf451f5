"""Fetching an article's page, politely: robots.txt first, then at most ``host_concurrency``
requests in flight per host with starts ``host_delay`` apart, bounded retries of transient
failures, and the same address rules, size cap, timeout and redirect limit as feeds.

A failure is never an exception here: it is a :class:`Page` with ``failure`` set to a short
stable word (it becomes the article's flag ``fulltext-failed:<word>``) and a one-line message
naming the page, so the article goes on with its feed's text.
"""

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from contract import FeedError
from ingest.feeds_file import FeedSpec
from ingest.fetch import HTML_ACCEPT, Archive, FetchResult, fetch_http, is_local, local_path
from ingest.politeness import HostLimiter, host_of
from ingest.robots import RobotsCache

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
ROBOTS = "robots"
"""The failure of a page robots.txt disallows (flagged ``fulltext-robots``)."""


@dataclass(frozen=True)
class PagePolicy:
    """Limits of page fetching (see the ``page_*`` and ``host_*`` settings); ``concurrency`` is
    requests in flight over all hosts (each host has its own, smaller limit)."""

    timeout: float = 20.0
    concurrency: int = 8
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    retries: int = 2
    backoff: float = 2.0
    max_retry_after: float = 60.0


@dataclass(frozen=True)
class Page:
    """What fetching one article page gave.

    Attributes:
        url: the URL asked for (the article's).
        body: the page's bytes, when fetched.
        content_type: its ``Content-Type``.
        final_url: where it was found, after redirects.
        failure: why there is no page: ``robots``, ``timeout``, ``http-404``, ``not-html``,
            ``too-large``, ``refused``, ``network``, ...; None when fetched.
        message: one line naming the page and what happened.
        attempts: requests made (retries included).
        local: read from disk (a mirror, or a local feed's file), not over the network.
    """

    url: str
    body: bytes | None = None
    content_type: str | None = None
    final_url: str | None = None
    failure: str | None = None
    message: str = ""
    attempts: int = 0
    local: bool = False


def failure_word(error: FeedError) -> str:
    """The flag word of a fetch error: ``http-503``, ``timeout``, ``too-large``, ..."""
    if error.kind == "http" and error.status is not None:
        return f"http-{error.status}"
    return error.kind if error.kind != "error" else "fetch"


def mirror_path(mirror: str, url: str) -> Path:
    """The file a mirrored page lives in: the URL's path (no query), slashes stripped,
    ``.html`` added; never outside ``mirror``."""
    relative = unquote(urlsplit(url).path).strip("/") or "index"
    root = Path(mirror).resolve()
    candidate = (root / f"{relative}.html").resolve()
    if not candidate.is_relative_to(root):
        raise ValueError(f"{url} maps outside the mirror {root}")
    return candidate


def looks_like_html(body: bytes) -> bool:
    """A body with no Content-Type is taken for HTML when it starts like markup."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta"))


class PageFetcher:
    """Fetches article pages for one event loop (one full-text stage).

    Args:
        client: the HTTP client (newsmon's refuses internal addresses on every hop).
        robots: robots.txt rules per host.
        limiter: per-host politeness.
        policy: timeouts, size cap, retries.
        archive: keeps every response with a body (pages and robots.txt files).
        sleep: how to wait between retries (tests inject one).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        robots: RobotsCache,
        limiter: HostLimiter,
        policy: PagePolicy | None = None,
        archive: Archive | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.robots = robots
        self.limiter = limiter
        client.event_hooks["request"] = [*client.event_hooks["request"], self._sending]
        self.policy = policy or PagePolicy()
        self.archive = archive
        # Taken inside a host's slot, so pages waiting for a slow or strict host never hold
        # one of these while other hosts' pages could go.
        self._in_flight = asyncio.Semaphore(self.policy.concurrency)
        self.sleep = sleep

    async def fetch(self, url: str, feed: FeedSpec | None = None) -> Page:
        """The page behind ``url`` (an article of ``feed``, if known)."""
        if feed is not None and feed.mirror:
            return await asyncio.to_thread(self._read_mirror, url, feed.mirror)
        if is_local(url):
            return await asyncio.to_thread(self._read_local, url, feed)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            return Page(url, failure="refused", message=f"page {url}: unsupported URL scheme")
        verdict = await self.robots.verdict(url, self._fetch_robots)
        if not verdict.allowed:
            failure = "refused" if verdict.refused else ROBOTS
            return Page(url, failure=failure, message=f"page {url}: {verdict.reason}")
        host = host_of(url)
        if verdict.crawl_delay:
            self.limiter.slow_down(host, min(verdict.crawl_delay, self.policy.max_retry_after))
        return await self._fetch_with_retries(url, host)

    async def _sending(self, request: httpx.Request) -> None:
        self.limiter.sent(host_of(str(request.url)))

    async def _fetch_with_retries(self, url: str, host: str) -> Page:
        attempts = 0
        while True:
            attempts += 1
            try:
                async with self.limiter.slot(host), self._in_flight:
                    result = await self._get(url, HTML_ACCEPT)
            except FeedError as exc:
                word = failure_word(exc)
                if not exc.transient or attempts > self.policy.retries:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    where = "page" if url in exc.reason else f"page {url}:"
                    return Page(url, failure=word, message=f"{where} {exc.reason}{tries}",
                                attempts=attempts)  # fmt: skip
                wait = self.policy.backoff * 2 ** (attempts - 1)
                if exc.retry_after is not None:
                    wait = max(wait, min(exc.retry_after, self.policy.max_retry_after))
                    self.limiter.hold(host, wait)
                log.info("page %s: %s; retry %d in %.1fs", url, exc.reason, attempts, wait)
                await self.sleep(wait)
                continue
            return self._checked(url, result, attempts)

    def _checked(self, url: str, result: FetchResult, attempts: int) -> Page:
        body = result.body or b""
        content_type = result.content_type
        mime = (content_type or "").split(";", 1)[0].strip().lower()
        if (mime and mime not in HTML_TYPES) or (not mime and not looks_like_html(body)):
            return Page(
                url,
                failure="not-html",
                message=f"page {url}: not an HTML page ({mime or 'no Content-Type'})",
                attempts=attempts,
            )
        return Page(url, body, content_type, result.url or url, attempts=attempts)

    async def _get(self, url: str, accept: str, max_bytes: int | None = None) -> FetchResult:
        return await fetch_http(
            self.client,
            "page",
            url,
            accept=accept,
            max_bytes=max_bytes or self.policy.max_bytes,
            timeout=self.policy.timeout,
            max_redirects=self.policy.max_redirects,
            archive=self.archive,
        )

    async def _fetch_robots(self, url: str) -> tuple[int, bytes | None, str | None]:
        async with self.limiter.slot(host_of(url)):
            result = await self._get(url, "text/plain, */*;q=0.5", 512_000)
        return result.status, result.body, result.content_type

    def _read_mirror(self, url: str, mirror: str) -> Page:
        try:
            path = mirror_path(mirror, url)
        except ValueError as exc:
            return Page(url, failure="refused", message=f"page {exc}", local=True)
        return self._read_file(url, path, "http-404", f"no file {path} in the mirror")

    def _read_local(self, url: str, feed: FeedSpec | None) -> Page:
        """A local page is read only for a local feed, and only from the feed file's
        directory or below: a feed from the web never makes newsmon read a local file."""
        path = local_path(url).resolve()
        if feed is None or not is_local(feed.url):
            return Page(url, failure="refused",
                        message=f"page {url}: a local file linked from a feed that is not local",
                        local=True)  # fmt: skip
        folder = local_path(feed.url).resolve().parent
        if not path.is_relative_to(folder):
            return Page(url, failure="refused",
                        message=f"page {url}: outside the feed's directory {folder}",
                        local=True)  # fmt: skip
        return self._read_file(url, path, "http-404", f"no file {path}")

    def _read_file(self, url: str, path: Path, missing: str, why: str) -> Page:
        try:
            with path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > self.policy.max_bytes:
                    return Page(url, failure="too-large", local=True,
                                message=f"page {url}: {path} is larger than "
                                f"{self.policy.max_bytes} bytes")  # fmt: skip
                body = handle.read(self.policy.max_bytes + 1)
        except FileNotFoundError:
            return Page(url, failure=missing, message=f"page {url}: {why}", local=True)
        except OSError as exc:
            reason = exc.strerror or exc
            return Page(url, failure="unreadable", local=True,
                        message=f"page {url}: cannot read {path}: {reason}")  # fmt: skip
        content_type = "text/html" if path.suffix.lower() in (".html", ".htm") else None
        page = self._checked(url, FetchResult(200, body, None, None, content_type, None, url), 1)
        return replace(page, local=True)
