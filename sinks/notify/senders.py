"""The sender interface and the dispatch from a channel to the sender of its type."""

from dataclasses import dataclass
from typing import Protocol, TypeVar

from contract import (
    AnyChannel,
    ConsoleChannel,
    EmailChannel,
    KafkaChannel,
    SlackChannel,
    WebhookChannel,
)
from sinks.notify.errors import SendFailed
from sinks.notify.notice import Notice

C = TypeVar("C", contravariant=True)


class Sender(Protocol[C]):
    """Delivers a notice to one channel; returns the attempts made, raises ``SendFailed``."""

    def send(self, notice: Notice, channel: C) -> int:
        """Deliver ``notice`` to ``channel``."""
        ...


@dataclass
class Senders:
    """One sender per channel type; a missing one makes that type's deliveries fail for good."""

    webhook: Sender[WebhookChannel] | None = None
    slack: Sender[SlackChannel] | None = None
    email: Sender[EmailChannel] | None = None
    kafka: Sender[KafkaChannel] | None = None
    console: Sender[ConsoleChannel] | None = None

    def send(self, notice: Notice, channel: AnyChannel) -> int:
        """Dispatch on the channel's type.

        Raises:
            SendFailed: from the sender, or at once when no sender handles this type.
        """
        if isinstance(channel, WebhookChannel) and self.webhook is not None:
            return self.webhook.send(notice, channel)
        if isinstance(channel, SlackChannel) and self.slack is not None:
            return self.slack.send(notice, channel)
        if isinstance(channel, EmailChannel) and self.email is not None:
            return self.email.send(notice, channel)
        if isinstance(channel, KafkaChannel) and self.kafka is not None:
            return self.kafka.send(notice, channel)
        if isinstance(channel, ConsoleChannel) and self.console is not None:
            return self.console.send(notice, channel)
        raise SendFailed(f"no {channel.type} sender is configured", 0, permanent=True)
