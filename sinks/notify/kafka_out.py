"""Kafka delivery: the canonical JSON payload to the channel's topic, keyed by the notice id.

The producer is passed in (newsmon's transport: Kafka with ``acks=all``, or the embedded local
log under the same topic names); ``send_all`` returns once the message is durable, so "sent" in
the delivery log means "on the topic". The producer retries on its own, so a failure here is
final for this delivery.
"""

from collections.abc import Sequence
from typing import Protocol

from contract import KafkaChannel, TransientError
from sinks.notify.errors import SendFailed
from sinks.notify.notice import Notice
from sinks.notify.payload import payload_bytes


class Producer(Protocol):
    """The part of newsmon's transport producer used here."""

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Produce ``(key, value)`` messages and wait until they are durable."""


class KafkaSender:
    """Delivers notices to :class:`contract.KafkaChannel` topics."""

    def __init__(self, producer: Producer) -> None:
        self.producer = producer

    def send(self, notice: Notice, channel: KafkaChannel) -> int:
        """Produce ``notice`` and wait for the ack; return 1 (the producer retried inside).

        Raises:
            SendFailed: the message could not be made durable.
        """
        try:
            self.producer.send_all(channel.topic, [(notice.id.encode(), payload_bytes(notice))])
        except TransientError as exc:
            raise SendFailed(f"kafka topic {channel.topic}: {exc}", 1, permanent=False) from exc
        return 1
