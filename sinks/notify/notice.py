"""What a channel delivers: one alert, or a digest of several, for one subscription.

A notice's ``id`` is what subscribers deduplicate on and what the delivery log, the
``Message-ID`` and the ``X-Newsmon-Alert-Id`` header are derived from: the alert id for a
single alert, and :func:`digest_id` (a stable hash of the subscription and the alert ids it
lists) for a digest, so resending the same digest after a crash is recognisable as such.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from contract import Alert, Subscription

Event = Literal["alert", "digest"]


def digest_id(subscription_id: str, alert_ids: Iterable[str]) -> str:
    """The stable id of a digest: same subscription and same alerts -> same id."""
    joined = "\x1f".join([subscription_id, *sorted(set(alert_ids))])
    return "d-" + hashlib.sha256(joined.encode()).hexdigest()[:30]


@dataclass(frozen=True)
class Notice:
    """One thing to deliver.

    Attributes:
        id: the alert id (``event == "alert"``) or the digest id.
        event: ``"alert"`` for one alert pushed as it happens, ``"digest"`` for a batch.
        subscription: whose it is (channels, time zone, name).
        alerts: the alert (one) or the digest's items (one or more), latest version each.
    """

    id: str
    event: Event
    subscription: Subscription
    alerts: tuple[Alert, ...]

    @classmethod
    def single(cls, subscription: Subscription, alert: Alert) -> "Notice":
        """A notice for one alert."""
        return cls(alert.alert_id, "alert", subscription, (alert,))

    @classmethod
    def digest(cls, subscription: Subscription, alerts: Iterable[Alert]) -> "Notice":
        """A digest of ``alerts`` (ordered by creation time), with its stable id."""
        items = tuple(sorted(alerts, key=lambda a: (a.created_at, a.alert_id)))
        if not items:
            raise ValueError("a digest needs at least one alert")
        return cls(
            digest_id(subscription.id, (a.alert_id for a in items)), "digest", subscription, items
        )

    @property
    def version(self) -> int:
        """The alert's version; 1 for a digest (a digest is never updated in place)."""
        return self.alerts[0].version if self.event == "alert" else 1
