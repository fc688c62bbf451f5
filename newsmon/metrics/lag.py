"""Consumer lag per topic and group, computed at scrape time: from Kafka (end offsets against
the groups' committed offsets) or from the embedded local log.

A scrape must answer while Kafka is down: the Kafka look-up runs in a daemon thread with a
deadline of :data:`SCRAPE_TIMEOUT` (and the client's own timeouts as short), and when it
misses, the lag series are left out and ``newsmon_scrape_errors_total{source="kafka"}`` goes
up, so an alert can tell "no lag" from "could not look".
"""

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError
from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from contract import NewsmonError
from newsmon.embedded.local_log import LocalLog
from newsmon.settings import Settings

log = logging.getLogger(__name__)

SCRAPE_TIMEOUT = 2.0
"""Seconds a scrape waits for Kafka (or the local log's write lock) before it gives up."""

LAG_HELP = "Messages of a topic its consumer group has not committed yet."

T = TypeVar("T")


def consumed(settings: Settings) -> list[tuple[str, str]]:
    """(topic, consumer group id) of every consuming stage, as the runners name them
    (``<group_prefix>-<stage>``; the faust processor's app id is the same group)."""
    prefix = settings.group_prefix
    return [
        (settings.topic_polled, f"{prefix}-fulltext"),
        (settings.topic_raw, f"{prefix}-processor"),
        (settings.topic_replay, f"{prefix}-processor"),
        (settings.topic_enriched, f"{prefix}-indexer"),
        (settings.topic_enriched, f"{prefix}-alerter"),
        (settings.topic_alerts, f"{prefix}-notifier"),
    ]


def _lag_family(values: Iterable[tuple[str, str, int]]) -> GaugeMetricFamily:
    family = GaugeMetricFamily("newsmon_consumer_lag_messages", LAG_HELP, labels=["topic", "group"])
    for topic, group, lag in values:
        family.add_metric([topic, group], lag)
    return family


class LocalLogLag(Collector):
    """Lag of each (topic, group) in the embedded local log at ``path`` (nothing before the
    file exists: no run has written to it yet)."""

    def __init__(self, path: Path, pairs: Sequence[tuple[str, str]], errors: "Counter") -> None:
        self.path, self.pairs, self.errors = path, pairs, errors

    def collect(self) -> Iterable[Metric]:
        values: list[tuple[str, str, int]] = []
        if self.path.exists():
            try:
                with LocalLog(self.path, busy_timeout=SCRAPE_TIMEOUT) as local:
                    values = [(t, g, local.lag(t, g)) for t, g in self.pairs]
            except NewsmonError as exc:
                self.errors.labels("local_log").inc()
                log.warning("metrics: consumer lag from %s left out: %s", self.path, exc)
        yield _lag_family(values)


def _admin(bootstrap: str, timeout_ms: int) -> KafkaAdminClient:
    """An admin client, or the KafkaError of its bootstrap. kafka-python (3.0) starts the
    client's IO thread before it bootstraps and leaves it running when the bootstrap fails;
    it is stopped here, or each scrape while Kafka is down would leave a thread behind."""
    admin = KafkaAdminClient.__new__(KafkaAdminClient)
    try:
        admin.__init__(
            bootstrap_servers=bootstrap.split(","),
            client_id="newsmon-metrics",
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
        )
    except KafkaError:
        if hasattr(admin, "_net"):  # the IO thread was started
            admin._closed = False
            admin.close()
        raise
    return admin


def kafka_lag(
    bootstrap: str, pairs: Sequence[tuple[str, str]], timeout: float = SCRAPE_TIMEOUT
) -> list[tuple[str, str, int]]:
    """(topic, group, lag) summed over the topic's partitions, for the topics that exist. A
    partition the group never committed on counts from its earliest retained offset (the
    stages' consumers start there).

    Raises:
        KafkaError: the broker did not answer in time, or refused a request.
    """
    admin = _admin(bootstrap, int(timeout * 1000))
    try:
        wanted = sorted({topic for topic, _ in pairs})
        partitions = {
            d["name"]: [TopicPartition(d["name"], p["partition_index"]) for p in d["partitions"]]
            for d in admin.describe_topics(wanted)
            if d["error_code"] == 0 and d["partitions"]
        }
        every = [tp for tps in partitions.values() for tp in tps]
        ends = admin.list_partition_offsets(dict.fromkeys(every, OffsetSpec.LATEST))
        starts = admin.list_partition_offsets(dict.fromkeys(every, OffsetSpec.EARLIEST))
        result = []
        for topic, group in pairs:
            if topic not in partitions:
                continue
            committed = admin.list_group_offsets({group: partitions[topic]})[group]
            lag = 0
            for tp in partitions[topic]:
                done = committed[tp].offset if tp in committed else -1
                lag += ends[tp].offset - (done if done >= 0 else starts[tp].offset)
            result.append((topic, group, lag))
        return result
    finally:
        admin.close()


def with_deadline(work: Callable[[], T], timeout: float, name: str) -> T:
    """``work()`` in a daemon thread; its result, or :class:`TimeoutError` after ``timeout``
    seconds (the thread is left to finish on its client's own timeouts)."""
    box: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    thread.join(timeout)
    if failure:
        raise failure[0]
    if not box:
        raise TimeoutError(f"{name}: no answer within {timeout:.1f}s")
    return box[0]


class KafkaLag(Collector):
    """Lag of each (topic, group) on the Kafka cluster at ``bootstrap``."""

    def __init__(
        self,
        bootstrap: str,
        pairs: Sequence[tuple[str, str]],
        errors: "Counter",
        timeout: float = SCRAPE_TIMEOUT,
    ) -> None:
        self.bootstrap, self.pairs, self.errors, self.timeout = bootstrap, pairs, errors, timeout

    def collect(self) -> Iterable[Metric]:
        values: list[tuple[str, str, int]] = []
        try:
            values = with_deadline(
                lambda: kafka_lag(self.bootstrap, self.pairs, self.timeout),
                self.timeout + 0.5,
                "newsmon-metrics-kafka-lag",
            )
        except (KafkaError, TimeoutError) as exc:
            self.errors.labels("kafka").inc()
            log.warning("metrics: consumer lag from Kafka %s left out: %s", self.bootstrap, exc)
        yield _lag_family(values)
