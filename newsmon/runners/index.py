"""``newsmon index``: ``news.articles.enriched`` -> Elasticsearch.

Offsets are committed only after the bulk request succeeded (or the refused documents were
dead-lettered), so a crash at any point means redelivery, and redelivery means the same ``_id``:
never a lost or a duplicated document.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer

from contract import Article, ErrorEnvelope, PoisonMessage, Topics, TransientError
from newsmon.es_clients import make_es as make_es  # re-exported: newsmon.cli imports it here
from newsmon.kafka_io import ensure_topics, make_consumer, make_producer, rewind, send_all
from newsmon.settings import Settings
from sinks.es_writer import ElasticsearchSink

log = logging.getLogger(__name__)

STAGE = "sinks.elasticsearch"


@dataclass
class IndexStats:
    """Running totals, for the status line and the summary."""

    indexed: int = 0
    rejected: int = 0
    poison: int = 0
    retries: int = 0


def index_once(
    consumer: KafkaConsumer,
    sink: ElasticsearchSink,
    producer: KafkaProducer,
    stats: IndexStats,
    batch_size: int,
    dlq_topic: str = Topics.DLQ,
) -> int:
    """Poll one batch, index it, dead-letter what is refused for good, then commit.

    Returns:
        The number of messages handled (0 when the topic is idle).
    """
    polled = consumer.poll(timeout_ms=1000, max_records=batch_size)
    records = [r for batch in polled.values() for r in batch]
    if not records:
        return 0
    first_offsets = {tp: batch[0].offset for tp, batch in polled.items()}
    articles: list[Article] = []
    dead: list[ErrorEnvelope] = []
    for r in records:
        source = f"{r.topic}[{r.partition}]@{r.offset}"
        try:
            articles.append(Article.from_json(r.value))
        except PoisonMessage as exc:
            log.error("message %s: %s; sent to %s", source, exc, dlq_topic)
            dead.append(ErrorEnvelope.wrap(STAGE, exc, source, r.value))
            stats.poison += 1
    try:
        report = sink.write_batch(articles)
    except TransientError as exc:
        stats.retries += 1
        log.warning("%s; will retry the batch of %d", exc, len(records))
        rewind(consumer, first_offsets)
        time.sleep(min(30.0, 2 ** min(stats.retries, 5)))
        return len(records)
    stats.retries = 0
    stats.indexed += report.written
    stats.rejected += len(report.rejected)
    for rejected in report.rejected:
        payload = rejected.item.to_json()
        error = PoisonMessage(f"elasticsearch refused the document: {rejected.reason}", payload)
        dead.append(ErrorEnvelope.wrap(STAGE, error, "elasticsearch", payload, rejected.item.id))
    if dead:
        send_all(producer, dlq_topic, [((e.key or "").encode() or None, e.to_json()) for e in dead])
    consumer.commit()
    log.info(
        "indexed %d, refused %d, undecodable %d (totals %d/%d/%d)",
        report.written,
        len(report.rejected),
        len(records) - len(articles),
        stats.indexed,
        stats.rejected,
        stats.poison,
    )
    return len(records)


def run_indexer(
    settings: Settings,
    stop: threading.Event,
    on_progress: Callable[[IndexStats], None] | None = None,
    until_idle: bool = False,
) -> IndexStats:
    """Consume and index until ``stop`` is set (or the topic is idle, with ``until_idle``)."""
    ensure_topics(settings)
    sink = ElasticsearchSink(make_es(settings), settings.index_alias)
    sink.setup()
    consumer = make_consumer(
        settings.kafka_bootstrap,
        settings.topic_enriched,
        f"{settings.group_prefix}-indexer",
        settings.index_batch_size,
    )
    producer = make_producer(settings.kafka_bootstrap)
    stats = IndexStats()
    try:
        while not stop.is_set():
            handled = index_once(
                consumer, sink, producer, stats, settings.index_batch_size, settings.topic_dlq
            )
            if on_progress is not None:
                on_progress(stats)
            if handled == 0 and until_idle:
                break
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=10)
        sink.close()
    return stats
