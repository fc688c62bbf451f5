"""What the stages run on: the transport, the article store, the subscriptions, the alerts.

Two sets exist and the stages cannot tell them apart:
:class:`newsmon.cluster.backends.ClusterBackends` (Kafka and Elasticsearch, for many machines)
and :class:`newsmon.embedded.backends.EmbeddedBackends` (SQLite files in the data dir, for one
laptop). This module holds only what both share (the Protocols, the mode);
:func:`newsmon.backend_choice.backends_for` picks one set from the settings.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol

from contract import Alert, Article, Subscription
from newsmon.settings import Settings
from newsmon.transport import Consumer, Producer
from sinks.article_queries import ArticleQueries
from sinks.article_versions import ArticleVersions
from sinks.base import Sink
from sinks.matches import Match

Mode = Literal["embedded", "cluster"]


class Transport(Protocol):
    """Topics: Kafka, or the local log (same topic names, same at-least-once rules)."""

    def setup(self) -> None:
        """Create what is missing (topics, files); fail clearly when unreachable."""

    def producer(self, linger_ms: int = 20) -> Producer:
        """A producer for one thread."""

    def consumer(
        self,
        topic: str | Sequence[str],
        group: str,
        max_records: int,
        max_poll_interval: float = 300.0,
    ) -> Consumer:
        """A consumer of ``topic`` (or several) for the consumer group ``group``, for one
        thread."""


class Matcher(Protocol):
    """Subscriptions matched against a batch of articles (the percolator or its embedded twin)."""

    def match(self, articles: Sequence[Article], kind: str = "match") -> list[Match]:
        """Every (subscription, article) pair that matches, in batch order."""


class AlertRecorder(Protocol):
    """The alert store: one alert per subscription and story."""

    def setup(self) -> None:
        """Create the store if missing."""

    def record(self, matches: Sequence[Match], now: datetime) -> list[Alert]:
        """Alerts to publish for ``matches``: new ones, updates, and redelivered ones again."""

    def create(self, alert: Alert) -> bool:
        """Store ``alert`` unless its id exists. True if new."""

    def get(self, aid: str) -> Alert | None:
        """One alert by id."""

    def search(
        self,
        *,
        subscription_id: str | None = None,
        owner: str | None = None,
        since: datetime | None = None,
        size: int = 50,
    ) -> list[Alert]:
        """The newest alerts first."""


class Subscriptions(Protocol):
    """Where subscriptions are kept, with their queries validated before they are stored."""

    def setup(self) -> None:
        """Create the store if missing."""

    def validate(self, query: str) -> None:
        """Raise ``InvalidQuery`` with the parser's message when ``query`` is not valid."""

    def put(self, subscription: Subscription, *, refresh: bool = True) -> None:
        """Create or replace a subscription (validated first)."""

    def get(self, subscription_id: str) -> Subscription | None:
        """The subscription with this id, or None."""

    def list(self, owner: str | None = None, kind: str | None = None) -> list[Subscription]:
        """Every subscription (of ``owner`` / of ``kind``), sorted by id."""

    def remove(self, subscription_id: str) -> bool:
        """Delete a subscription. Returns False when there was none."""


class SpikeChecks(Protocol):
    """What the alerter needs of :class:`sinks.spikes.SpikeWatcher`."""

    def check(self, now: datetime) -> list[Alert]:
        """Spike alerts that fired and were not published before."""

    def confirm(self, alerts: list[Alert]) -> None:
        """Record alerts once they are published."""


class Backends(Protocol):
    """Everything the stages and the query commands need, built lazily from the settings."""

    mode: Mode

    def transport(self) -> Transport:
        """The topics."""

    def article_sink(self) -> Sink[Article]:
        """Where the indexer writes articles."""

    def articles(self) -> ArticleQueries:
        """Search, stats and backtests over the stored articles."""

    def article_versions(self) -> ArticleVersions:
        """The versions of the article store (``newsmon reindex``)."""

    def subscriptions(self) -> Subscriptions:
        """The subscriptions."""

    def alerts(self) -> AlertRecorder:
        """The alert store."""

    def matcher(self) -> Matcher:
        """The subscription matcher."""

    def spikes(self) -> SpikeChecks:
        """The spike watcher."""

    def where(self) -> str:
        """One line saying where the data lives."""

    def housekeeping(self) -> str | None:
        """Periodic upkeep of what newsmon owns (pruning); a line to log, or None."""


CLUSTER_VARIABLES = ("kafka_bootstrap", "es_url", "percolator_url")


def mode_for(settings: Settings, embedded: bool = False) -> Mode:
    """``embedded`` unless Kafka or Elasticsearch is configured (``NEWSMON_KAFKA_BOOTSTRAP``,
    ``NEWSMON_ES_URL``) or ``NEWSMON_MODE`` says otherwise; ``embedded=True`` forces it."""
    if embedded or settings.mode == "embedded":
        return "embedded"
    if settings.mode == "cluster":
        return "cluster"
    configured = set(CLUSTER_VARIABLES) & settings.model_fields_set
    return "cluster" if configured else "embedded"
