"""Spike alerts: a subscription's stories in the last window against the same window on past days.

The backend-neutral part: the windows, the decision rule, the alert (its id is the subscription
and the window start floored to the window size, so however often a spike is checked it alerts
once per window; the alert store's create-if-absent decides which check was first) and the
watcher running the checks. Counting is the backend's: :mod:`sinks.elasticsearch.spikes` (one
aggregation request per check) or the SQLite article store.
"""

import logging
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from contract import Alert, Article, InvalidQuery, Spike, SpikeNumbers, Subscription, TransientError
from contract import alert_id as make_alert_id
from sinks.alerts import alert_article

log = logging.getLogger(__name__)

SAMPLE_STORIES = 5
"""Stories of the window named in the alert (the ones with the most articles)."""


@dataclass(frozen=True)
class Window:
    """A half-open time range [start, end)."""

    start: datetime
    end: datetime


def floor_window(now: datetime, minutes: int) -> datetime:
    """``now`` floored to a multiple of ``minutes`` since the Unix epoch (UTC).

    The alert key of a spike: every check within one such slot names the same alert.
    """
    size = minutes * 60
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % size, UTC)


def windows(now: datetime, spike: Spike) -> dict[str, Window]:
    """``current`` = [now - window, now), and ``d1``..``dN`` the same range 1..N days earlier.

    Days are 24 h in UTC, so across a daylight-saving change the baseline is an hour off in
    local time.
    """
    length = timedelta(minutes=spike.window_minutes)
    out = {"current": Window(now - length, now)}
    for day in range(1, spike.baseline_days + 1):
        back = timedelta(days=day)
        out[f"d{day}"] = Window(now - length - back, now - back)
    return out


def spike_numbers(
    spike: Spike, window: Window, stories: int, articles: int, baseline: Sequence[int]
) -> SpikeNumbers:
    """The numbers of one check; the factor is infinite when the baseline is all zeros."""
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    return SpikeNumbers(
        window_start=window.start,
        window_end=window.end,
        stories=stories,
        articles=articles,
        baseline=list(baseline),
        baseline_mean=mean,
        factor=stories / mean if mean else math.inf,
        threshold_factor=spike.factor,
        min_count=spike.min_count,
    )


def fires(numbers: SpikeNumbers) -> bool:
    """At least ``min_count`` stories, and at least ``threshold_factor`` x the baseline mean.

    Compared as ``stories * days >= factor * sum(baseline)`` so a ratio landing exactly on the
    threshold is not lost to float rounding.
    """
    if numbers.stories < numbers.min_count:
        return False
    days = len(numbers.baseline)
    return numbers.stories * days >= numbers.threshold_factor * sum(numbers.baseline)


def spike_alert(
    subscription: Subscription,
    now: datetime,
    numbers: SpikeNumbers,
    newest: Article | None,
    sampled: Sequence[Article],
) -> Alert:
    """The alert of a spike that fired: once per window (its id is keyed by the window slot).

    Args:
        newest: the window's newest article.
        sampled: the newest article of each of the window's biggest stories.
    """
    spike = subscription.spike
    assert spike is not None
    key = f"spike:{floor_window(now.astimezone(UTC), spike.window_minutes).isoformat()}"
    return Alert(
        alert_id=make_alert_id(subscription.id, key),
        kind="spike",
        subscription_id=subscription.id,
        subscription_name=subscription.name,
        owner=subscription.owner,
        query=subscription.query,
        story_id=None,
        article=alert_article(newest) if newest else None,
        latest=alert_article(newest) if newest else None,
        article_ids=[a.id for a in sampled],
        sources=sorted({a.source for a in sampled}),
        spike=numbers,
        created_at=now,
        updated_at=now,
    )


SpikeCheck = Callable[[Subscription, datetime], Alert | None]
"""Checks one spike subscription at a time (:func:`sinks.elasticsearch.spikes.check_spike` on a
cluster)."""


def _as_raised(what: str) -> AbstractContextManager[object]:
    """Leave failures as the store raises them."""
    return nullcontext()


class SubscriptionList(Protocol):
    """The part of a subscription store the watcher reads."""

    def list(self, owner: str | None = None, kind: str | None = None) -> list[Subscription]:
        """Subscriptions of ``kind``."""


class AlertLookup(Protocol):
    """The part of an alert store the watcher uses."""

    def get(self, aid: str) -> Alert | None:
        """One alert by id."""

    def create(self, alert: Alert) -> bool:
        """Store an alert unless its id exists."""


class SpikeWatcher:
    """Checks every enabled spike subscription and keeps the alerts that are new.

    Args:
        subscriptions: where the subscriptions are stored.
        alerts: the alert store; a spike alert is created there once (create-if-absent).
        check_one: counts one subscription's window and baseline
            (:func:`sinks.elasticsearch.spikes.es_spike_check`, or the embedded store's).
        list_errors: wraps listing the subscriptions, turning the store's retryable failures
            into TransientError (:func:`sinks.elasticsearch.errors.transient_errors` for
            Elasticsearch; the SQLite store raises TransientError itself).
    """

    def __init__(
        self,
        subscriptions: SubscriptionList,
        alerts: AlertLookup,
        check_one: SpikeCheck,
        list_errors: Callable[[str], AbstractContextManager[object]] = _as_raised,
    ) -> None:
        self.subscriptions = subscriptions
        self.alerts = alerts
        self.check_one = check_one
        self.list_errors = list_errors

    def check(self, now: datetime) -> list[Alert]:
        """The spike alerts that fired at ``now`` and were not alerted in this window before.

        Publish them, then :meth:`confirm` them: an alert is recorded only once it is on the
        topic, so a crash in between means it fires again (same id: the notifier drops the
        repeat), never that it is lost.

        One failing subscription does not hold up the others: an invalid query is logged and
        skipped; a transient failure is logged and that subscription is checked next time.
        Only when something failed transiently and nothing new fired is the TransientError
        raised, so the caller backs off without dropping an alert already stored.

        Raises:
            TransientError: a subscription could not be checked, and no alert is new.
        """
        fresh: list[Alert] = []
        failed: list[TransientError] = []
        with self.list_errors("listing spike subscriptions"):
            subscriptions = self.subscriptions.list(kind="spike")
        for subscription in subscriptions:
            if not subscription.enabled:
                continue
            try:
                alert = self.check_one(subscription, now)
                if alert is not None and self.alerts.get(alert.alert_id) is None:
                    fresh.append(alert)
            except InvalidQuery as exc:
                log.warning("spike subscription %s skipped: %s", subscription.id, exc)
            except TransientError as exc:
                log.warning("spike subscription %s not checked: %s", subscription.id, exc)
                failed.append(exc)
        if failed and not fresh:
            raise failed[0]
        return fresh

    def confirm(self, alerts: list[Alert]) -> None:
        """Record published spike alerts, so later checks in the same window stay quiet."""
        for alert in alerts:
            self.alerts.create(alert)
