"""The local stack: real Kafka, Elasticsearch and the percolator node answer on the test ports."""

import re
import uuid

from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from local_stack import Stack


def test_status_reports_both_services_up(stack: Stack) -> None:
    status = stack.run("status")
    assert status.returncode == 0, status.stderr
    assert "127.0.0.1:19092" in status.stdout + status.stderr
    assert "127.0.0.1:19200" in status.stdout + status.stderr
    assert "NEWSMON_PERCOLATOR_URL=http://127.0.0.1:19201" in status.stdout


def _pids(status: str) -> list[str]:
    return re.findall(r"\(pid (\d+)", status)


def test_up_when_already_up_is_a_no_op(stack: Stack) -> None:
    before = _pids(stack.run("status").stdout)
    again = stack.run("up")
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stderr
    assert len(before) == 3  # kafka, elasticsearch, the percolator node
    assert _pids(stack.run("status").stdout) == before


def test_elasticsearch_is_8x_and_healthy(es: Elasticsearch) -> None:
    health = es.cluster.health(wait_for_status="yellow", timeout="30s")
    assert health["status"] in ("green", "yellow")
    nodes = es.nodes.info(metric="plugins")["nodes"]
    assert all(n["version"].startswith("8.") for n in nodes.values())


def test_the_percolator_node_has_the_percolator_module(percolator: Elasticsearch) -> None:
    nodes = percolator.nodes.info(metric="plugins")["nodes"]
    modules = {m["name"] for n in nodes.values() for m in n["modules"]}
    assert "percolator" in modules
    assert percolator.cluster.health(wait_for_status="yellow", timeout="30s")["status"] in (
        "green",
        "yellow",
    )


def test_kafka_round_trip(stack: Stack) -> None:
    topic = f"test-roundtrip-{uuid.uuid4().hex[:8]}"
    producer = KafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    producer.send(topic, key=b"k", value=b"hello").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=20_000,
        group_id=f"g-{topic}",
    )
    values = []
    for record in consumer:
        values.append(record.value)
        break
    consumer.close()
    assert values == [b"hello"]
