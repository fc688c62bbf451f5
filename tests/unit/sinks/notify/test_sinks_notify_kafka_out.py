"""Kafka delivery with a stand-in producer (the real broker is for tests/integration)."""

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from kafka.errors import KafkaTimeoutError

from contract import Alert, KafkaChannel, Subscription
from sinks.notify import KafkaSender, Notice, SendFailed


class Future:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.waited: float | None = None

    def get(self, timeout: float) -> None:
        self.waited = timeout
        if self.error is not None:
            raise self.error


class Producer:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[dict[str, Any]] = []
        self.futures: list[Future] = []

    def send(self, topic: str, value: bytes | None = None, key: bytes | None = None) -> Future:
        self.sent.append({"topic": topic, "key": key, "value": value})
        self.futures.append(Future(self.error))
        return self.futures[-1]


def test_produces_the_payload_keyed_by_alert_id_and_waits_for_the_ack(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    producer = Producer()
    alert = make_alert()
    KafkaSender(producer, timeout=7).send(
        Notice.single(make_subscription(), alert), KafkaChannel(topic="desk.alerts")
    )
    [record] = producer.sent
    assert (record["topic"], record["key"]) == ("desk.alerts", alert.alert_id.encode())
    assert orjson.loads(record["value"])["event"] == "alert"
    assert producer.futures[0].waited == 7


def test_an_unacknowledged_send_fails_typed(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    sender = KafkaSender(Producer(KafkaTimeoutError("no ack")))
    with pytest.raises(SendFailed, match=r"kafka topic desk\.alerts: KafkaTimeoutError"):
        sender.send(
            Notice.single(make_subscription(), make_alert()), KafkaChannel(topic="desk.alerts")
        )
