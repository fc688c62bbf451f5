"""Kafka-channel delivery with a stand-in producer (the real broker is for tests/integration)."""

from collections.abc import Callable, Sequence

import orjson
import pytest

from contract import Alert, KafkaChannel, Subscription, TransientError
from sinks.notify import KafkaSender, Notice, SendFailed


class Producer:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[str, bytes | None, bytes]] = []

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        if self.error is not None:
            raise self.error
        self.sent.extend((topic, key, value) for key, value in messages)


def test_produces_the_payload_keyed_by_alert_id(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    producer = Producer()
    alert = make_alert()
    KafkaSender(producer).send(
        Notice.single(make_subscription(), alert), KafkaChannel(topic="desk.alerts")
    )
    [(topic, key, value)] = producer.sent
    assert (topic, key) == ("desk.alerts", alert.alert_id.encode())
    assert orjson.loads(value)["event"] == "alert"


def test_an_unacknowledged_send_fails_typed(
    make_alert: Callable[..., Alert], make_subscription: Callable[..., Subscription]
) -> None:
    sender = KafkaSender(Producer(TransientError("Kafka did not acknowledge desk.alerts")))
    with pytest.raises(SendFailed, match=r"kafka topic desk\.alerts: Kafka did not acknowledge"):
        sender.send(
            Notice.single(make_subscription(), make_alert()), KafkaChannel(topic="desk.alerts")
        )
