"""``newsmon notify``: ``news.alerts`` -> webhooks, Slack, email and Kafka (``sinks.notify``).

Each loop polls a batch, hands every alert to the :class:`~sinks.notify.Notifier` (which logs
each delivery in SQLite as it happens), dead-letters undecodable messages, and only then commits
the offsets; then it sends the digests that are due. A crash anywhere means redelivery, and the
delivery log turns redelivery into "already sent" -- no alert reaches a channel twice, none is
lost. Alerts that fail for good are put on the dead-letter topic before they are logged dead.
"""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from contract import Alert, ErrorEnvelope, Subscription, TransientError
from newsmon.backends import Backends
from newsmon.batches import dead_letter, poll_batch, retry_batch, retry_delay, run_stage
from newsmon.http_client import guarded_client
from newsmon.metrics import stages as metrics
from newsmon.settings import Settings
from newsmon.transport import Consumer, Producer
from sinks.notify import (
    ConsoleSender,
    DeliveryFailed,
    DeliveryInterrupted,
    DeliveryLog,
    EmailSender,
    KafkaSender,
    Notifier,
    RetryPolicy,
    Senders,
    SlackSender,
    SmtpConfig,
    WebhookSender,
)

log = logging.getLogger(__name__)

STAGE = "sinks.notify"
DELIVERY_LOG_KEEP = timedelta(days=30)
"""Kafka keeps alerts 7 days by default; a redelivery older than this cannot happen."""


@dataclass
class NotifyStats:
    """Running totals: alerts read, undecodable ones, and outcomes by status."""

    received: int = 0
    poison: int = 0
    retries: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def count(self, status: str) -> int:
        """Outcomes with ``status`` so far (``sent``, ``dead``, ``capped``, ...)."""
        return self.outcomes[status]


def _interruptible_sleep(stop: threading.Event) -> Callable[[float], None]:
    """A sleep for retry backoffs that abandons the delivery when ``stop`` is set."""

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise DeliveryInterrupted("stopping: the delivery is abandoned and will be redone")

    return sleep


def build_notifier(
    settings: Settings,
    get_subscription: Callable[[str], Subscription | None],
    delivery_log: DeliveryLog,
    producer: Producer,
    client: httpx.Client,
    stop: threading.Event,
    console: Callable[[str], None] = print,
) -> Notifier:
    """The notifier with every sender configured from ``settings``.

    Args:
        console: where console channels write (``newsmon run`` prints above its status line).
    """
    sleep = _interruptible_sleep(stop)
    smtp = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )
    policy = RetryPolicy(backoff=settings.webhook_backoff)
    senders = Senders(
        webhook=WebhookSender(
            client, settings.user_agent, backoff=settings.webhook_backoff, sleep=sleep
        ),
        slack=SlackSender(client, settings.user_agent, policy=policy, sleep=sleep),
        email=EmailSender(smtp, policy=policy, sleep=sleep),
        kafka=KafkaSender(producer),
        console=ConsoleSender(console),
    )

    def undeliverable(alert: Alert, error: DeliveryFailed) -> None:
        source = f"{settings.topic_alerts} subscription {error.subscription_id}"
        envelope = ErrorEnvelope.wrap(STAGE, error, source, alert.to_json(), alert.alert_id)
        dead_letter(producer, settings.topic_dlq, [envelope])

    return Notifier(delivery_log, senders, get_subscription, dead_letter=undeliverable)


def _handle_all(
    notifier: Notifier, alerts: list[Alert], pool: ThreadPoolExecutor | None
) -> list[str]:
    """Deliver a batch: subscriptions side by side, each one's alerts in order.

    One subscription's alerts stay sequential (versions of a story, its daily cap); different
    subscriptions go to different endpoints, so a slow webhook does not hold up the others.
    """
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(alert.subscription_id, []).append(alert)

    def run(group: list[Alert]) -> list[str]:
        return [outcome.status for alert in group for outcome in notifier.handle(alert)]

    if pool is None or len(groups) < 2:
        return [status for group in groups.values() for status in run(group)]
    return [status for statuses in pool.map(run, groups.values()) for status in statuses]


