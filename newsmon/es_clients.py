"""Elasticsearch clients and stores built from settings: one place for URLs and credentials.

newsmon talks to two clusters that may be one: the article cluster (``es_url``) and the cluster
holding the subscriptions' percolator index (``subscriptions_url``, which defaults to ``es_url``).
Both use the same credentials.
"""

from elasticsearch import Elasticsearch

from newsmon.settings import Settings
from sinks.elasticsearch.alerts import AlertStore
from sinks.elasticsearch.subscriptions import SubscriptionStore


def make_es(settings: Settings, url: str | None = None) -> Elasticsearch:
    """An Elasticsearch client for ``url`` (default: the article cluster, ``es_url``).

    Secrets stay inside ``SecretStr`` until here.
    """
    auth: dict[str, object] = {}
    if settings.es_api_key is not None:
        auth["api_key"] = settings.es_api_key.get_secret_value()
    elif settings.es_username and settings.es_password is not None:
        auth["basic_auth"] = (settings.es_username, settings.es_password.get_secret_value())
    return Elasticsearch(url or settings.es_url, request_timeout=30, **auth)  # type: ignore[arg-type]


def subscription_store(settings: Settings) -> SubscriptionStore:
    """The subscriptions store on the percolator cluster (not yet set up)."""
    return SubscriptionStore(
        make_es(settings, settings.subscriptions_url), settings.subscriptions_index
    )


def alert_store(settings: Settings) -> AlertStore:
    """The alert store; alerts live next to the subscriptions (the alert worker writes there)."""
    return AlertStore(make_es(settings, settings.subscriptions_url), settings.alerts_index)
