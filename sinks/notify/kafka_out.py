"""Kafka delivery: the canonical JSON payload to the channel's topic, keyed by the notice id.

The producer is passed in (kafka-python, ``acks=all`` as newsmon builds it); each send waits for
the broker's acknowledgement, so "sent" in the delivery log means "on the topic". The
producer retries on its own, so a failure here is final for this delivery.
"""

from typing import Any, Protocol

from kafka.errors import KafkaError

from contract import KafkaChannel
from sinks.notify.errors import SendFailed
from sinks.notify.notice import Notice
from sinks.notify.payload import payload_bytes


class Producer(Protocol):
    """The part of ``kafka.KafkaProducer`` used here."""

    def send(self, topic: str, value: bytes | None = ..., key: bytes | None = ...) -> Any:
        """Queue a record; returns a future with ``get(timeout)``."""


class KafkaSender:
    """Delivers notices to :class:`contract.KafkaChannel` topics."""

    def __init__(self, producer: Producer, timeout: float = 30.0) -> None:
        self.producer = producer
        self.timeout = timeout

    def send(self, notice: Notice, channel: KafkaChannel) -> int:
        """Produce ``notice`` and wait for the ack; return 1 (the producer retried inside).

        Raises:
            SendFailed: the broker did not acknowledge within ``timeout``.
        """
        try:
            future = self.producer.send(
                channel.topic, value=payload_bytes(notice), key=notice.id.encode()
            )
            future.get(timeout=self.timeout)
        except (KafkaError, TimeoutError) as exc:
            reason = f"kafka topic {channel.topic}: {type(exc).__name__}: {exc}"
            raise SendFailed(reason, 1, permanent=False) from exc
        return 1
