"""Alert delivery: webhooks (signed), Slack, email and Kafka, immediately or in digests.

:class:`Notifier` holds the rules (exactly once per alert and channel, updates not re-pushed,
quiet hours, daily caps, digests) and keeps its state in a :class:`DeliveryLog`; the senders
deliver one :class:`Notice` each, with shared retries, and raise :class:`SendFailed` when they
give up. ``newsmon.runners.notify`` wires them to the ``news.alerts`` topic.
"""

from sinks.notify.console import ConsoleSender
from sinks.notify.delivery_log import Delivery, DeliveryLog
from sinks.notify.email import EmailSender, SmtpConfig
from sinks.notify.errors import DeliveryFailed, DeliveryInterrupted, SendFailed
from sinks.notify.kafka_out import KafkaSender
from sinks.notify.notice import Notice, digest_id
from sinks.notify.notifier import Notifier, Outcome
from sinks.notify.pending import Claim, PendingItem
from sinks.notify.retry import RetryPolicy
from sinks.notify.senders import Sender, Senders
from sinks.notify.slack import SlackSender
from sinks.notify.webhook import WebhookSender, sign, verify_signature

__all__ = [
    "Claim",
    "ConsoleSender",
    "Delivery",
    "DeliveryFailed",
    "DeliveryInterrupted",
    "DeliveryLog",
    "EmailSender",
    "KafkaSender",
    "Notice",
    "Notifier",
    "Outcome",
    "PendingItem",
    "RetryPolicy",
    "SendFailed",
    "Sender",
    "Senders",
    "SlackSender",
    "SmtpConfig",
    "WebhookSender",
    "digest_id",
    "sign",
    "verify_signature",
]
