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

from contract import Article, ErrorEnvelope, PoisonMessage, Topics, TransientError
from newsmon.backends import Backends
from newsmon.batches import dead_letter, poll_batch, retry_batch, run_stage
from newsmon.es_clients import make_es as make_es  # re-exported: newsmon.cli imports it here
from newsmon.metrics import stages as metrics
from newsmon.settings import Settings
from newsmon.transport import Consumer, Producer
from sinks.base import Sink

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
    consumer: Consumer,
    sink: Sink[Article],
    producer: Producer,
    stats: IndexStats,
    batch_size: int,
    dlq_topic: str = Topics.DLQ,
) -> int:
    """Poll one batch, store it, dead-letter what is refused for good, then commit.

    Returns:
        The number of messages handled (0 when the topic is idle).
    """
    batch = poll_batch(consumer, batch_size, Article.from_json, STAGE, dlq_topic)
    if not batch.size:
        return 0
    started = time.perf_counter()
    articles, dead = batch.items, batch.dead
    stats.poison += len(dead)
    try:
        report = sink.write_batch(articles)
    except TransientError as exc:
        stats.retries += 1
        retry_batch(consumer, batch.records, stats.retries, exc)
        return batch.size
    stats.retries = 0
    stats.indexed += report.written
    stats.rejected += len(report.rejected)
    for rejected in report.rejected:
        payload = rejected.item.to_json()
        error = PoisonMessage(f"the store refused the document: {rejected.reason}", payload)
        dead.append(ErrorEnvelope.wrap(STAGE, error, "article store", payload, rejected.item.id))
    dead_letter(producer, dlq_topic, dead)
    consumer.commit()
    metrics.count_articles("indexed", report.written)
    metrics.count_dead("index", len(dead))
    metrics.batch_done("index", started)
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
    backends: Backends,
    on_progress: Callable[[IndexStats], None] | None = None,
    until_idle: bool = False,
) -> IndexStats:
    """Consume and index until ``stop`` is set (or the topic is idle, with ``until_idle``)."""
    transport = backends.transport()
    transport.setup()
    sink = backends.article_sink()
    sink.setup()
    consumer = transport.consumer(settings.topic_enriched, "indexer", settings.index_batch_size)
    producer = transport.producer()
    stats = IndexStats()
    batch_size, dlq = settings.index_batch_size, settings.topic_dlq
    try:
        run_stage(
            lambda: index_once(consumer, sink, producer, stats, batch_size, dlq),
            consumer,
            stop,
            until_idle,
            on_progress and (lambda: on_progress(stats)),
        )
    finally:
        consumer.close()
        producer.close()
        sink.close()
    return stats
