"""The poller: a source that yields each feed's new articles, leaving publishing to the caller.

State advances only when the caller says the articles were published (:meth:`Poller.commit`):
until then the next poll sends the old validators and emits the same articles again.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import httpx

from contract import Article, FeedError
from ingest.feeds_file import FeedSpec
from ingest.fetch import fetch_feed
from ingest.normalize import parse_feed
from ingest.state import FeedState, FeedStateStore

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon)"
BatchStatus = Literal["ok", "not_modified", "failed"]


@dataclass(frozen=True)
class FeedBatch:
    """The outcome of polling one feed.

    Attributes:
        feed: the feed polled.
        status: ``ok`` (fetched and parsed), ``not_modified`` or ``failed``.
        articles: the articles not yet committed for this feed.
        state: the state to commit once ``articles`` are published.
        error: why the poll failed, naming the feed.
        entry_errors: entries skipped because they could not become articles.
    """

    feed: FeedSpec
    status: BatchStatus
    articles: list[Article] = field(default_factory=list)
    state: FeedState = field(default_factory=FeedState)
    error: str | None = None
    entry_errors: list[str] = field(default_factory=list)


class Poller:
    """Polls feeds concurrently and yields a :class:`FeedBatch` per feed as each completes."""

    def __init__(
        self,
        feeds: list[FeedSpec],
        store: FeedStateStore,
        *,
        max_bytes: int = 5_000_000,
        timeout: float = 20.0,
        concurrency: int = 8,
        max_backoff: float = 3600.0,
        user_agent: str = DEFAULT_USER_AGENT,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.feeds = list(feeds)
        self.store = store
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.concurrency = max(1, concurrency)
        self.max_backoff = max_backoff
        self.user_agent = user_agent
        self._client = client
        # When each feed is due in this process; the store holds only committed schedules.
        self._due: dict[str, float] = {}

    def next_due(self) -> float:
        """The UTC epoch at which the next feed is due (``inf`` without feeds)."""
        return min((self._due_at(feed) for feed in self.feeds), default=math.inf)

    async def poll_once(self, due_only: bool = True) -> AsyncIterator[FeedBatch]:
        """Fetch every (due) feed concurrently; yield one batch per feed as each completes."""
        async with self._http() as client:
            async for batch in self._poll_all(client, due_only):
                yield batch

    async def run(
        self, once: bool = False, stop: asyncio.Event | None = None
    ) -> AsyncIterator[FeedBatch]:
        """Poll forever, sleeping until the next feed is due or ``stop`` is set.

        Args:
            once: poll every feed once, due or not, and return.
            stop: set it to end the loop after the current batch.
        """
        stop = stop or asyncio.Event()
        async with self._http() as client:
            if once:
                async for batch in self._poll_all(client, due_only=False):
                    yield batch
                return
            while not stop.is_set():
                async for batch in self._poll_all(client, due_only=True):
                    yield batch
                    if stop.is_set():
                        return
                delay = self.next_due() - time.time()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        timeout = None if math.isinf(delay) else delay
                        await asyncio.wait_for(stop.wait(), timeout)

    async def _poll_all(
        self, client: httpx.AsyncClient, due_only: bool
    ) -> AsyncIterator[FeedBatch]:
        now = time.time()
        feeds = [f for f in self.feeds if not due_only or self._due_at(f) <= now]
        if not feeds:
            return
        semaphore = asyncio.Semaphore(self.concurrency)
        tasks = [asyncio.create_task(self._poll(client, f, semaphore)) for f in feeds]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:  # the caller may stop early: do not leave fetches running
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def commit(self, batch: FeedBatch) -> None:
        """Persist ``batch.state`` and its article ids; call after the broker acknowledged them.

        Failed batches were recorded when they happened, so committing one does nothing.
        """
        if batch.status == "failed":
            return
        self.store.commit(batch.feed.url, batch.state, [a.id for a in batch.articles])

    def _due_at(self, feed: FeedSpec) -> float:
        due = self._due.get(feed.url)
        return self.store.get(feed.url).next_due if due is None else due

    @contextlib.asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        if self._client is not None:
            yield self._client
            return
        headers = {"User-Agent": self.user_agent}
        async with httpx.AsyncClient(headers=headers, timeout=self.timeout) as client:
            yield client

    async def _poll(
        self, client: httpx.AsyncClient, feed: FeedSpec, semaphore: asyncio.Semaphore
    ) -> FeedBatch:
        state = self.store.get(feed.url)
        async with semaphore:
            try:
                return await self._fetch_and_parse(client, feed, state)
            except FeedError as exc:
                return self._failed(feed, state, str(exc))
            except Exception as exc:  # one broken feed must not stop the others
                log.exception("feed %r: unexpected error", feed.name)
                return self._failed(feed, state, f"feed {feed.name!r}: {exc!r}")

    async def _fetch_and_parse(
        self, client: httpx.AsyncClient, feed: FeedSpec, state: FeedState
    ) -> FeedBatch:
        result = await fetch_feed(
            client,
            feed,
            etag=state.etag,
            last_modified=state.last_modified,
            max_bytes=self.max_bytes,
            timeout=self.timeout,
        )
        fetched_at = datetime.now(UTC)
        now = fetched_at.timestamp()
        new_state = replace(
            state,
            etag=result.etag,
            last_modified=result.last_modified,
            next_due=now + feed.interval,
            failures=0,
            last_error=None,
            last_ok=now,
        )
        self._due[feed.url] = new_state.next_due
        if result.not_modified or result.body is None:
            return FeedBatch(feed, "not_modified", [], new_state)
        parsed = await asyncio.to_thread(parse_feed, result.body, feed, fetched_at)
        unseen = self.store.unseen(feed.url, (a.id for a in parsed.articles))
        articles = [a for a in parsed.articles if a.id in unseen]
        return FeedBatch(feed, "ok", articles, new_state, None, parsed.errors)

    def _failed(self, feed: FeedSpec, state: FeedState, error: str) -> FeedBatch:
        now = time.time()
        failures = state.failures + 1
        delay = min(feed.interval * 2 ** min(failures, 32), self.max_backoff)
        next_due = now + delay
        log.warning("%s; next attempt in %.0fs", error, delay)
        self.store.record_failure(feed.url, error, next_due)
        self._due[feed.url] = next_due
        failed = replace(state, next_due=next_due, failures=failures, last_error=error)
        return FeedBatch(feed, "failed", [], failed, error)
