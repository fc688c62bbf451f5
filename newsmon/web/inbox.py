"""The alert inbox: each alert, and what became of it on each of its subscription's channels
(delivered, held for a digest or quiet hours until when, failed), from the notifier's
delivery log (``notify.sqlite3`` in the data dir, both modes)."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contract import Alert, Subscription
from contract.subscription import channel_key
from newsmon.backends import AlertRecorder, Subscriptions
from sinks.notify.delivery_log import Delivery, DeliveryLog
from sinks.notify.pending import PendingItem

INBOX = 30


@dataclass(frozen=True)
class ChannelState:
    """One channel's outcome for one alert: ``state`` is a CSS-friendly word."""

    channel: str
    state: str  # delivered | held | failed | capped | skipped | waiting
    text: str


@dataclass(frozen=True)
class InboxRow:
    """An alert and its channels' states."""

    alert: Alert
    channels: list[ChannelState]


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def channel_state(
    name: str, delivery: Delivery | None, pending: PendingItem | None
) -> ChannelState:
    """The state of one channel: its delivery record first, else the digest queue."""
    if delivery is not None:
        if delivery.status == "sent":
            how = " in a digest" if delivery.via else ""
            return ChannelState(name, "delivered", f"delivered{how} {_when(delivery.last_at)}")
        if delivery.status == "dead":
            why = f": {delivery.detail}" if delivery.detail else ""
            return ChannelState(name, "failed", f"failed after {delivery.attempts} attempt(s){why}")
        if delivery.status == "capped":
            return ChannelState(name, "capped", "not sent: over the daily cap")
        return ChannelState(name, "skipped", f"skipped: {delivery.detail or 'subscription off'}")
    if pending is not None:
        why = "quiet hours" if pending.reason == "quiet" else "a digest"
        return ChannelState(name, "held", f"held for {why} until {_when(pending.due_at)}")
    return ChannelState(name, "waiting", "not delivered yet")


def _states(
    alert: Alert, subscription: Subscription | None, log: DeliveryLog | None
) -> list[ChannelState]:
    if log is None:
        return [ChannelState("-", "waiting", "no delivery log yet (the notifier has not run)")]
    done = log.deliveries(alert.alert_id)
    pending = {p.alert_id: p for p in log.pending_items(alert.subscription_id)}
    held = pending.get(alert.alert_id)
    if subscription is None:
        skipped = done.get("-")
        text = skipped.detail if skipped else "subscription removed"
        return [ChannelState("-", "skipped", f"skipped: {text}")]
    return [
        channel_state(f"{channel.type}", done.get(channel_key(i, channel)), held)
        for i, channel in enumerate(subscription.channels)
    ]


def inbox(
    alerts: AlertRecorder, subscriptions: Subscriptions, notify_db: Path, size: int = INBOX
) -> list[InboxRow]:
    """The newest alerts with their delivery states (the log is only read if it exists)."""
    found = alerts.search(size=size)
    log = DeliveryLog(notify_db) if notify_db.exists() else None
    known: dict[str, Subscription | None] = {}
    rows = []
    try:
        for alert in found:
            if alert.subscription_id not in known:
                known[alert.subscription_id] = subscriptions.get(alert.subscription_id)
            rows.append(InboxRow(alert, _states(alert, known[alert.subscription_id], log)))
    finally:
        if log is not None:
            log.close()
    return rows
