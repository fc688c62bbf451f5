"""kafka-python clients configured the way newsmon needs them, topic creation, and the batch
reading and dead-lettering every consuming runner shares."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from contract import ErrorEnvelope, PoisonMessage, TransientError
from newsmon.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")


def make_producer(bootstrap: str, linger_ms: int = 20) -> KafkaProducer:
    """A producer that waits for all in-sync replicas (acks=all) and retries on its own.

    Args:
        linger_ms: how long a send waits for others to share its request (0 where each send
            is awaited on its own).
    """
    try:
        return KafkaProducer(
            bootstrap_servers=bootstrap.split(","),
            acks="all",
            retries=5,
            linger_ms=linger_ms,
            max_in_flight_requests_per_connection=1,
            compression_type="gzip",
            client_id="newsmon",
        )
    except KafkaError as exc:
        raise TransientError(f"no Kafka broker reachable at {bootstrap}") from exc


def make_consumer(
    bootstrap: str, topic: str, group: str, max_records: int, max_poll_interval: float = 300.0
) -> KafkaConsumer:
    """A consumer whose offsets are committed by the caller, after the work is done.

    Args:
        max_poll_interval: seconds a batch may take before the group hands its partitions to
            another member (the notifier's retries with backoff need more than the default).
    """
    try:
        return KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap.split(","),
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=max_records,
            max_poll_interval_ms=int(max_poll_interval * 1000),
            client_id="newsmon",
        )
    except KafkaError as exc:
        raise TransientError(f"no Kafka broker reachable at {bootstrap}") from exc


def ensure_topics(settings: Settings) -> None:
    """Create newsmon's topics (raw, enriched, dead letters) if they do not exist yet.

    This is the first call every command makes to Kafka, so it is also where an unreachable
    broker is reported, after ``settings.kafka_timeout`` seconds.
    """
    bootstrap = settings.kafka_bootstrap
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap.split(","),
            client_id="newsmon-admin",
            bootstrap_timeout_ms=int(settings.kafka_timeout * 1000),
        )
    except KafkaError as exc:
        raise TransientError(f"no Kafka broker reachable at {bootstrap}") from exc
    try:
        existing = set(admin.list_topics())
        missing = [n for n in settings.topics if n not in existing]
        if missing:
            try:
                admin.create_topics(
                    [
                        NewTopic(n, num_partitions=settings.partitions, replication_factor=1)
                        for n in missing
                    ]
                )
                log.info("created topics %s", ", ".join(missing))
            except TopicAlreadyExistsError:
                pass
    except KafkaError as exc:
        raise TransientError(f"could not create topics on {bootstrap}: {exc}") from exc
    finally:
        admin.close()


def send_all(
    producer: KafkaProducer, topic: str, messages: list[tuple[bytes | None, bytes]]
) -> None:
    """Produce ``(key, value)`` messages and wait until the broker acknowledged every one."""
    futures = [producer.send(topic, key=key, value=value) for key, value in messages]
    producer.flush()
    for future in futures:
        future.get(timeout=30)


def rewind(consumer: KafkaConsumer, first_offsets: dict[TopicPartition, int]) -> None:
    """Seek each partition back to the first offset of a batch that must be retried."""
    for tp, offset in first_offsets.items():
        consumer.seek(tp, offset)


@dataclass
class Batch(Generic[T]):
    """One poll: the decoded messages, envelopes for the undecodable ones, where to rewind to."""

    size: int
    items: list[T]
    dead: list[ErrorEnvelope]
    first_offsets: dict[TopicPartition, int]


def poll_batch(
    consumer: KafkaConsumer,
    max_records: int,
    parse: Callable[[bytes], T],
    stage: str,
    dlq_topic: str,
) -> Batch[T]:
    """Poll up to ``max_records`` and decode them; a PoisonMessage becomes a dead-letter
    envelope naming the message (topic, partition, offset) and the field at fault."""
    polled = consumer.poll(timeout_ms=1000, max_records=max_records)
    records = [r for batch in polled.values() for r in batch]
    items: list[T] = []
    dead: list[ErrorEnvelope] = []
    for r in records:
        source = f"{r.topic}[{r.partition}]@{r.offset}"
        try:
            items.append(parse(r.value))
        except PoisonMessage as exc:
            log.error("message %s: %s; sent to %s", source, exc, dlq_topic)
            key = r.key.decode(errors="replace") if r.key else None
            dead.append(ErrorEnvelope.wrap(stage, exc, source, r.value or b"", key))
    first_offsets = {tp: batch[0].offset for tp, batch in polled.items() if batch}
    return Batch(len(records), items, dead, first_offsets)


def retry_delay(retries: int) -> float:
    """Seconds to wait before the ``retries``-th retry in a row: 2, 4, 8, 16, then 30."""
    return min(30.0, 2.0 ** min(retries, 5))


def retry_batch(
    consumer: KafkaConsumer,
    batch: Batch[Any],
    retries: int,
    error: Exception,
    wait: Callable[[float], object] = time.sleep,
) -> None:
    """A transient failure: log it, rewind to the batch's first offsets and back off, so the
    next poll returns the same messages (nothing was committed)."""
    log.warning("%s; will retry the batch of %d", error, batch.size)
    rewind(consumer, batch.first_offsets)
    wait(retry_delay(retries))


def dead_letter(producer: KafkaProducer, topic: str, envelopes: list[ErrorEnvelope]) -> None:
    """Publish error envelopes (keyed by their message's key) and wait for the acks."""
    if envelopes:
        send_all(
            producer, topic, [((e.key or "").encode() or None, e.to_json()) for e in envelopes]
        )
