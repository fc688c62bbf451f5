"""The cluster backends: Kafka for topics, Elasticsearch for articles, the percolator for
subscriptions, the alert index. Clients are built lazily, so choosing this set costs nothing
until a stage asks for one."""

from contract import Article
from newsmon.backends import (
    AlertRecorder,
    Matcher,
    Mode,
    SpikeChecks,
    Subscriptions,
    Transport,
)
from newsmon.settings import Settings
from sinks.article_queries import ArticleQueries
from sinks.article_versions import ArticleVersions
from sinks.base import Sink


class ClusterBackends:
    """Kafka and Elasticsearch (the percolator holds the subscriptions)."""

    mode: Mode = "cluster"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def transport(self) -> Transport:
        """Kafka."""
        from newsmon.kafka_io import KafkaTransport

        return KafkaTransport(self.settings)

    def article_sink(self) -> Sink[Article]:
        """The Elasticsearch bulk writer behind the article alias."""
        from newsmon.es_clients import make_es
        from sinks.elasticsearch.writer import ElasticsearchSink

        return ElasticsearchSink(make_es(self.settings), self.settings.index_alias)

    def articles(self) -> ArticleQueries:
        """Queries on the article alias."""
        from newsmon.es_clients import make_es
        from sinks.elasticsearch.search import ElasticsearchQueries

        return ElasticsearchQueries(make_es(self.settings), self.settings.index_alias)

    def article_versions(self) -> ArticleVersions:
        """The indices ``<alias>-vN`` behind the article alias."""
        from newsmon.es_clients import make_es
        from sinks.elasticsearch.versions import IndexVersions

        return IndexVersions(make_es(self.settings), self.settings.index_alias)

    def subscriptions(self) -> Subscriptions:
        """The percolator index."""
        from newsmon.es_clients import subscription_store

        return subscription_store(self.settings)

    def alerts(self) -> AlertRecorder:
        """The alert index."""
        from newsmon.es_clients import alert_store

        return alert_store(self.settings)

    def matcher(self) -> Matcher:
        """The percolator."""
        from newsmon.es_clients import make_es
        from sinks.elasticsearch.percolate import Percolator

        settings = self.settings
        return Percolator(
            make_es(settings, settings.subscriptions_url), settings.subscriptions_index
        )

    def spikes(self) -> SpikeChecks:
        """Spike checks as aggregations on the article alias."""
        from newsmon.es_clients import alert_store, make_es, subscription_store
        from sinks.elasticsearch.errors import transient_errors
        from sinks.elasticsearch.spikes import es_spike_check
        from sinks.spikes import SpikeWatcher

        settings = self.settings
        return SpikeWatcher(
            subscription_store(settings),
            alert_store(settings),
            es_spike_check(make_es(settings), settings.index_alias),
            list_errors=transient_errors,
        )

    def where(self) -> str:
        """The cluster URLs."""
        s = self.settings
        return f"Kafka {s.kafka_bootstrap}, Elasticsearch {s.es_url} (alias {s.index_alias})"

    def housekeeping(self) -> str | None:
        """Nothing: Kafka's retention and the index lifecycle belong to the cluster."""
        return None
