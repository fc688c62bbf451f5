"""Kafka as newsmon's transport: kafka-python clients configured the way newsmon needs them,
topic creation, and adapters to :mod:`newsmon.transport`'s consumer and producer."""

import logging
import time
from collections.abc import Sequence

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError

from contract import TransientError
from newsmon.settings import Settings
from newsmon.transport import Record

log = logging.getLogger(__name__)


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
    bootstrap: str,
    topic: str | Sequence[str],
    group: str,
    max_records: int,
    max_poll_interval: float = 300.0,
) -> KafkaConsumer:
    """A consumer whose offsets are committed by the caller, after the work is done.

    Args:
        max_poll_interval: seconds a batch may take before the group hands its partitions to
            another member (the notifier's retries with backoff need more than the default).
    """
    topics = [topic] if isinstance(topic, str) else list(topic)
    try:
        consumer = KafkaConsumer(
            *topics,
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
    await_metadata(consumer, topics)
    return consumer


METADATA_WAIT = 10.0
"""Seconds a new consumer waits for its topics' partitions to be known."""


def await_metadata(consumer: KafkaConsumer, topics: Sequence[str]) -> None:
    """Wait until the client knows the partitions of ``topics`` before the first poll joins
    the group: a member that joins while a topic just created is not in its metadata yet is
    assigned nothing, and kafka-python did not always rebalance afterwards (the processor then
    waited for ever). Gives up quietly after :data:`METADATA_WAIT` (the join then goes ahead,
    as before)."""
    deadline = time.monotonic() + METADATA_WAIT
    missing = list(topics)
    while missing and time.monotonic() < deadline:
        try:
            missing = [t for t in missing if not consumer.partitions_for_topic(t)]
        except KafkaError as exc:
            log.debug("metadata of %s not yet known: %s", missing, exc)
        if missing:
            time.sleep(0.1)
    if missing:
        log.warning("Kafka: no partitions known yet for %s; joining the group anyway", missing)


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
    producer: KafkaProducer, topic: str, messages: Sequence[tuple[bytes | None, bytes]]
) -> None:
    """Produce ``(key, value)`` messages and wait until the broker acknowledged every one.

    Raises:
        TransientError: a message was not acknowledged.
    """
    try:
        futures = [producer.send(topic, key=key, value=value) for key, value in messages]
        producer.flush()
        for future in futures:
            future.get(timeout=30)
    except KafkaError as exc:
        raise TransientError(f"Kafka did not acknowledge {topic}: {exc!r}") from exc


class KafkaTopicConsumer:
    """A :class:`newsmon.transport.Consumer` over kafka-python (commits are the caller's)."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self.consumer = consumer

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Up to ``max_records`` records, waiting up to ``timeout`` seconds."""
        polled = self.consumer.poll(timeout_ms=int(timeout * 1000), max_records=max_records)
        return [
            Record(r.topic, r.partition, r.offset, r.key, r.value)
            for batch in polled.values()
            for r in batch
        ]

    def commit(self) -> None:
        """Commit what was polled; a refused commit (rebalance) means redelivery, not loss."""
        try:
            self.consumer.commit()
        except CommitFailedError as exc:
            # The group rebalanced mid-batch: the new owner redelivers, every stage is idempotent.
            log.warning("offset commit refused (%s); the batch will be redelivered", exc)

    def rewind(self, records: Sequence[Record]) -> None:
        """Seek each partition back to the first offset of ``records``."""
        first: dict[TopicPartition, int] = {}
        for r in records:
            first.setdefault(TopicPartition(r.topic, r.partition), r.offset)
        for tp, offset in first.items():
            self.consumer.seek(tp, offset)

    def caught_up(self) -> bool:
        """Assigned partitions, each read up to its end offset."""
        assigned = self.consumer.assignment()
        if not assigned:
            return False
        try:
            ends = self.consumer.end_offsets(list(assigned))
            return all(self.consumer.position(tp) >= ends[tp] for tp in assigned)
        except KafkaError as exc:
            raise TransientError(f"Kafka: reading the end offsets: {exc!r}") from exc

    def close(self) -> None:
        """Leave the group without committing."""
        self.consumer.close(autocommit=False)


class KafkaTopicProducer:
    """A :class:`newsmon.transport.Producer` over kafka-python."""

    def __init__(self, producer: KafkaProducer) -> None:
        self.producer = producer

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Produce and wait for every acknowledgement (see :func:`send_all`)."""
        send_all(self.producer, topic, messages)

    def close(self) -> None:
        """Flush and close."""
        self.producer.close(timeout=10)


class KafkaTransport:
    """Kafka as newsmon's transport: topics created on first use, clients per stage."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def setup(self) -> None:
        """Create the topics (and fail clearly when no broker answers)."""
        ensure_topics(self.settings)

    def producer(self, linger_ms: int = 20) -> KafkaTopicProducer:
        """A producer (``linger_ms=0`` where each send is awaited on its own)."""
        return KafkaTopicProducer(make_producer(self.settings.kafka_bootstrap, linger_ms))

    def consumer(
        self,
        topic: str | Sequence[str],
        group: str,
        max_records: int,
        max_poll_interval: float = 300.0,
    ) -> KafkaTopicConsumer:
        """A consumer of ``topic`` (or several) in group ``<group_prefix>-<group>``."""
        return KafkaTopicConsumer(
            make_consumer(
                self.settings.kafka_bootstrap,
                topic,
                f"{self.settings.group_prefix}-{group}",
                max_records,
                max_poll_interval,
            )
        )
