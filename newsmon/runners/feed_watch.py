"""What the poll stage does besides publishing: keep every poll, and watch the feeds' health.

Each poll becomes a :class:`contract.FeedPoll` in the state database (both modes; pruned after
``feed_polls_retention_days``) and, on a cluster, in the ``newsmon-feed-polls`` index (as each
comes; while Elasticsearch is unavailable one line is logged and polling goes on, the polls
waiting in memory up to a bound and sent in one bulk request when it is back). Every
``feed_health_interval`` seconds, and when the stage stops, feed-health subscriptions are
checked and what fired is published to the alerts topic like any other alert. It lives where
the poller's state lives: ``newsmon run`` in either mode, and ``newsmon poll`` on a cluster.
"""

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

from contract import Alert, FeedPoll, PollStatus, TransientError
from ingest import FeedBatch, FeedSpec
from ingest.health_episodes import HealthEpisodes
from ingest.poll_history import PollHistory
from newsmon.backends import Backends
from newsmon.feed_health_alerts import FeedHealthWatcher, as_raised
from newsmon.settings import Settings
from newsmon.transport import Producer
from sinks.elasticsearch.errors import transient_errors
from sinks.elasticsearch.feed_polls import FeedPollIndex

log = logging.getLogger(__name__)

FLUSH_EVERY = 5.0
"""Seconds between tries to index the waiting polls while Elasticsearch is unavailable."""
MAX_WAITING = 10_000
"""Polls kept for Elasticsearch while it is down; older ones are dropped (the state db has them)."""
PRUNE_EVERY = 3600.0

_STATUS: dict[str, PollStatus] = {
    "ok": "ok",
    "not_modified": "not-modified",
    "failed": "failed",
    "disabled": "disabled",
}


def feed_poll(batch: FeedBatch, published: int, at: datetime) -> FeedPoll:
    """The record of one poll: what it gave (articles published), or why it failed."""
    return FeedPoll(
        feed=batch.feed.name,
        url=batch.feed.url,
        polled_at=at,
        status=_STATUS[batch.status],
        articles=published,
        failures=batch.state.failures if batch.status in ("failed", "disabled") else 0,
        error=(batch.error or "")[:1000],
        duration_ms=batch.duration_ms,
    )


class FeedWatch:
    """Records polls and checks feed health for one poll stage.

    Args:
        settings: intervals, retention, the state database and the alerts topic.
        backends: the mode's subscriptions, alerts and transport.
        feeds: the feeds polled.
        index: where polls are indexed on a cluster (None: the state database only).
        clock: the time (tests).
    """

    def __init__(
        self,
        settings: Settings,
        backends: Backends,
        feeds: list[FeedSpec],
        index: FeedPollIndex | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.history = PollHistory(settings.state_db)
        self.episodes = HealthEpisodes(settings.state_db)
        self.index = index
        self.waiting: list[FeedPoll] = []
        self.index_ready = False
        self.index_down = False
        self.alert_store = backends.alerts()
        self.health = FeedHealthWatcher(
            settings,
            feeds,
            backends.subscriptions(),
            self.alert_store,
            self.episodes,
            transient_errors if backends.mode == "cluster" else as_raised,
        )
        self.transport = backends.transport()
        self.producer: Producer | None = None
        self.alerts = 0
        self._next_flush = time.monotonic() + FLUSH_EVERY
        self._next_check = 0.0
        self._next_prune = 0.0

    @classmethod
    def open(cls, settings: Settings, backends: Backends, feeds: list[FeedSpec]) -> "FeedWatch":
        """The watch of the mode: polls indexed in Elasticsearch too on a cluster."""
        index = None
        if backends.mode == "cluster":
            from newsmon.es_clients import make_es

            index = FeedPollIndex(make_es(settings), settings.feed_polls_index)
        return cls(settings, backends, feeds, index)

    def polled(self, batch: FeedBatch, published: int) -> None:
        """Record one poll; flush, check health and prune when each is due."""
        poll = feed_poll(batch, published, self.clock())
        self.history.add([poll])
        if self.index is not None:
            self.waiting.append(poll)
            del self.waiting[:-MAX_WAITING]
            # Each poll is indexed as it comes (Kibana stays current); while Elasticsearch is
            # down, a retry at most every FLUSH_EVERY seconds.
            if not self.index_down or time.monotonic() >= self._next_flush:
                self.flush()
        if time.monotonic() >= self._next_check:
            self.check_health()
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY
            days = self.settings.feed_polls_retention_days
            pruned = self.history.prune(self.clock() - timedelta(days=days))
            if pruned:
                log.info("forgot %d feed poll(s) older than %g days", pruned, days)

    def flush(self) -> None:
        """Index the waiting polls; on a transient failure, log one line and keep them."""
        self._next_flush = time.monotonic() + FLUSH_EVERY
        if self.index is None or not self.waiting:
            return
        try:
            if not self.index_ready:
                self.index.setup()
                self.index_ready = True
            self.index.write_batch(self.waiting)
        except TransientError as exc:
            if not self.index_down:
                log.warning("feed polls not indexed for now (kept, retried): %s", exc)
            self.index_down = True
            return
        if self.index_down:
            log.info("feed polls indexed again")
        self.index_down = False
        self.waiting.clear()

    def check_health(self) -> list[Alert]:
        """Check the feed-health subscriptions now; publish and confirm what fired."""
        self._next_check = time.monotonic() + self.settings.feed_health_interval
        try:
            fired = self.health.check(self.clock())
            if fired:
                if self.producer is None:  # the first alert: topic and alert store set up
                    self.transport.setup()
                    self.alert_store.setup()
                    self.producer = self.transport.producer()
                self.producer.send_all(
                    self.settings.topic_alerts, [(a.alert_id.encode(), a.to_json()) for a in fired]
                )
                self.health.confirm(fired)
        except TransientError as exc:
            log.warning("feed-health check skipped: %s", exc)
            return []
        for alert in fired:
            numbers = alert.feed_health
            assert numbers is not None
            log.info("feed-health alert %s: %s", alert.subscription_id, numbers.why)
        self.alerts += len(fired)
        return fired

    def close(self) -> None:
        """A last health check and flush, then release everything."""
        try:
            self.check_health()
            self.flush()
        finally:
            if self.producer is not None:
                self.producer.close()
            if self.index is not None:
                self.index.close()
            self.history.close()
            self.episodes.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
