"""``newsmon poll``: feeds -> ``news.articles.polled`` (the full-text stage's input). A feed's
state advances only after the transport (the Kafka broker, or the local log) made every one of
its new articles durable; every feed response with a body is archived (WARC) on the way."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from contract import TransientError
from ingest import FeedBatch, FeedStateStore, IsolatedParser, Poller, PollPolicy, load_feeds
from ingest.normalize import SKIPS
from newsmon.backends import Backends
from newsmon.http_client import guarded_async_client
from newsmon.metrics import stages as metrics
from newsmon.runners.archiving import open_archive
from newsmon.runners.feed_watch import FeedWatch
from newsmon.settings import Settings
from newsmon.transport import Producer

log = logging.getLogger(__name__)


@dataclass
class PollSummary:
    """Counts of one ``poll`` run, for the console summary and ``--json``."""

    feeds: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: int = 0
    disabled: int = 0
    published: int = 0
    updated: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, batch: FeedBatch, published: int) -> None:
        """Count one feed's outcome."""
        if batch.status == "ok":
            self.ok += 1
        elif batch.status == "not_modified":
            self.not_modified += 1
        else:
            self.failed += batch.status == "failed"
            self.disabled += batch.status == "disabled"
            self.errors.append(batch.error or f"feed {batch.feed.name!r} failed")
        self.published += published
        self.updated += batch.updated if published else 0
        for issue, count in batch.issues.items():
            counts = self.skipped if issue in SKIPS else self.repaired
            counts[issue] = counts.get(issue, 0) + count
        self.errors.extend(batch.entry_errors)

    @property
    def all_failed(self) -> bool:
        """True when there were feeds and not one of them could be polled."""
        return self.feeds > 0 and self.failed + self.disabled == self.feeds


def poll_policy(settings: Settings) -> PollPolicy:
    """The poller's limits and backoff rules from the settings."""
    return PollPolicy(
        max_bytes=settings.fetch_max_bytes,
        timeout=settings.fetch_timeout,
        concurrency=settings.fetch_concurrency,
        max_backoff=settings.max_backoff,
        error_backoff=settings.error_backoff,
        max_error_backoff=settings.max_error_backoff,
        max_retry_after=settings.max_retry_after,
        disable_gone=settings.disable_gone,
        max_redirects=settings.max_redirects,
    )


def publish(producer: Producer, batch: FeedBatch, topic: str) -> int:
    """Send ``batch``'s articles and wait until each one is durable.

    Raises:
        TransientError: a send was not acknowledged; the caller must not advance the feed's state.
    """
    if batch.articles:
        producer.send_all(topic, [(a.id.encode(), a.to_json()) for a in batch.articles])
    return len(batch.articles)


async def poll_feeds(
    settings: Settings,
    backends: Backends,
    feeds_file: str,
    once: bool,
    on_batch: Callable[[FeedBatch, int], None] | None = None,
    stop: asyncio.Event | None = None,
) -> PollSummary:
    """Poll ``feeds_file`` (once, or forever until ``stop``) and publish to the raw topic."""
    feeds = load_feeds(Path(feeds_file))
    transport = backends.transport()
    transport.setup()
    producer = transport.producer()
    summary = PollSummary(feeds=len(feeds))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    policy = settings.address_policy()
    archive = open_archive(settings, "feeds")
    with (
        contextlib.closing(archive) if archive is not None else contextlib.nullcontext(),
        FeedStateStore(settings.state_db) as store,
        IsolatedParser(
            settings.parse_workers,
            settings.parse_timeout,
            settings.parse_memory * 2**20,
            settings.article_max_chars,
        ) as parser,
        FeedWatch.open(settings, backends, feeds) as watch,
    ):
        poller = Poller(
            feeds,
            store,
            lambda: guarded_async_client(
                policy,
                timeout=settings.fetch_timeout,
                user_agent=settings.user_agent,
                max_redirects=settings.max_redirects,
            ),
            parser,
            poll_policy(settings),
            archive,
        )
        try:
            async for batch in poller.run(once=once, stop=stop):
                published = 0
                started = time.perf_counter()
                if batch.status != "failed":
                    try:
                        published = await asyncio.to_thread(
                            publish, producer, batch, settings.topic_polled
                        )
                    except TransientError as exc:
                        error = f"feed {batch.feed.name!r}: not published: {exc}"
                        log.error("%s; its state is not advanced, it will be re-polled", error)
                        batch = replace(batch, status="failed", error=error)
                    else:
                        poller.commit(batch)
                        metrics.batch_done("poll", started)
                metrics.FEED_POLLS.labels(batch.status).inc()
                metrics.count_articles("polled", published)
                summary.add(batch, published)
                await asyncio.to_thread(watch.polled, batch, published)
                log.info(
                    "feed %r: %s, %d article(s) published (%d new version(s))%s",
                    batch.feed.name,
                    batch.status,
                    published,
                    batch.updated if published else 0,
                    "".join(f"; {n}" for n in batch.notes),
                )
                if batch.issues:
                    log.info("feed %r: entries %s", batch.feed.name, dict(batch.issues))
                if on_batch is not None:
                    on_batch(batch, published)
        finally:
            producer.close()
    return summary
