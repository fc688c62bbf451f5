"""The delivery rules: which alert goes to which channel, now, later in a digest, or never.

:class:`Notifier` is the pure-ish core between the Kafka loop and the senders. Its state lives
in the :class:`~sinks.notify.delivery_log.DeliveryLog`, so the rules hold across restarts:

* an unknown or disabled subscription: recorded as ``skipped`` and logged, the stream goes on;
* each (alert, channel) is pushed at most once, whatever the version: redelivery, restarts and
  updates (version > 1) are never pushed again; an update of an alert still waiting for a
  digest replaces its JSON there (so the digest shows the latest copy count);
* ``immediate``: deliver to every channel not done yet; in quiet hours hold the alert until they
  end (then it goes out in a digest); over ``daily_cap`` for the subscriber's day, record
  ``capped`` and push nothing;
* ``digest``: queue until :func:`~sinks.notify.schedule.next_digest_due` (moved to the end of
  quiet hours if it falls inside them); :meth:`Notifier.flush_due` sends one digest per
  subscription and channel with every due item; a failed send keeps them pending;
* a channel that fails does not stop the others. A single alert that fails for good is handed
  to ``dead_letter`` (the runner's dead-letter topic) and then recorded ``dead``.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from contract import Alert, AnyChannel, Subscription
from contract.subscription import channel_key
from sinks.notify.delivery_log import DeliveryLog, Status
from sinks.notify.errors import DeliveryFailed, SendFailed
from sinks.notify.notice import Notice
from sinks.notify.pending import Claim, PendingReason
from sinks.notify.schedule import day_start, in_quiet_hours, next_digest_due, quiet_hours_end
from sinks.notify.senders import Senders

log = logging.getLogger(__name__)

OutcomeStatus = Literal[
    "sent",  # pushed (an alert, or a digest on one channel)
    "dead",  # failed for good: dead-lettered, never retried
    "failed",  # a digest send failed: its items stay pending for a later retry
    "capped",  # over the daily cap: recorded, not pushed
    "held",  # quiet hours: pending until they end
    "pending",  # digest mode: pending until the digest is due
    "merged",  # an update replaced the JSON of a pending item
    "duplicate",  # every channel already had it (redelivery, restart or update)
    "skipped",  # unknown or disabled subscription
]


@dataclass(frozen=True)
class Outcome:
    """What happened to one alert (or digest) on one channel (``-``: the whole subscription)."""

    status: OutcomeStatus
    subscription_id: str
    notice_id: str
    alert_ids: tuple[str, ...]
    channel_key: str = "-"
    attempts: int = 0
    error: DeliveryFailed | None = None


_GONE = "subscription unknown or disabled"


def utcnow() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class Notifier:
    """Applies the delivery rules (module docstring) to alerts and due digests.

    Args:
        log: the delivery log (the only state).
        senders: who delivers to each channel type.
        get_subscription: the subscription by id, ``None`` if unknown; may raise
            ``TransientError`` (nothing is recorded then and the caller retries).
        clock: now, as an aware datetime (tests pass a fixed one).
        dead_letter: called with each alert that failed for good, before it is recorded dead.
        claim_lease: how long a digest claim holds its items (longer than a send with retries).
        retry_base: delay before retrying a failed digest; doubles per failure up to ``retry_cap``.
    """

    def __init__(
        self,
        log: DeliveryLog,
        senders: Senders,
        get_subscription: Callable[[str], Subscription | None],
        clock: Callable[[], datetime] = utcnow,
        *,
        dead_letter: Callable[[Alert, DeliveryFailed], None] | None = None,
        claim_lease: timedelta = timedelta(minutes=30),
        retry_base: timedelta = timedelta(minutes=1),
        retry_cap: timedelta = timedelta(hours=1),
    ) -> None:
        self.log = log
        self.senders = senders
        self.get_subscription = get_subscription
        self.clock = clock
        self.dead_letter = dead_letter
        self.claim_lease = claim_lease
        self.retry_base = retry_base
        self.retry_cap = retry_cap

    def _subscription(self, subscription_id: str, what: str) -> Subscription | None:
        sub = self.get_subscription(subscription_id)
        if sub is None or not sub.enabled:
            state = "unknown" if sub is None else "disabled"
            log.info("subscription %r is %s: %s skipped", subscription_id, state, what)
            return None
        return sub

    def _record(
        self, alert: Alert, key: str, sub_id: str, status: Status, attempts: int = 0, **kw: str
    ) -> None:
        self.log.record(
            alert.alert_id,
            key,
            sub_id,
            status,
            version=alert.version,
            attempts=attempts,
            at=self.clock(),
            **kw,
        )

    def handle(self, alert: Alert) -> list[Outcome]:
        """Apply the rules to one alert; deliver what is due now."""
        now = self.clock()
        ids = (alert.alert_id,)
        sub = self._subscription(alert.subscription_id, f"alert {alert.alert_id}")
        if sub is None:
            self._record(alert, "-", alert.subscription_id, "skipped", detail=_GONE)
            return [Outcome("skipped", alert.subscription_id, alert.alert_id, ids)]
        body = alert.to_json()
        if self.log.replace_pending(sub.id, alert.alert_id, body, alert.version):
            return [Outcome("merged", sub.id, alert.alert_id, ids)]
        done = self.log.deliveries(alert.alert_id)
        todo = [(channel_key(i, c), c) for i, c in enumerate(sub.channels)]
        todo = [(key, c) for key, c in todo if key not in done]
        if not todo:
            return [Outcome("duplicate", sub.id, alert.alert_id, ids)]

        def hold(reason: PendingReason, due: datetime) -> None:
            self.log.add_pending(
                sub.id,
                alert.alert_id,
                body,
                version=alert.version,
                reason=reason,
                due_at=due,
                at=now,
            )

        if sub.mode == "digest" and sub.digest is not None:
            due = next_digest_due(sub.digest, now)
            if sub.quiet_hours is not None and in_quiet_hours(sub.quiet_hours, due):
                due = quiet_hours_end(sub.quiet_hours, due)
            hold("digest", due)
            return [Outcome("pending", sub.id, alert.alert_id, ids)]
        if self._over_cap(sub, now) and not any(d.status == "sent" for d in done.values()):
            log.info("subscription %r: daily cap reached, alert %s capped", sub.id, alert.alert_id)
            for key, _ in todo:
                self._record(alert, key, sub.id, "capped")
            return [Outcome("capped", sub.id, alert.alert_id, ids, key) for key, _ in todo]
        if sub.quiet_hours is not None and in_quiet_hours(sub.quiet_hours, now):
            hold("quiet", quiet_hours_end(sub.quiet_hours, now))
            return [Outcome("held", sub.id, alert.alert_id, ids)]
        notice = Notice.single(sub, alert)
        return [self._push(notice, alert, key, channel) for key, channel in todo]

    def _over_cap(self, sub: Subscription, now: datetime) -> bool:
        if sub.daily_cap is None:
            return False
        return self.log.pushed_since(sub.id, day_start(sub.tz, now)) >= sub.daily_cap

    def _push(self, notice: Notice, alert: Alert, key: str, channel: AnyChannel) -> Outcome:
        sub_id = notice.subscription.id
        try:
            attempts = self.senders.send(notice, channel)
        except SendFailed as exc:
            error = DeliveryFailed(sub_id, key, notice.id, exc)
            log.error("%s; dead-lettered", error)
            if self.dead_letter is not None:
                self.dead_letter(alert, error)
            self._record(alert, key, sub_id, "dead", exc.attempts, detail=str(exc))
            return Outcome("dead", sub_id, notice.id, (notice.id,), key, exc.attempts, error)
        self._record(alert, key, sub_id, "sent", attempts)
        return Outcome("sent", sub_id, notice.id, (notice.id,), key, attempts)

    def flush_due(self, now: datetime) -> list[Outcome]:
        """Send every digest due at ``now``: one per subscription and channel, all due items."""
        outcomes: list[Outcome] = []
        for sub_id in self.log.due_subscriptions(now):
            sub = self._subscription(sub_id, "pending digest items")
            if sub is None:
                dropped = self.log.drop_pending(sub_id, now, _GONE)
                outcomes.append(Outcome("skipped", sub_id, "-", tuple(dropped)))
                continue
            claim = self.log.claim_due(sub_id, now, self.claim_lease)
            if claim is not None:
                outcomes.extend(self._send_digests(sub, claim, now))
        return outcomes

    def _send_digests(self, sub: Subscription, claim: Claim, now: datetime) -> list[Outcome]:
        alerts = {item.alert_id: Alert.from_json(item.alert_json) for item in claim.items}
        channels = [(channel_key(i, c), c) for i, c in enumerate(sub.channels)]
        outcomes: list[Outcome] = []
        retry_at = now  # an interrupted send is retried at once after the restart
        try:
            for key, channel in channels:
                done = self.log.delivered(key, alerts)
                wanted = [a for alert_id, a in alerts.items() if alert_id not in done]
                if wanted:
                    outcome = self._send_digest(sub, claim, key, channel, wanted, now)
                    outcomes.append(outcome)
                    if outcome.status == "failed":
                        retry_at = now + self._retry_delay(claim.attempts + 1)
        finally:
            self.log.finish_claim(claim, [key for key, _ in channels], retry_at)
        return outcomes

    def _send_digest(
        self,
        sub: Subscription,
        claim: Claim,
        key: str,
        channel: AnyChannel,
        alerts: Sequence[Alert],
        now: datetime,
    ) -> Outcome:
        notice = Notice.digest(sub, alerts)
        ids = tuple(a.alert_id for a in notice.alerts)
        try:
            attempts = self.senders.send(notice, channel)
        except SendFailed as exc:
            error = DeliveryFailed(sub.id, key, notice.id, exc)
            log.warning("%s; its %d item(s) stay pending", error, len(ids))
            return Outcome("failed", sub.id, notice.id, ids, key, exc.attempts, error)
        self.log.mark_digest_sent(claim, key, notice.id, ids, attempts=attempts, at=now)
        log.info("subscription %r channel %s: digest %s sent", sub.id, key, notice.id)
        return Outcome("sent", sub.id, notice.id, ids, key, attempts)

    def _retry_delay(self, failures: int) -> timedelta:
        return min(self.retry_cap, self.retry_base * (2.0 ** max(0, failures - 1)))
