"""The embedded backends: the local log for topics, SQLite files for articles, subscriptions
and alerts, the Python matcher for the percolator. All files live in the data dir."""

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from contract import Article
from newsmon.backends import (
    AlertRecorder,
    Matcher,
    Mode,
    SpikeChecks,
    Subscriptions,
    Transport,
)
from newsmon.embedded.local_log import LocalLog
from newsmon.settings import Settings
from newsmon.transport import Consumer, Producer
from sinks.article_queries import ArticleQueries
from sinks.article_versions import ArticleVersions
from sinks.base import Sink
from sinks.lucene.matcher import EmbeddedMatcher
from sinks.spikes import SpikeWatcher
from sinks.sqlite.alerts import SqliteAlertStore
from sinks.sqlite.subscriptions import SqliteSubscriptionStore
from sinks.sqlite.versions import LiveArticleStore, StoreVersions

LOG_RETENTION = timedelta(days=7)
"""As Kafka's default retention: consumed messages older than this are pruned."""


class LocalTransport:
    """The local log as a :class:`newsmon.backends.Transport`."""

    def __init__(self, log: LocalLog, group_prefix: str) -> None:
        self.log = log
        self.group_prefix = group_prefix

    def setup(self) -> None:
        """Nothing to create: topics exist once written to."""

    def producer(self, linger_ms: int = 20) -> Producer:
        """A producer (every send is durable on return; ``linger_ms`` has no use here)."""
        return self.log.producer()

    def consumer(
        self,
        topic: str | Sequence[str],
        group: str,
        max_records: int,
        max_poll_interval: float = 300.0,
    ) -> Consumer:
        """A consumer of ``topic`` for ``<group_prefix>-<group>``."""
        return self.log.consumer(topic, f"{self.group_prefix}-{group}")


class EmbeddedBackends:
    """Everything in SQLite files under ``settings.data_dir``."""

    mode: Mode = "embedded"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._log: LocalLog | None = None
        self._lock = threading.Lock()

    def local_log(self) -> LocalLog:
        """The one local log of this process (its wake-ups connect producers and consumers)."""
        with self._lock:
            if self._log is None:
                self._log = LocalLog(self.settings.log_db, LOG_RETENTION)
            return self._log

    def transport(self) -> Transport:
        """The local log."""
        return LocalTransport(self.local_log(), self.settings.group_prefix)

    def article_sink(self) -> Sink[Article]:
        """The live version of the SQLite article store (followed across reindex swaps)."""
        return LiveArticleStore(self.settings.articles_db)

    def articles(self) -> ArticleQueries:
        """The live version of the SQLite article store (followed across reindex swaps)."""
        return LiveArticleStore(self.settings.articles_db)

    def article_versions(self) -> ArticleVersions:
        """The files ``articles[-vN].sqlite3`` and the pointer naming the live one."""
        return StoreVersions(self.settings.articles_db)

    def subscriptions(self) -> Subscriptions:
        """Subscriptions in the alerts file."""
        return SqliteSubscriptionStore(self.settings.alerts_db)

    def alerts(self) -> AlertRecorder:
        """Alerts in the alerts file."""
        return SqliteAlertStore(self.settings.alerts_db)

    def matcher(self) -> Matcher:
        """Every enabled subscription evaluated in Python."""
        store = SqliteSubscriptionStore(self.settings.alerts_db)
        return EmbeddedMatcher(lambda kind: store.list(kind=kind))

    def spikes(self) -> SpikeChecks:
        """Spike checks counted in the article store."""
        return SpikeWatcher(
            SqliteSubscriptionStore(self.settings.alerts_db),
            SqliteAlertStore(self.settings.alerts_db),
            LiveArticleStore(self.settings.articles_db).check_spike,
        )

    def where(self) -> str:
        """The data dir."""
        return f"SQLite files in {self.settings.data_dir.resolve()}"

    def housekeeping(self) -> str | None:
        """Prune the local log: messages past retention that every consumer group has read."""
        pruned = self.local_log().prune(datetime.now(UTC))
        return f"local log: pruned {pruned} consumed message(s) older than {LOG_RETENTION}"

    def close(self) -> None:
        """Close the local log."""
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None
