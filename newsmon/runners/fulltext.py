"""``newsmon fulltext``: polled articles -> their pages fetched and extracted -> the raw topic.

The stage's loop on any transport (Kafka or the local log): poll a batch, run
:meth:`ingest.fulltext.FulltextStage.run` on it, publish, then commit. A crash or a kill
before the commit redelivers the batch: its pages are fetched again and the same ids are
published again, which every later stage takes as the same articles (at-least-once, never
duplicated). A stop asked for in the middle of a batch abandons it uncommitted.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from contract import Article, TransientError
from ingest import load_feeds
from ingest.extraction import IsolatedExtractor
from ingest.feeds_file import FeedSpec
from ingest.fulltext import FulltextCounts, FulltextPolicy, FulltextStage, PageReport
from ingest.pages import PageFetcher, PagePolicy
from ingest.politeness import HostLimiter
from ingest.robots import RobotsCache
from newsmon.backends import Backends
from newsmon.batches import dead_letter, poll_batch, retry_batch, run_stage
from newsmon.http_client import guarded_async_client
from newsmon.metrics import stages as metrics
from newsmon.runners.archiving import open_archive
from newsmon.settings import Settings

log = logging.getLogger(__name__)

STOP_CHECK = 0.2
"""Seconds between looks at the stop event while a batch's pages are fetched."""


class Interrupted(Exception):
    """A stop came in the middle of a batch: it is abandoned, uncommitted."""


def fulltext_policy(settings: Settings) -> FulltextPolicy:
    """When pages are fetched, from the settings."""
    return FulltextPolicy(
        mode=settings.fulltext,
        min_words=settings.fulltext_min_words,
        page_min_words=settings.page_min_words,
        max_chars=settings.article_max_chars,
    )


def page_policy(settings: Settings) -> PagePolicy:
    """Limits of page fetching, from the settings."""
    return PagePolicy(
        timeout=settings.page_timeout,
        concurrency=settings.page_concurrency,
        max_bytes=settings.page_max_bytes,
        max_redirects=settings.max_redirects,
        retries=settings.page_retries,
        backoff=settings.page_backoff,
    )


def feeds_by_url(feeds_file: Path | None) -> dict[str, FeedSpec]:
    """The feeds of ``feeds_file`` by URL (what ``Article.feed_url`` holds); none if no file."""
    return {f.url: f for f in load_feeds(feeds_file)} if feeds_file else {}


@contextmanager
def open_stage(
    settings: Settings, feeds: dict[str, FeedSpec], loop_runner: asyncio.Runner
) -> Iterator[FulltextStage]:
    """The stage with its HTTP client, robots cache, archive and extraction workers; all are
    closed on exit. The client belongs to ``loop_runner``'s event loop."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        client = guarded_async_client(
            settings.address_policy(),
            timeout=settings.page_timeout,
            user_agent=settings.user_agent,
            max_redirects=settings.max_redirects,
        )
        stack.callback(lambda: loop_runner.run(client.aclose()))
        robots = RobotsCache(settings.pages_db, settings.user_agent, settings.robots_ttl)
        stack.callback(robots.close)
        archive = open_archive(settings, "pages")
        if archive is not None:
            stack.callback(archive.close)
        extractor = IsolatedExtractor(
            settings.extract_workers, settings.extract_timeout, settings.parse_memory * 2**20
        )
        stack.callback(extractor.close)
        limiter = HostLimiter(settings.host_concurrency, settings.host_delay)
        fetcher = PageFetcher(client, robots, limiter, page_policy(settings), archive)
        yield FulltextStage(feeds, fetcher, extractor, fulltext_policy(settings))


async def _until_stopped(work: "asyncio.Future[list[PageReport]]", stop: threading.Event) -> None:
    while not work.done():
        await asyncio.wait({work}, timeout=STOP_CHECK)
        if stop.is_set() and not work.done():
            work.cancel()
            raise Interrupted("stopping: the batch in progress is abandoned (it is redone)")


@dataclass
class FulltextStats:
    """Running totals of the stage."""

    counts: FulltextCounts
    articles: int = 0
    poison: int = 0
    retries: int = 0


def run_fulltext(
    settings: Settings,
    stop: threading.Event,
    backends: Backends,
    feeds_file: Path | None,
    on_progress: Callable[[FulltextStats], None] | None = None,
    until_idle: bool = False,
) -> FulltextStats:
    """Fetch pages until ``stop`` is set (or the polled topic is idle, with ``until_idle``)."""
    feeds = feeds_by_url(feeds_file)
    transport = backends.transport()
    consumer = transport.consumer(settings.topic_polled, "fulltext", settings.fulltext_batch_size)
    producer = transport.producer()
    stats = FulltextStats(FulltextCounts())

    with asyncio.Runner() as loop_runner, open_stage(settings, feeds, loop_runner) as stage:

        async def run_batch(articles: list[Article]) -> list[PageReport]:
            work = asyncio.ensure_future(stage.run(articles))
            try:
                await _until_stopped(work, stop)
            finally:
                if not work.done():
                    work.cancel()
            return work.result()

        def step() -> int:
            batch = poll_batch(
                consumer,
                settings.fulltext_batch_size,
                Article.from_json,
                "fulltext",
                settings.topic_dlq,
                settings.process_batch_wait,
            )
            if not batch.records:
                return 0
            started = time.perf_counter()
            try:
                reports = loop_runner.run(run_batch(batch.items))
            except Interrupted as exc:
                log.info("%s", exc)
                consumer.rewind(batch.records)
                return batch.size
            try:
                articles = [r.article for r in reports]
                if articles:
                    producer.send_all(
                        settings.topic_raw, [(a.id.encode(), a.to_json()) for a in articles]
                    )
                dead_letter(producer, settings.topic_dlq, batch.dead)
                consumer.commit()
            except TransientError as exc:
                stats.retries += 1
                retry_batch(consumer, batch.records, stats.retries, exc, stop.wait)
                return batch.size
            stats.retries = 0
            metrics.count_articles("fulltext", len(reports))
            metrics.count_dead("fulltext", len(batch.dead))
            metrics.batch_done("fulltext", started)
            stats.counts.add(reports)
            stats.articles += len(reports)
            stats.poison += len(batch.dead)
            return batch.size

        try:
            run_stage(
                step, consumer, stop, until_idle, on_progress and (lambda: on_progress(stats))
            )
        finally:
            consumer.close()
            producer.close()
    return stats