def notify_once(
    consumer: Consumer,
    notifier: Notifier,
    producer: Producer,
    stats: NotifyStats,
    settings: Settings,
    stop: threading.Event,
    pool: ThreadPoolExecutor | None = None,
) -> int:
    """Poll one batch, deliver it, dead-letter what is undecodable, commit, send due digests.

    Returns:
        The number of messages handled (0 when the topic is idle).
    """
    batch = poll_batch(
        consumer, settings.notify_batch_size, Alert.from_json, STAGE, settings.topic_dlq
    )
    started = time.perf_counter()
    try:
        statuses = _handle_all(notifier, batch.items, pool)
        stats.outcomes.update(statuses)
        dead_letter(producer, settings.topic_dlq, batch.dead)
        if batch.size:
            stats.received += len(batch.items)
            stats.poison += len(batch.dead)
            consumer.commit()
            metrics.count_alerts("notified", len(batch.items))
            metrics.count_dead("notify", len(batch.dead) + statuses.count("dead"))
            metrics.batch_done("notify", started)
    except TransientError as exc:
        stats.retries += 1
        retry_batch(consumer, batch.records, stats.retries, exc, wait=stop.wait)
        return batch.size
    try:
        for outcome in notifier.flush_due(datetime.now(UTC)):
            stats.outcomes[outcome.status] += 1
    except TransientError as exc:  # the items stay pending (a claim is released on the way out)
        stats.retries += 1
        log.warning("%s; will retry the due digests", exc)
        stop.wait(retry_delay(stats.retries))
        return batch.size
    stats.retries = 0
    return batch.size


def run_notifier(
    settings: Settings,
    stop: threading.Event,
    backends: Backends,
    get_subscription: Callable[[str], Subscription | None],
    until_idle: bool = False,
    on_progress: Callable[[NotifyStats], None] | None = None,
    console: Callable[[str], None] = print,
) -> NotifyStats:
    """Deliver alerts until ``stop`` is set (or the topic is idle, with ``until_idle``).

    ``get_subscription`` returns the subscription by id, or ``None`` when it does not exist; it
    should raise :class:`contract.TransientError` when it cannot tell (the batch is retried).
    """
    transport = backends.transport()
    transport.setup()
    delivery_log = DeliveryLog(settings.notify_db)
    # Deliveries older than the topic can hold are no longer needed to stop a resend.
    pruned = delivery_log.prune(datetime.now(UTC) - DELIVERY_LOG_KEEP)
    if pruned:
        log.info("pruned %d delivery log rows older than %s", pruned, DELIVERY_LOG_KEEP)
    consumer = transport.consumer(
        settings.topic_alerts,
        "notifier",
        settings.notify_batch_size,
        # a batch to a dead endpoint retries with backoff: keep the partitions meanwhile
        max_poll_interval=1800.0,
    )
    # no linger: a Kafka-channel delivery waits for its ack before it is logged as sent
    producer = transport.producer(linger_ms=0)
    pool = ThreadPoolExecutor(settings.notify_concurrency, thread_name_prefix="notify")
    # webhooks and Slack follow the feeds' address rule: no loopback, LAN or metadata targets
    client = guarded_client(
        settings.address_policy(), timeout=settings.fetch_timeout, follow_redirects=False
    )
    notifier = build_notifier(
        settings, get_subscription, delivery_log, producer, client, stop, console
    )
    stats = NotifyStats()
    started = time.monotonic()
    try:
        run_stage(
            lambda: notify_once(consumer, notifier, producer, stats, settings, stop, pool),
            consumer,
            stop,
            until_idle,
            on_progress and (lambda: on_progress(stats)),
        )
    except DeliveryInterrupted as exc:
        log.info("%s", exc)
    finally:
        pool.shutdown(wait=True)
        consumer.close()
        producer.close()
        client.close()
        delivery_log.close()
    log.info(
        "notifier stopped after %.0f s: %d alert(s), %d undecodable, outcomes %s",
        time.monotonic() - started,
        stats.received,
        stats.poison,
        dict(stats.outcomes),
    )
    return stats
