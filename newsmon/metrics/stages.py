"""What the stages did, counted by the runners (``newsmon/runners/``) as each batch completes.

The metrics live in one :class:`~prometheus_client.CollectorRegistry` of their own (not the
global one), so every stage of a process -- the threads of ``newsmon run`` -- adds to the same
series, and an app serving ``/metrics`` picks them up without exposing anything else a library
put in the global registry. Stage code (``ingest/``, ``processors/``, ``sinks/``) never imports
this: the runners count what the stage functions return.
"""

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics

# No `*_created` timestamp series: one per counter, doubling a scrape and telling nothing.
disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry(auto_describe=True)
"""The stage metrics of this process."""

BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Seconds: a webhook batch takes milliseconds, a spaCy batch or a page fetch tens of seconds."""

ARTICLES = Counter(
    "newsmon_articles",
    "Articles that completed a stage: polled (published by the poller), fulltext (past the "
    "page fetcher), processed (enriched), indexed (stored), alerted (checked against the "
    "subscriptions).",
    ["stage"],
    registry=REGISTRY,
)
ALERTS = Counter(
    "newsmon_alerts",
    "Alerts per stage: matched (recorded and published by the alerter), notified (handed to "
    "the notifier).",
    ["stage"],
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "newsmon_dead_letters",
    "Messages a stage sent to the dead-letter topic (undecodable, refused for good).",
    ["stage"],
    registry=REGISTRY,
)
FEED_POLLS = Counter(
    "newsmon_feed_polls",
    "Feed polls by outcome (ok, not_modified, failed, disabled).",
    ["status"],
    registry=REGISTRY,
)
BATCH_SECONDS = Histogram(
    "newsmon_batch_duration_seconds",
    "Seconds per batch, from the poll that returned it to its commit (the poll stage: "
    "publishing one feed's articles and committing its state; fetches run concurrently).",
    ["stage"],
    buckets=BUCKETS,
    registry=REGISTRY,
)

ARTICLE_STAGES = ("polled", "fulltext", "processed", "indexed", "alerted")
ALERT_STAGES = ("matched", "notified")
BATCH_STAGES = ("poll", "fulltext", "process", "index", "alert", "notify")
for _stage in ARTICLE_STAGES:  # every series exists from the start, at 0
    ARTICLES.labels(_stage)
for _stage in ALERT_STAGES:
    ALERTS.labels(_stage)
for _stage in BATCH_STAGES:
    BATCH_SECONDS.labels(_stage)
    DEAD_LETTERS.labels(_stage)


def batch_done(stage: str, started: float) -> None:
    """A batch of ``stage`` begun at ``started`` (:func:`time.perf_counter`) is committed."""
    BATCH_SECONDS.labels(stage).observe(time.perf_counter() - started)


def count_articles(stage: str, n: int) -> None:
    """``n`` articles completed ``stage``."""
    if n:
        ARTICLES.labels(stage).inc(n)


def count_alerts(stage: str, n: int) -> None:
    """``n`` alerts completed ``stage``."""
    if n:
        ALERTS.labels(stage).inc(n)


def count_dead(stage: str, n: int) -> None:
    """``stage`` dead-lettered ``n`` messages."""
    if n:
        DEAD_LETTERS.labels(stage).inc(n)
