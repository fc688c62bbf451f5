"""``newsmon alert``: enriched articles -> percolator -> per-story alerts -> ``news.alerts``.

Each poll is one batch and one percolate request (or one pass of the embedded matcher).
Matches become alerts in the alert store (created for a story's first copy, updated for later
ones) and are then produced to ``news.alerts``; offsets are committed only after they are
durable there, so a crash means redelivery, and a redelivered article yields the same alert id
and version again (the notifier's delivery log drops it). Replayed articles (lane ``replay``)
never alert, unless they were replayed with ``--alerts`` (``replay_alerts``): their alerts then
say ``replayed``.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from contract import Alert, Article, TransientError
from newsmon.backends import AlertRecorder, Backends, Matcher
from newsmon.batches import dead_letter, poll_batch, retry_batch, run_stage
from newsmon.metrics import stages as metrics
from newsmon.settings import Settings
from newsmon.transport import Consumer, Producer

log = logging.getLogger(__name__)

STAGE = "sinks.alert"


@dataclass
class AlertStats:
    """Running totals, for logs and the summary."""

    articles: int = 0
    matches: int = 0
    alerts: int = 0
    updates: int = 0
    replay_skipped: int = 0
    poison: int = 0
    retries: int = 0


def publish(producer: Producer, topic: str, alerts: list[Alert]) -> None:
    """Produce alerts keyed by alert id and wait until they are durable."""
    if alerts:
        producer.send_all(topic, [(a.alert_id.encode(), a.to_json()) for a in alerts])


def alert_once(
    consumer: Consumer,
    percolator: Matcher,
    store: AlertRecorder,
    producer: Producer,
    settings: Settings,
    stats: AlertStats,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Poll one batch, percolate it, record and publish its alerts, then commit.

    Returns:
        The number of messages handled (0 when the topic is idle).
    """
    batch = poll_batch(
        consumer, settings.alert_batch_size, Article.from_json, STAGE, settings.topic_dlq
    )
    if not batch.size:
        return 0
    started = time.perf_counter()
    stats.poison += len(batch.dead)
    articles = [a for a in batch.items if may_alert(a)]
    stats.replay_skipped += len(batch.items) - len(articles)
    try:
        matches = percolator.match(articles)
        now = clock()
        alerts = store.record(matches, now)
    except TransientError as exc:
        stats.retries += 1
        retry_batch(consumer, batch.records, stats.retries, exc)
        return batch.size
    stats.retries = 0
    publish(producer, settings.topic_alerts, alerts)
    dead_letter(producer, settings.topic_dlq, batch.dead)
    consumer.commit()
    metrics.count_articles("alerted", len(articles))
    metrics.count_alerts("matched", len(alerts))
    metrics.count_dead("alert", len(batch.dead))
    metrics.batch_done("alert", started)
    stats.articles += len(articles)
    stats.matches += len(matches)
    # New: created by this batch (even if a second copy in it made it version 2). Updated: an
    # earlier alert with a copy added now. The rest are redeliveries, published again.
    created = sum(1 for a in alerts if a.created_at == now)
    updated = sum(1 for a in alerts if a.created_at != now and a.updated_at == now)
    stats.alerts += created
    stats.updates += updated
    log.info(
        "%d article(s): %d match(es) -> %d alert(s) (%d new, %d updated)",
        len(articles),
        len(matches),
        len(alerts),
        created,
        updated,
    )
    return batch.size


def may_alert(article: Article) -> bool:
    """Live articles alert; replayed ones only when replayed with ``--alerts``."""
    return article.lane != "replay" or article.replay_alerts


class SpikeChecks(Protocol):
    """What the alerter needs of :class:`sinks.spikes.SpikeWatcher`."""

    def check(self, now: datetime) -> list[Alert]:
        """Spike alerts that fired and were not published before."""

    def confirm(self, alerts: list[Alert]) -> None:
        """Record alerts once they are published."""


def run_alerter(
    settings: Settings,
    stop: threading.Event,
    backends: Backends,
    with_spikes: bool = True,
    until_idle: bool = False,
    on_progress: Callable[[AlertStats], None] | None = None,
) -> AlertStats:
    """Consume and alert until ``stop`` is set (or the topic is idle, with ``until_idle``).

    Args:
        with_spikes: check spike subscriptions every ``settings.spike_interval`` seconds; what
            fires is published like the other alerts, then confirmed.
    """
    transport = backends.transport()
    transport.setup()
    subscriptions = backends.subscriptions()
    subscriptions.setup()
    store = backends.alerts()
    store.setup()
    percolator = backends.matcher()
    spikes = backends.spikes() if with_spikes else None
    consumer = transport.consumer(settings.topic_enriched, "alerter", settings.alert_batch_size)
    producer = transport.producer()
    stats = AlertStats()
    next_spike_check = 0.0

    def step() -> int:
        nonlocal next_spike_check
        if spikes is not None and time.monotonic() >= next_spike_check:
            next_spike_check = time.monotonic() + settings.spike_interval
            check_spikes(spikes, producer, settings.topic_alerts, stats)
        return alert_once(consumer, percolator, store, producer, settings, stats)

    try:
        run_stage(step, consumer, stop, until_idle, on_progress and (lambda: on_progress(stats)))
    finally:
        consumer.close()
        producer.close()
    return stats


def check_spikes(spikes: SpikeChecks, producer: Producer, topic: str, stats: AlertStats) -> None:
    """One spike check: publish what fired, then confirm it (a crash between means a repeat
    under the same alert id, never a loss)."""
    try:
        fired = spikes.check(datetime.now(UTC))
        publish(producer, topic, fired)
        spikes.confirm(fired)
    except TransientError as exc:
        log.warning("spike check skipped: %s", exc)
    else:
        stats.alerts += len(fired)
        metrics.count_alerts("matched", len(fired))
