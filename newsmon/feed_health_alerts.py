"""Feed-health alerts: a ``kind: feed-health`` subscription hears when a feed fails or goes quiet.

Like spike alerts, the check yields the alerts that are new; the caller publishes them to the
alerts topic and then confirms them (created in the alert store), so a crash in between repeats
an alert under the same id (the notifier drops it) and never loses one. The id is the
subscription, the feed, its health and the episode's start: one alert per feed per episode,
however often the check runs and across restarts.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

from contract import Alert, FeedHealthNumbers, Subscription
from contract import alert_id as make_alert_id
from ingest import FeedSpec
from ingest.feed_health import FeedHealth
from ingest.health_episodes import HealthEpisodes
from newsmon.feed_health import evaluate_feeds
from newsmon.settings import Settings
from sinks.spikes import AlertLookup, SubscriptionList

log = logging.getLogger(__name__)

KIND = "feed-health"
REPORTED = ("failing", "quiet")


def feed_health_alert(
    subscription: Subscription,
    name: str,
    url: str,
    health: FeedHealth,
    since: datetime,
    now: datetime,
) -> Alert:
    """The alert telling ``subscription`` that a feed is failing or quiet since ``since``."""
    assert health.health in REPORTED
    key = f"{KIND}\x1f{url}\x1f{health.health}\x1f{since.isoformat()}"
    numbers = FeedHealthNumbers(
        feed=name,
        url=url,
        health=health.health,
        why=health.why,
        since=since,
        error=health.error,
        last_day=health.last_day,
        usual_per_day=health.usual_per_day,
        per_day=[count for _, count in health.per_day],
    )
    return Alert(
        alert_id=make_alert_id(subscription.id, key),
        kind=KIND,
        subscription_id=subscription.id,
        subscription_name=subscription.name,
        owner=subscription.owner,
        query=subscription.query,
        sources=[name],
        feed_health=numbers,
        created_at=now,
        updated_at=now,
    )


def as_raised(what: str) -> AbstractContextManager[object]:
    """Leave failures as the store raises them (the SQLite stores raise TransientError)."""
    return nullcontext()


class FeedHealthWatcher:
    """Evaluates the feeds against the enabled feed-health subscriptions.

    Args:
        settings: the thresholds and the state database.
        feeds: the feeds polled (their names); None: every feed in the state database.
        subscriptions: where subscriptions are stored.
        alerts: the alert store (create-if-absent decides what is new).
        episodes: the open episodes (the state database's).
        list_errors: wraps listing the subscriptions, turning retryable failures into
            TransientError (as for spikes).
    """

    def __init__(
        self,
        settings: Settings,
        feeds: list[FeedSpec] | None,
        subscriptions: SubscriptionList,
        alerts: AlertLookup,
        episodes: HealthEpisodes,
        list_errors: Callable[[str], AbstractContextManager[object]] = as_raised,
    ) -> None:
        self.settings = settings
        self.feeds = None if feeds is None else [(f.url, f.name) for f in feeds]
        self.subscriptions = subscriptions
        self.alerts = alerts
        self.episodes = episodes
        self.list_errors = list_errors

    def check(self, now: datetime) -> list[Alert]:
        """The alerts of feeds failing or quiet that were not alerted in this episode.

        Raises:
            TransientError: the subscriptions or alerts could not be read (check again later).
        """
        with self.list_errors("listing feed-health subscriptions"):
            watching = [s for s in self.subscriptions.list(kind=KIND) if s.enabled]
        if not watching:
            return []
        episodes = self.episodes.open()
        fresh: list[Alert] = []
        for url, name, state, health in evaluate_feeds(self.settings, self.feeds, now):
            if health.health not in REPORTED:
                if url in episodes:
                    self.episodes.end(url)
                continue
            since = self._since(url, health, episodes.get(url), now)
            feed = name or (state.name if state else None) or url
            for subscription in watching:
                if subscription.watches_feed(feed, url):
                    alert = feed_health_alert(subscription, feed, url, health, since, now)
                    if self.alerts.get(alert.alert_id) is None:
                        fresh.append(alert)
        return fresh

    def _since(
        self, url: str, health: FeedHealth, episode: tuple[str, datetime] | None, now: datetime
    ) -> datetime:
        """When the episode began: a failing feed's first failure after its last success (the
        poll history says; a recovery and a new failure between two checks is a new episode),
        else the first check that found it quiet (kept across restarts)."""
        if health.health == "failing" and health.since is not None:
            since = health.since
        elif episode is not None and episode[0] == health.health:
            return episode[1]
        else:
            since = now
        if episode != (health.health, since):
            self.episodes.start(url, health.health, since)
        return since

    def confirm(self, alerts: list[Alert]) -> None:
        """Record published alerts, so later checks in the same episode stay quiet."""
        for alert in alerts:
            self.alerts.create(alert)
