"""``newsmon replay``: history from archives and exports, through the same pipeline as live.

Two passes over the sources: the first indexes the archived article pages
(``ingest.replay.page_index``), the second reads every record in order
(``ingest.replay.sources``) and turns it into articles (``ingest.replay.articles``). Each
article is filtered (date range, feeds), dropped when already seen (in this replay, or in the
article store: ids are deterministic, so replaying twice publishes nothing the second time),
paced (``--speed``) and published to the replay topic, where the processors take it after live
articles. Nothing a replayed article does reaches a live subscriber unless ``--alerts`` was
given; its alerts then say ``replayed``.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from contract import Article, TransientError
from ingest.extract import PageExtract
from ingest.extraction import IsolatedExtractor
from ingest.normalize import content_hash
from ingest.replay.articles import Made, ReplayArticles
from ingest.replay.items import Skipped
from ingest.replay.page_index import PageIndex
from ingest.replay.sources import read_sources
from newsmon.runners.fulltext import feeds_by_url, fulltext_policy
from newsmon.settings import Settings
from newsmon.transport import Producer

log = logging.getLogger(__name__)

PROBLEMS = frozenset(
    {"truncated", "corrupt", "not-warc", "binary", "unreadable", "missing", "not-a-file",
     "unknown-format", "not-json", "not-an-article", "bad-encoding", "too-large", "bad-date",
     "bad-url", "bad-status", "not-http", "no-url", "not-a-feed"}
)  # fmt: skip
"""Skips that say the input is damaged or not what a replay reads: a truncated or corrupt file,
a file that is no archive, a JSONL line that is not an article, a record with no usable date
or URL, a saved file that is not a feed. Each keeps its message (file and position) and makes
the exit code 3. Every other skip is counted and is no problem: the other WARC record types
(request, warcinfo, metadata, revisit, resource, and types a reader must ignore by the WARC
standard), robots.txt and non-200 responses, responses that hold no article (JSON, images,
index pages, consent walls)."""


def is_problem(reason: str) -> bool:
    """Whether a skip's ``reason`` says the input was damaged or unreadable (not merely no
    article)."""
    return reason in PROBLEMS


MAX_MESSAGES = 50
PUBLISH_BATCH = 200


@dataclass(frozen=True)
class ReplayOptions:
    """What to replay and how.

    Attributes:
        since / until: only articles published (else fetched) in this range.
        feeds: only articles of these feeds (source names); empty: all.
        speed: N times the original pacing; None: as fast as the pipeline takes them.
        alerts: replayed articles may alert (their alerts say ``replayed``).
        dry_run: read and count, publish nothing.
    """

    since: datetime | None = None
    until: datetime | None = None
    feeds: frozenset[str] = frozenset()
    speed: float | None = None
    alerts: bool = False
    dry_run: bool = False


@dataclass
class ReplayCounts:
    """What a replay read, made, published and skipped (and why)."""

    records: int = 0
    articles: int = 0
    published: int = 0
    seen: int = 0
    out_of_range: int = 0
    other_feeds: int = 0
    pages_used: int = 0
    pages_missing: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    messages: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def skip(self, item: Skipped) -> None:
        """Count a skipped record; keep its message when it is a problem."""
        self.skipped[item.reason] += 1
        if is_problem(item.reason):
            self.problems[item.reason] += 1
            if len(self.messages) < MAX_MESSAGES:
                self.messages.append(item.message)

    @property
    def rate(self) -> float:
        """Articles published (dry run: passed) per second so far."""
        return self.published / max(time.monotonic() - self.started, 1e-9)

    def as_dict(self) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "records": self.records,
            "articles": self.articles,
            "published": self.published,
            "skipped": {
                "seen": self.seen,
                "out_of_range": self.out_of_range,
                "other_feeds": self.other_feeds,
                "records": dict(sorted(self.skipped.items())),
            },
            "problems": dict(sorted(self.problems.items())),
            "pages": {"used": self.pages_used, "not_archived": self.pages_missing},
            "seconds": round(time.monotonic() - self.started, 3),
            "articles_per_s": round(self.rate, 1),
            "messages": self.messages,
        }


def moment(article: Article) -> datetime:
    """The time a replay orders, filters and paces by: published, else fetched."""
    return article.published or article.fetched_at


class Pacer:
    """Sleeps so articles go out at ``speed`` times their original spacing."""

    def __init__(self, speed: float | None, sleep: Callable[[float], object] = time.sleep) -> None:
        self.speed = speed
        self.sleep = sleep
        self.first: tuple[datetime, float] | None = None

    def wait(self, at: datetime) -> None:
        """Wait until ``at`` is due (never for ``max``; never backwards)."""
        if self.speed is None:
            return
        if self.first is None:
            self.first = (at, time.monotonic())
            return
        origin, started = self.first
        due = started + (at - origin).total_seconds() / self.speed
        delay = due - time.monotonic()
        if delay > 0:
            self.sleep(delay)


class Gate:
    """Which articles of the sources go out: in range, of the chosen feeds, not met before
    in this replay (an article and version, by id and content hash)."""

    def __init__(self, options: ReplayOptions, counts: ReplayCounts) -> None:
        self.options = options
        self.counts = counts
        self.seen: set[tuple[str, str]] = set()

    def admit(self, articles: list[Article]) -> list[Article]:
        """The articles of one item that pass, in order."""
        o, c = self.options, self.counts
        passed: list[Article] = []
        for article in articles:
            at = moment(article)
            if (o.since and at < o.since) or (o.until and at >= o.until):
                c.out_of_range += 1
                continue
            if o.feeds and article.source not in o.feeds:
                c.other_feeds += 1
                continue
            key = (article.id, content_hash(article))
            if key in self.seen:
                c.seen += 1
                continue
            self.seen.add(key)
            passed.append(article)
        if o.alerts:
            passed = [a.model_copy(update={"replay_alerts": True}) for a in passed]
        return passed


class StoreCheck:
    """Drops articles the store already holds (replaying twice publishes nothing new), asking
    the store once per publish batch, never twice for an id."""

    def __init__(self, known: Callable[[list[str]], set[str]], counts: ReplayCounts) -> None:
        self.known = known
        self.counts = counts
        self.ids: set[str] = set()
        """Ids this replay published: a later version of one is not "already stored"."""

    def unstored(self, articles: list[Article]) -> list[Article]:
        """``articles`` without those already stored (counted as seen)."""
        ask = list(dict.fromkeys(a.id for a in articles if a.id not in self.ids))
        stored = self.known(ask) if ask else set()
        fresh = [a for a in articles if a.id not in stored]
        self.counts.seen += len(articles) - len(fresh)
        self.ids.update(a.id for a in fresh)
        return fresh


class LazyExtractor:
    """Extraction in worker processes with the live stage's budget, started at the first page
    (a replay of JSONL or of feeds that carry whole articles starts no worker)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pool: IsolatedExtractor | None = None

    async def __call__(self, body: bytes, url: str, content_type: str | None) -> PageExtract:
        if self.pool is None:
            self.pool = IsolatedExtractor(
                self.settings.extract_workers, self.settings.extract_timeout
            )
        return await self.pool(body, url, content_type)

    def close(self) -> None:
        """Stop the workers, if any started."""
        if self.pool is not None:
            self.pool.close()


