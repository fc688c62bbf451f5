"""The poller: a source that yields each feed's new articles, leaving publishing to the caller.

Every feed is scheduled on its own: a feed is polled again when it is due, whatever the others
are doing, so a slow or hostile feed holds one of ``concurrency`` slots for at most its budget
(fetch timeout + parse budget) and never delays the rest.

State advances only when the caller says the articles were published (:meth:`Poller.commit`):
until then the next poll sends the old validators and emits the same articles again.

What the servers say is honoured: ``Retry-After`` (capped), 429 for every feed of that host,
404/410 and other lasting errors back off for hours rather than minutes, 410 disables the feed,
and a 301/308 moves it.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx

from contract import Article, FeedError
from ingest.feeds_file import FeedSpec
from ingest.fetch import Archive, fetch_feed
from ingest.isolation import FeedParser
from ingest.normalize import content_hash
from ingest.state import FeedState, FeedStateStore

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon)"
BatchStatus = Literal["ok", "not_modified", "failed", "disabled"]
RESCHEDULE_EVERY = 60.0
"""Seconds between looks at the schedule when nothing is due sooner (a feed enabled again by
``newsmon feeds enable`` is noticed then)."""


@dataclass(frozen=True)
class PollPolicy:
    """Limits and backoff rules of polling.

    Attributes:
        max_bytes: the largest feed body accepted (after decompression).
        timeout: seconds for one fetch, body included.
        concurrency: feeds fetched and parsed at once.
        max_backoff: longest wait after repeated transient errors (timeouts, 5xx), which
            start at twice the feed's interval.
        error_backoff: first wait after a lasting error (404, 403, not a feed, over budget,
            refused address); doubles up to ``max_error_backoff``.
        max_error_backoff: longest wait after repeated lasting errors.
        max_retry_after: the longest ``Retry-After`` obeyed.
        disable_gone: a 410 Gone disables the feed until ``newsmon feeds enable``.
        max_redirects: redirects followed per fetch.
    """

    max_bytes: int = 5_000_000
    timeout: float = 20.0
    concurrency: int = 8
    max_backoff: float = 3600.0
    error_backoff: float = 6 * 3600.0
    max_error_backoff: float = 7 * 86400.0
    max_retry_after: float = 6 * 3600.0
    disable_gone: bool = True
    max_redirects: int = 5

    def delay(self, feed: FeedSpec, failures: int, error: FeedError) -> float:
        """Seconds until the next attempt after ``failures`` consecutive failures."""
        if error.transient:
            wait = min(feed.interval * 2.0 ** min(failures, 32), self.max_backoff)
        else:
            wait = min(max(self.error_backoff, feed.interval) * 2.0 ** min(failures - 1, 32),
                       self.max_error_backoff)  # fmt: skip
        if error.retry_after is not None:
            wait = max(wait, min(error.retry_after, self.max_retry_after))
        return wait


@dataclass(frozen=True)
class FeedBatch:
    """The outcome of polling one feed.

    Attributes:
        feed: the feed polled.
        status: ``ok`` (fetched and parsed), ``not_modified``, ``failed`` or ``disabled``.
        articles: the articles not yet committed for this feed: new ones, and new versions
            (``updated_at`` set) of ones whose content changed.
        state: the state to commit once ``articles`` are published.
        error: why the poll failed, naming the feed.
        entry_errors: a message per skipped entry (the first few).
        issues: entries skipped or repaired in this poll, per reason.
        notes: what was off with the feed as a whole (its encoding, lenient XML, ...).
        seen: (article id, content hash) to record once published.
        duration_ms: how long the fetch and parse took (0 for a disabled feed).
    """

    feed: FeedSpec
    status: BatchStatus
    articles: list[Article] = field(default_factory=list)
    state: FeedState = field(default_factory=FeedState)
    error: str | None = None
    entry_errors: list[str] = field(default_factory=list)
    issues: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def updated(self) -> int:
        """How many of ``articles`` are new versions of articles published before."""
        return sum(1 for a in self.articles if a.updated_at is not None)


class Poller:
    """Polls feeds concurrently, each on its own schedule, and yields a :class:`FeedBatch` per
    poll as each completes.

    Args:
        feeds: the feeds to poll.
        store: their state.
        http: makes the HTTP client used for a run (newsmon passes one that refuses private
            addresses on every hop).
        parser: turns bytes into articles (newsmon's parses in worker processes, under a
            time and memory budget).
        policy: limits and backoff rules.
        archive: keeps every feed response with a body (WARC), if given.
    """

    def __init__(
        self,
        feeds: list[FeedSpec],
        store: FeedStateStore,
        http: Callable[[], httpx.AsyncClient],
        parser: FeedParser,
        policy: PollPolicy | None = None,
        archive: Archive | None = None,
    ) -> None:
        self.archive = archive
        self.feeds = list(feeds)
        self.store = store
        self.http = http
        self.parser = parser
        self.policy = policy or PollPolicy()
        # When each feed is due in this process; the store holds only committed schedules.
        self._due: dict[str, float] = {}

    def next_due(self, busy: frozenset[str] = frozenset()) -> float:
        """The UTC epoch at which the next feed not in ``busy`` is due (``inf`` if none)."""
        return min((self._due_at(f) for f in self.feeds if f.url not in busy), default=math.inf)

    async def poll_once(self, due_only: bool = True) -> AsyncIterator[FeedBatch]:
        """Poll every (due) feed once, concurrently; yield one batch per feed as each
        completes."""
        async with self.http() as client:
            async for batch in self._schedule(client, "due" if due_only else "all", None):
                yield batch

    async def run(
        self, once: bool = False, stop: asyncio.Event | None = None
    ) -> AsyncIterator[FeedBatch]:
        """Poll until ``stop`` is set, each feed whenever it is due.

        Args:
            once: poll every feed once, due or not, and return.
            stop: set it to end the loop; polls in progress are abandoned (their state is not
                advanced, so nothing is lost).
        """
        async with self.http() as client:
            async for batch in self._schedule(client, "all" if once else "forever", stop):
                yield batch

    async def _schedule(
        self,
        client: httpx.AsyncClient,
        mode: Literal["all", "due", "forever"],
        stop: asyncio.Event | None,
    ) -> AsyncIterator[FeedBatch]:
        semaphore = asyncio.Semaphore(self.policy.concurrency)
        running: dict[asyncio.Task[FeedBatch], str] = {}
        started: set[str] = set()
        stopped = asyncio.ensure_future((stop or asyncio.Event()).wait())
        try:
            while not stopped.done():
                now = time.time()
                busy = frozenset(running.values())
                for feed in self.feeds:
                    if feed.url in busy or (mode != "forever" and feed.url in started):
                        continue
                    if mode != "all" and self._due_at(feed) > now:
                        continue
                    started.add(feed.url)
                    running[asyncio.create_task(self._poll(client, feed, semaphore))] = feed.url
                if mode != "forever" and not running:
                    return
                wait = None
                if mode == "forever":
                    due = self.next_due(frozenset(running.values()))
                    wait = min(max(due - time.time(), 0.0), RESCHEDULE_EVERY)
                done, _ = await asyncio.wait(
                    {*running, stopped}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                for finished in [t for t in running if t in done]:
                    del running[finished]
                    yield finished.result()
        finally:  # stopped, or the caller stopped early: do not leave fetches running
            stopped.cancel()
            for pending in running:
                pending.cancel()
            await asyncio.gather(*running, stopped, return_exceptions=True)

    def commit(self, batch: FeedBatch) -> None:
        """Persist ``batch.state`` and what was published; call after the broker acknowledged
        the articles.

        Failed batches were recorded when they happened, so committing one does nothing.
        """
        if batch.status in ("failed", "disabled"):
            return
        self.store.commit(batch.feed.url, batch.state, batch.seen)

    def _due_at(self, feed: FeedSpec) -> float:
        due = self._due.get(feed.url)
        if due is None or math.isinf(due):  # a disabled feed may have been enabled since
            state = self.store.get(feed.url)
            due = self._due[feed.url] = math.inf if state.disabled else state.next_due
        return due

    async def _poll(
        self, client: httpx.AsyncClient, feed: FeedSpec, semaphore: asyncio.Semaphore
    ) -> FeedBatch:
        state = self.store.get(feed.url)
        if state.disabled:
            self._due[feed.url] = math.inf
            return FeedBatch(feed, "disabled", [], state, f"feed {feed.name!r}: {state.disabled}")
        async with semaphore:
            started = time.monotonic()
            try:
                batch = await self._fetch_and_parse(client, feed, state)
            except FeedError as exc:
                batch = self._failed(feed, state, exc)
            except Exception as exc:  # one broken feed must not stop the others
                log.exception("feed %r: unexpected error", feed.name)
                batch = self._failed(feed, state, FeedError(feed.name, f"{exc!r}", transient=False))
            return replace(batch, duration_ms=(time.monotonic() - started) * 1000)

    async def _fetch_and_parse(
        self, client: httpx.AsyncClient, feed: FeedSpec, state: FeedState
    ) -> FeedBatch:
        result = await fetch_feed(
            client,
            feed,
            url=state.fetch_url,
            etag=state.etag,
            last_modified=state.last_modified,
            max_bytes=self.policy.max_bytes,
            timeout=self.policy.timeout,
            max_redirects=self.policy.max_redirects,
            archive=self.archive,
        )
        fetched_at = datetime.now(UTC)
        now = fetched_at.timestamp()
        moved = state.fetch_url
        if result.moved_to and result.moved_to != (state.fetch_url or feed.url):
            log.warning("feed %r moved permanently to %s", feed.name, result.moved_to)
            moved = None if result.moved_to == feed.url else result.moved_to
        new_state = replace(
            state,
            etag=result.etag,
            last_modified=result.last_modified,
            next_due=now + feed.interval,
            failures=0,
            last_error=None,
            last_ok=now,
            name=feed.name,
            fetch_url=moved,
            last_status="not_modified",
            last_poll=now,
        )
        self._due[feed.url] = new_state.next_due
        if result.not_modified or result.body is None:
            return FeedBatch(feed, "not_modified", [], new_state)
        parsed = await self.parser(result.body, feed, fetched_at, result.content_type)
        known = self.store.seen_hashes(feed.url, (a.id for a in parsed.articles))
        articles: list[Article] = []
        seen: list[tuple[str, str | None]] = []
        for article in parsed.articles:
            digest = content_hash(article)
            if article.id not in known:
                articles.append(article)
            elif known[article.id] not in (None, digest):  # the feed corrected it
                articles.append(article.model_copy(update={"updated_at": fetched_at}))
            elif known[article.id] == digest:
                continue
            seen.append((article.id, digest))  # a hash for rows from before hashes too
        new_state = replace(
            new_state,
            articles=state.articles + len(articles),
            issues=dict(parsed.issues),
            notes=tuple(parsed.notes),
            last_status="ok",
        )
        return FeedBatch(
            feed, "ok", articles, new_state, None, parsed.errors, parsed.issues, parsed.notes, seen
        )

    def _failed(self, feed: FeedSpec, state: FeedState, error: FeedError) -> FeedBatch:
        now = time.time()
        failures = state.failures + 1
        message = str(error)
        if error.retry_after is not None and error.status in (429, 503):
            message += f"; retry after {min(error.retry_after, self.policy.max_retry_after):.0f}s"
        disabled = None
        if error.status == 410 and self.policy.disable_gone:
            message += "; feed disabled"
            disabled = f"HTTP 410 Gone since {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        delay = self.policy.delay(feed, failures, error)
        next_due = now + delay
        log.warning("%s; next attempt in %.0fs", message, delay)
        self.store.record_failure(feed.url, message, next_due, name=feed.name, disabled=disabled)
        self._due[feed.url] = math.inf if disabled else next_due
        if error.status == 429:
            self._hold_host(feed, next_due)
        failed = replace(
            state,
            next_due=next_due,
            failures=failures,
            last_error=message,
            name=feed.name,
            disabled=disabled,
            last_status="disabled" if disabled else "failed",
            last_poll=now,
        )
        return FeedBatch(feed, "disabled" if disabled else "failed", [], failed, message)

    def _hold_host(self, throttled: FeedSpec, until: float) -> None:
        """A 429 is about the host: every feed there waits as long as the one that got it."""
        host = _host(throttled.url)
        for feed in self.feeds:
            if feed.url != throttled.url and _host(feed.url) == host:
                self._due[feed.url] = max(self._due_at(feed), until)
                self.store.defer(feed.url, until)


def _host(url: str) -> str:
    with contextlib.suppress(ValueError):
        return urlsplit(url).netloc.lower()
    return url
