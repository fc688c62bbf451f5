"""``newsmon reindex``: a new version of the article store, tagged with the current taxonomy,
gazetteer and model, compared with the live one, and made live atomically on request.

The source is the live version's own stored text (``--from index``: stories, duplicates and
lanes are kept, the text did not change) or newsmon's WARC archive (``--from archive``: the
replay readers rebuild the articles, stories are clustered afresh in time order).

While a build runs the live indexer keeps writing to the old version. Before the swap, every
article written there since the build started is re-tagged and written to the new version
(catch-up); after the swap once more, for what was written between that catch-up and the swap,
skipping articles the live indexer already wrote to the new version since.
"""

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from contract import Article, ConfigError
from newsmon.backends import Backends
from newsmon.settings import Settings
from processors.batch import process_batch
from processors.enrich import Enricher
from sinks.article_versions import ArticleVersions
from sinks.base import Sink
from sinks.reindex_diff import VersionDiff, diff_versions, subscription_changes

log = logging.getLogger(__name__)

Source = Literal["index", "archive"]
BATCH = 64
"""Articles re-tagged and written per step (spaCy batches inside are the settings')."""
SETTLE = 1.0
"""Seconds waited after a swap before the last catch-up: a bulk request that resolved the
alias just before the swap lands in the old index meanwhile (Elasticsearch only)."""

Progress = Callable[[int, int | None], None]
"""Called with (articles done, total or None when unknown) after each batch."""


@dataclass
class ReindexReport:
    """What a reindex built, changed and did."""

    old: str
    new: str
    source: Source
    read: int = 0
    written: int = 0
    failed: int = 0
    """Articles the enricher failed on: copied to the new version with their old tags."""
    caught_up: int = 0
    seconds: float = 0.0
    swapped: bool = False
    versions: dict[str, str | None] = field(default_factory=dict)
    diff: VersionDiff = field(default_factory=VersionDiff)

    @property
    def rate(self) -> float:
        """Articles re-tagged and written per second."""
        return self.written / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "versions": {"old": self.old, "new": self.new},
            "source": self.source,
            "swapped": self.swapped,
            "counts": {
                "read": self.read,
                "written": self.written,
                "failed": self.failed,
                "caught_up": self.caught_up,
                "seconds": round(self.seconds, 2),
                "articles_per_second": round(self.rate, 1),
            },
            "tagged_with": self.versions,
            "diff": self.diff.model_dump(mode="json"),
        }


def chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    """``articles`` in lists of ``size``."""
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Retagger:
    """Re-tags stored articles with the current enricher (stories untouched unless the
    enricher has a story index) and writes them to one version."""

    enricher: Enricher
    sink: Sink[Article]
    report: ReindexReport

    def __call__(self, articles: list[Article]) -> list[Article]:
        result = process_batch(self.enricher, [a.to_json() for a in articles], "reindex")
        tagged = {a.id: a for a in result.enriched}
        self.report.failed += len(articles) - len(tagged)
        done = [tagged.get(a.id, a) for a in articles]
        written = self.sink.write_batch(done)
        self.report.written += written.written
        self.report.failed += len(written.rejected)
        return done


def archive_articles(settings: Settings) -> Iterator[Article]:
    """The articles of newsmon's WARC archive, as the replay readers rebuild them, with the
    lane of live articles (a reindex neither replays nor alerts)."""
    from newsmon.runners.replay import ReplayCounts, ReplayOptions, replay_batches

    if not settings.archive_path.is_dir():
        raise ConfigError(f"no archive at {settings.archive_path}")
    counts = ReplayCounts()
    for batch in replay_batches([settings.archive_path], settings, ReplayOptions(), counts):
        for article in batch:
            yield article.model_copy(update={"lane": "live", "replay_alerts": False})


def build_enricher(settings: Settings, source: Source) -> Enricher:
    """The current pipeline; from the index, without a story index (stories are kept), from
    the archive with an empty one in memory (stories clustered afresh)."""
    from newsmon.runners.process import load_enricher

    enricher = load_enricher(settings, with_stories=False)
    return dataclasses.replace(enricher, stories=None) if source == "index" else enricher


def catch_up(
    versions: ArticleVersions,
    old: str,
    new: str,
    since: datetime,
    retag: Retagger,
    unless_written_after: datetime | None = None,
) -> int:
    """Re-tag and write to ``new`` what was written to ``old`` since ``since``; skip articles
    written to ``new`` at or after ``unless_written_after`` (the live indexer's, after a swap).
    """
    versions.ready(old)
    done = 0
    for batch in chunks(versions.written_since(old, since), BATCH):
        if unless_written_after is not None:
            newer = versions.written_at(new, [a.id for a in batch])
            batch = [a for a in batch if newer.get(a.id, since) < unless_written_after]
        if batch:
            retag(batch)
            done += len(batch)
    return done


def reindex(
    settings: Settings,
    backends: Backends,
    source: Source = "index",
    swap: bool = False,
    enricher: Enricher | None = None,
    on_progress: Progress | None = None,
    settle: float = SETTLE,
) -> ReindexReport:
    """Build a new version from ``source``, diff it against the live one, swap if asked.

    Raises:
        ConfigError: no live version, or no archive.
        TransientError: the store is unreachable.
    """
    versions = backends.article_versions()
    old = versions.live()
    total = versions.count(old) if source == "index" else None
    enricher = enricher or build_enricher(settings, source)
    if source == "index":
        enricher = dataclasses.replace(enricher, stories=None)
    started = datetime.now(UTC)
    clock = time.monotonic()
    new = versions.create()
    report = ReindexReport(old=old, new=new, source=source)
    report.versions = {
        "taxonomy": enricher.taxonomy.stamp or enricher.taxonomy.version,
        "gazetteer": enricher.gazetteer.stamp or enricher.gazetteer.version,
        "model": enricher.model,
    }
    log.info("reindex: building %s from %s (live: %s)", new, source, old)
    articles = versions.read(old) if source == "index" else archive_articles(settings)
    retag = Retagger(enricher, versions.sink(new), report)
    for batch in chunks(articles, BATCH):
        report.read += len(batch)
        retag(batch)
        if on_progress is not None:
            on_progress(report.read, total)
    versions.ready(new)
    report.seconds = time.monotonic() - clock
    report.diff = diff_versions(versions.read(old), versions.read(new))
    queries = {s.id: s.query for s in backends.subscriptions().list(kind="match")}
    if queries:
        report.diff.subscriptions = subscription_changes(
            queries, versions.match_counts(old, queries), versions.match_counts(new, queries)
        )
    if swap:
        # what the live indexer wrote meanwhile has its story already: keep it
        retag = Retagger(dataclasses.replace(enricher, stories=None), retag.sink, report)
        mark = datetime.now(UTC)
        report.caught_up += catch_up(versions, old, new, started, retag)
        versions.ready(new)
        swapped_at = datetime.now(UTC)
        versions.swap(old, new)
        report.swapped = True
        log.info("reindex: %s is live (was %s)", new, old)
        time.sleep(settle)
        report.caught_up += catch_up(versions, old, new, mark, retag, swapped_at)
        versions.ready(new)
    return report


def drop_old(backends: Backends) -> list[str]:
    """Delete every version but the live one; the names dropped.

    Raises:
        ConfigError: there is nothing to drop (or no live version).
    """
    versions = backends.article_versions()
    live = versions.live()
    others = [v for v in versions.versions() if v != live]
    if not others:
        raise ConfigError(f"nothing to drop: {live} is the only version")
    for version in others:
        versions.drop(version)
    return others
