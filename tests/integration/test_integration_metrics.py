"""Consumer lag on the real broker: end offsets against a group's committed offsets, summed
over partitions, as a ``/metrics`` scrape reports it."""

import uuid

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from local_stack import Stack
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from newsmon.metrics.http import scrape_registry
from newsmon.settings import Settings


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
