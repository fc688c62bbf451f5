"""``newsmon index``: ``news.articles.enriched`` -> Elasticsearch.

Offsets are committed only after the bulk request succeeded (or the refused documents were
dead-lettered), so a crash at any point means redelivery, and redelivery means the same ``_id``:
never a lost or a duplicated document.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer

from contract import Article, ErrorEnvelope, PoisonMessage, Topics, TransientError
from newsmon.es_clients import make_es as make_es  # re-exported: newsmon.cli imports it here
from newsmon.kafka_io import (
    dead_letter,
    ensure_topics,
    make_consumer,
    make_producer,
    poll_batch,
    retry_batch,
)
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
    batch = poll_batch(consumer, batch_size, Article.from_json, STAGE, dlq_topic)
    if not batch.size:
        return 0
    articles, dead = batch.items, batch.dead
    stats.poison += len(dead)
    try:
        report = sink.write_batch(articles)
    except TransientError as exc:
        stats.retries += 1
        retry_batch(consumer, batch, stats.retries, exc)
        return batch.size
    stats.retries = 0
    stats.indexed += report.written
    stats.rejected += len(report.rejected)
    for rejected in report.rejected:
        payload = rejected.item.to_json()
        error = PoisonMessage(f"elasticsearch refused the document: {rejected.reason}", payload)
        dead.append(ErrorEnvelope.wrap(STAGE, error, "elasticsearch", payload, rejected.item.id))
    dead_letter(producer, dlq_topic, dead)
    consumer.commit()
    log.info(
        "indexed %d, refused %d, undecodable %d (totals %d/%d/%d)",
        report.written,
        len(report.rejected),
        batch.size - len(articles),
        stats.indexed,
        stats.rejected,
        stats.poison,
    )
    return batch.size


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
