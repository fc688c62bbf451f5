"""``newsmon process``: the faust worker from ``processors`` with newsmon's settings; and the
same batch function (:func:`processors.batch.process_batch`) on any transport, for ``run``.

Two lanes feed the processor: live articles (the raw topic) and replayed history (the replay
topic), read by one consumer. Live goes first: replayed articles are processed only in a poll
that brought no live one, and then at most ``replay_batch_size`` of them, so a live article
waits behind at most one small replay batch however long the backfill.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contract import TransientError
from newsmon.backends import Transport
from newsmon.batches import dead_letter, retry_batch, run_stage
from newsmon.metrics import stages as metrics
from newsmon.settings import Settings
from newsmon.transport import Consumer, Producer, Record
from processors.batch import Interrupted, process_batch
from processors.enrich import Enricher
from processors.stories import StoryIndex

log = logging.getLogger(__name__)


def load_enricher(settings: Settings, with_stories: bool = True) -> Enricher:
    """The enrichment pipeline the settings describe (fails fast on a missing model).

    ``with_stories=False`` clusters stories in memory only (one command's input, e.g. ``tag``),
    leaving the persistent index of the pipeline untouched.
    """
    if with_stories:
        settings.stories_db.parent.mkdir(parents=True, exist_ok=True)
    stories = StoryIndex(
        settings.stories_db if with_stories else ":memory:", threshold=settings.story_threshold
    )
    if with_stories:
        cutoff = datetime.now(UTC) - timedelta(days=settings.story_window_days)
        pruned = stories.prune(cutoff)
        log.info(
            "story index %s: pruned %d article(s) seen before %s",
            settings.stories_db,
            pruned,
            cutoff,
        )
    return Enricher.load(
        settings.spacy_model,
        settings.taxonomy,
        settings.gazetteer,
        settings.process_batch_size,
        detect_language=settings.detect_language,
        stories=stories,
        other_models=settings.language_models,
        max_chars=settings.tag_max_chars,
        max_tokens=settings.tag_max_tokens,
    )


@dataclass
class ProcessStats:
    """Running totals of the enrichment loop."""

    enriched: int = 0
    poison: int = 0
    retries: int = 0


@dataclass
class Lanes:
    """The processor's input: one consumer of the live topic and (when replay is on) the
    replay topic, one consumer group, so rebalancing is Kafka's ordinary one.

    Live first: when a poll brings live records, only they are processed and the replayed
    ones are rewound (read again later); a poll of replayed records alone is cut to
    ``replay_batch_size`` and the rest rewound. A live article so waits behind at most one
    small replay batch. Only ordinary polls and seeks are used (no pause/resume, no zero
    timeouts, which kafka-python's fetcher did not survive in tests).
    """

    consumer: Consumer
    replay_topic: str | None = None

    def poll(self, settings: Settings) -> list[Record]:
        """The next batch, live first."""
        records = self.consumer.poll(settings.process_batch_size, settings.process_batch_wait)
        if self.replay_topic is None or not records:
            return records
        live = [r for r in records if r.topic != self.replay_topic]
        replayed = [r for r in records if r.topic == self.replay_topic]
        if live:
            keep, later = live, replayed
        else:
            keep, later = (
                replayed[: settings.replay_batch_size],
                replayed[settings.replay_batch_size :],
            )
        if later:
            self.consumer.rewind(later)
        return keep

    def caught_up(self) -> bool:
        """Both topics have been read to their end."""
        return self.consumer.caught_up()

    def close(self) -> None:
        """Close the consumer (nothing is committed)."""
        self.consumer.close()


def lanes(settings: Settings, transport: Transport) -> Lanes:
    """The processor's consumer (group ``processor``) of the raw and the replay topic."""
    topics = [settings.topic_raw, settings.topic_replay]
    return Lanes(
        transport.consumer(topics, "processor", settings.process_batch_size),
        settings.topic_replay,
    )


def process_once(
    consumers: Lanes,
    enricher: Enricher,
    producer: Producer,
    settings: Settings,
    stats: ProcessStats,
    wait: Callable[[float], object],
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Poll a batch of raw articles (live first, then replayed), enrich it, publish the
    results, then commit.

    The faust agent's loop body, on the :mod:`newsmon.transport` interface.

    A stop asked for in the middle of a long batch (``should_stop``) abandons it, uncommitted,
    so a stop takes seconds rather than the rest of the batch; the next start redoes it.

    Returns:
        The number of messages handled (0 when the topic is idle).
    """
    consumer = consumers.consumer
    records = consumers.poll(settings)
    if not records:
        return 0
    started = time.perf_counter()
    source = f"{records[0].topic}[{records[0].partition}]@{records[0].offset}"
    try:
        result = process_batch(enricher, [r.value for r in records], source, should_stop)
    except Interrupted as exc:
        log.info("%s", exc)
        consumer.rewind(records)
        return len(records)
    try:
        if result.enriched:
            producer.send_all(
                settings.topic_enriched, [(a.id.encode(), a.to_json()) for a in result.enriched]
            )
        dead_letter(producer, settings.topic_dlq, result.dead)
        consumer.commit()
    except TransientError as exc:
        stats.retries += 1
        retry_batch(consumer, records, stats.retries, exc, wait)
        return len(records)
    stats.retries = 0
    metrics.count_articles("processed", len(result.enriched))
    metrics.count_dead("process", len(result.dead))
    metrics.batch_done("process", started)
    stats.enriched += len(result.enriched)
    stats.poison += len(result.dead)
    return len(records)


def run_process_loop(
    settings: Settings,
    stop: threading.Event,
    consumers: Lanes,
    producer: Producer,
    enricher: Enricher,
    on_progress: Callable[[ProcessStats], None] | None = None,
    until_idle: bool = False,
) -> ProcessStats:
    """Enrich until ``stop`` is set (or the topic is idle, with ``until_idle``); the batch in
    hand is finished first."""
    stats = ProcessStats()
    try:
        run_stage(
            lambda: process_once(
                consumers, enricher, producer, settings, stats, stop.wait, stop.is_set
            ),
            consumers,
            stop,
            until_idle,
            on_progress and (lambda: on_progress(stats)),
        )
    finally:
        consumers.close()
        producer.close()
    return stats


def run_processor(settings: Settings) -> None:
    """Run the faust enrichment worker until interrupted."""
    from newsmon.kafka_io import ensure_topics
    from processors.faust_app import create_app, run_worker

    enricher = load_enricher(settings)
    ensure_topics(settings)
    app = create_app(
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        load_enricher=lambda: enricher,
        app_id=f"{settings.group_prefix}-processor",
        source=settings.topic_raw,
        sink=settings.topic_enriched,
        dlq=settings.topic_dlq,
        data_dir=settings.data_dir / "faust",
        batch_size=settings.process_batch_size,
        batch_within=settings.process_batch_wait,
        partitions=settings.partitions,
        replay=settings.topic_replay,
        replay_batch_size=settings.replay_batch_size,
    )
    run_worker(app, loglevel=settings.log_level.lower())
