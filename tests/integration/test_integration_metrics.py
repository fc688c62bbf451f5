"""Metrics on the real stack: consumer lag (end offsets against a group's committed offsets,
summed over partitions) as a ``/metrics`` scrape reports it, and a cluster stage worker's own
``/metrics`` (``NEWSMON_METRICS_PORT``)."""

import socket
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from local_stack import AppConfig, Stack, stop_process, wait_for
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from contract import Article
from newsmon.metrics.http import scrape_registry
from newsmon.settings import Settings
from processors.enrich import Enricher


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_lag_is_what_the_group_has_not_committed(stack: Stack) -> None:
    uid = uuid.uuid4().hex[:10]
    topic, prefix = f"test-{uid}.news.alerts", f"test-{uid}"
    admin = KafkaAdminClient(bootstrap_servers=[stack.kafka_bootstrap])
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=[stack.kafka_bootstrap], acks="all")
    for i in range(7):  # 5 on partition 0, 2 on partition 1
        producer.send(topic, value=f"alert {i}".encode(), partition=0 if i < 5 else 1)
    producer.flush()
    producer.close()

    group = f"{prefix}-notifier"
    consumer = KafkaConsumer(
        bootstrap_servers=[stack.kafka_bootstrap], group_id=group, enable_auto_commit=False
    )
    # 3 of partition 0 done; nothing committed on partition 1 (it counts from its start)
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(3, "", -1)})
    consumer.close()

    settings = Settings(
        kafka_bootstrap=stack.kafka_bootstrap,
        es_url=stack.es_url,
        topic_alerts=topic,
        group_prefix=prefix,
        topic_polled=f"test-{uid}.absent",  # topics that do not exist are left out
        topic_raw=f"test-{uid}.absent",
        topic_replay=f"test-{uid}.absent",
        topic_enriched=f"test-{uid}.absent",
    )
    text = generate_latest(scrape_registry(settings, "cluster")).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    lag = {
        (s.labels["topic"], s.labels["group"]): s.value
        for s in families["newsmon_consumer_lag_messages"].samples
    }
    assert lag == {(topic, group): 4}
    assert families["newsmon_scrape_errors"].samples == []


def test_a_stage_worker_serves_its_own_counters(
    app_config: Callable[..., AppConfig], enricher: Enricher, make_article: Callable[..., Article]
) -> None:
    port = free_port()
    config = app_config(metrics_port=str(port))
    articles = enricher.enrich_batch(
        [make_article(url=f"https://example.com/m/{i}", title=f"Truce talks {i}") for i in range(3)]
    )
    producer = KafkaProducer(bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"], acks="all")
    for a in articles:
        producer.send(config.env["NEWSMON_TOPIC_ENRICHED"], key=a.id.encode(), value=a.to_json())
    producer.send(config.env["NEWSMON_TOPIC_ENRICHED"], key=b"bad", value=b"{not json")
    producer.flush()
    producer.close()
    log = Path(config.env["NEWSMON_DATA_DIR"]) / "index.out"
    log.parent.mkdir(parents=True, exist_ok=True)
    worker = config.start("index", log=log)
    url = f"http://127.0.0.1:{port}/metrics"

    def counted() -> dict[tuple[str, str], float] | None:
        if worker.poll() is not None:
            pytest.fail(f"newsmon index exited {worker.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                text = response.read().decode()
        except OSError:  # not listening yet
            return None
        values = {
            (s.name, s.labels.get("stage", "")): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        return values if values.get(("newsmon_articles_total", "indexed")) == 3 else None

    try:
        values = wait_for(counted, 120, f"3 articles indexed at {url}")
    finally:
        stop_process(worker, log)
    assert isinstance(values, dict)
    assert values[("newsmon_dead_letters_total", "index")] == 1
    assert values[("newsmon_batch_duration_seconds_count", "index")] >= 1
    assert ("newsmon_consumer_lag_messages", "") not in values  # newsmon api's, not a worker's
