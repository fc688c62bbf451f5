"""Gauges read at scrape time from the SQLite stores the stages keep: feed health from the feed
state db, alert deliveries from the notifier's delivery log.

A store that does not exist yet (no poll, no notification so far) gives no series rather than
an empty file created by a scrape; one that cannot be read counts a scrape error.
"""

import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import Counter
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from contract import NewsmonError
from ingest import FeedStateStore
from sinks.notify import DeliveryLog

log = logging.getLogger(__name__)

FEED_STATES = ("ok", "failing", "disabled")


class FeedHealth(Collector):
    """``newsmon_feeds{state}``: feeds in the state db at ``path`` that are ok, failing (their
    last polls failed: ``failures > 0``) or disabled (no longer polled, e.g. a 410)."""

    def __init__(self, path: Path, errors: "Counter") -> None:
        self.path, self.errors = path, errors

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "newsmon_feeds",
            "Feeds known to the feed state db by health: ok, failing (consecutive failures), "
            "disabled (no longer polled).",
            labels=["state"],
        )
        if self.path.exists():
            try:
                with FeedStateStore(self.path) as store:
                    states = list(store.all().values())
            except (sqlite3.Error, NewsmonError) as exc:
                self.errors.labels("feed_state").inc()
                log.warning("metrics: feed health from %s left out: %s", self.path, exc)
            else:
                counts = dict.fromkeys(FEED_STATES, 0)
                for state in states:
                    health = "disabled" if state.disabled else "failing" if state.failures else "ok"
                    counts[health] += 1
                for health, n in counts.items():
                    family.add_metric([health], n)
        yield family


class Deliveries(Collector):
    """``newsmon_alert_deliveries{status,channel}`` and ``newsmon_alert_deliveries_pending``
    from the notifier's delivery log at ``path``."""

    def __init__(self, path: Path, errors: "Counter") -> None:
        self.path, self.errors = path, errors

    def collect(self) -> Iterable[Metric]:
        delivered = GaugeMetricFamily(
            "newsmon_alert_deliveries",
            "Alerts the notifier is done with, per channel type, by status: sent, dead (failed "
            "for good, dead-lettered), capped (over the daily cap), skipped (no such "
            "subscription, or disabled); the delivery log keeps 30 days.",
            labels=["status", "channel"],
        )
        pending = GaugeMetricFamily(
            "newsmon_alert_deliveries_pending", "Alerts held for a digest or quiet hours."
        )
        if self.path.exists():
            try:
                deliveries = DeliveryLog(self.path)
                try:
                    by_channel = deliveries.counts_by_channel()
                    waiting = deliveries.counts()["pending"]
                finally:
                    deliveries.close()
            except (sqlite3.Error, NewsmonError) as exc:
                self.errors.labels("delivery_log").inc()
                log.warning("metrics: deliveries from %s left out: %s", self.path, exc)
            else:
                for (status, channel), n in sorted(by_channel.items()):
                    delivered.add_metric([status, channel], n)
                pending.add_metric([], waiting)
        yield delivered
        yield pending