async def made_items(
    paths: list[Path], settings: Settings, stack: ExitStack
) -> AsyncIterator[Made]:
    """Every source item as :class:`Made`, in order; then the pages no feed pointed to."""
    index = await asyncio.to_thread(PageIndex.build, paths)
    log.info("replay: %d archived page(s) indexed", len(index))
    extract = LazyExtractor(settings)
    stack.callback(extract.close)
    maker = ReplayArticles(index, feeds_by_url(settings.feeds), extract, fulltext_policy(settings))
    for item in read_sources(paths):
        yield await maker.made(item)
    async for made in maker.leftovers():
        yield made


async def _next(items: AsyncIterator[Made]) -> Made:
    return await anext(items)


def replay_batches(
    paths: list[Path],
    settings: Settings,
    options: ReplayOptions,
    counts: ReplayCounts,
    on_progress: Callable[[ReplayCounts], None] | None = None,
) -> Iterator[list[Article]]:
    """The articles of the sources that pass the :class:`Gate`, a source item at a time,
    counted in ``counts`` (the store is not asked: see :class:`StoreCheck`)."""
    gate = Gate(options, counts)
    with ExitStack() as stack, asyncio.Runner() as runner:
        items = made_items(paths, settings, stack)
        while True:
            try:
                made = runner.run(_next(items))
            except StopAsyncIteration:
                break
            if made.read:
                counts.records += 1
            if made.skipped is not None:
                counts.skip(made.skipped)
                problem = is_problem(made.skipped.reason)
                log.log(logging.WARNING if problem else logging.DEBUG, "%s", made.skipped.message)
            counts.pages_used += made.pages_used
            counts.pages_missing += made.pages_missing
            counts.articles += len(made.articles)
            passed = gate.admit(made.articles)
            if on_progress is not None:
                on_progress(counts)
            if passed:
                yield passed


def publish_replay(
    paths: list[Path],
    settings: Settings,
    options: ReplayOptions,
    producer: Producer | None,
    known: Callable[[list[str]], set[str]] | None,
    on_progress: Callable[[ReplayCounts], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> ReplayCounts:
    """Read the sources and publish their articles to the replay topic, paced; a dry run
    (``producer`` None) only counts."""
    counts = ReplayCounts()
    pacer = Pacer(options.speed)
    check = StoreCheck(known, counts) if known is not None else None
    pending: list[Article] = []

    def publish(articles: list[Article]) -> None:
        fresh = check.unstored(articles) if check is not None else articles
        if fresh and producer is not None:
            send(producer, settings.topic_replay, fresh)
        counts.published += len(fresh)

    for batch in replay_batches(paths, settings, options, counts, on_progress):
        if options.speed is None:
            pending.extend(batch)
            if len(pending) >= PUBLISH_BATCH:
                publish(pending)
                pending.clear()
        else:
            for article in check.unstored(batch) if check is not None else batch:
                pacer.wait(moment(article))
                publish([article])
        if should_stop():
            break
    publish(pending)
    if on_progress is not None:
        on_progress(counts)
    return counts


def send(producer: Producer, topic: str, articles: list[Article], attempts: int = 5) -> None:
    """Publish ``articles`` (keyed by id); a transient failure is retried, then raised."""
    messages = [(a.id.encode(), a.to_json()) for a in articles]
    for attempt in range(attempts):
        try:
            producer.send_all(topic, messages)
            return
        except TransientError as exc:
            if attempt == attempts - 1:
                raise
            log.warning("%s; retrying %d replayed article(s)", exc, len(messages))
            time.sleep(2**attempt)
