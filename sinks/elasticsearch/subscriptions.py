"""Subscriptions stored as percolator queries in Elasticsearch (``newsmon-subscriptions``).

The index mirrors the article fields a query may name (same types and analyzer as the article
index, so a query means the same thing in a backtest over ``news-articles`` and in the
percolator), plus the percolator field ``query`` and the subscription itself under
``newsmon.*``. Every query is checked by Elasticsearch (``_validate/query``) before it is stored.
"""

import logging
from typing import Any

from elasticsearch import (
    ApiError,
    BadRequestError,
    Elasticsearch,
    NotFoundError,
)

from contract import ConfigError, InvalidQuery, Subscription, TransientError
from contract.subscription import DEFAULT_QUERY_FIELDS, QUERY_FIELDS
from sinks.elasticsearch.errors import is_transient, transient_errors
from sinks.elasticsearch.index import english_analysis
from sinks.elasticsearch.mapping import MAPPINGS
from sinks.lucene.clauses import check_fields

log = logging.getLogger(__name__)

KEYWORD = {"type": "keyword"}


def subscription_mappings() -> dict[str, Any]:
    """The subscriptions index mapping: the article's query fields, the percolator, the owner."""
    article = MAPPINGS["properties"]
    fields = {name: article[name] for name in QUERY_FIELDS}
    return {
        "dynamic": "strict",
        "properties": {
            **fields,
            "query": {"type": "percolator"},
            "newsmon": {
                "properties": {
                    "id": KEYWORD,
                    "owner": KEYWORD,
                    "name": {"type": "text", "fields": {"raw": KEYWORD}},
                    "kind": KEYWORD,
                    "enabled": {"type": "boolean"},
                    "created_at": {"type": "date"},
                    "subscription": {"type": "object", "enabled": False},
                }
            },
        },
    }


def es_query(query: str) -> dict[str, Any]:
    """The Elasticsearch query for a subscription's query string (also used for backtests)."""
    return {
        "query_string": {
            "query": query,
            "fields": list(DEFAULT_QUERY_FIELDS),
            "analyze_wildcard": True,
        }
    }


class SubscriptionStore:
    """Create, read, list and remove subscriptions; validate their queries.

    Args:
        es: client of the cluster holding the subscriptions (it needs the percolator module).
        index: the index name.
    """

    def __init__(self, es: Elasticsearch, index: str = "newsmon-subscriptions") -> None:
        self.es = es
        self.index = index

    def setup(self) -> None:
        """Create the index if missing, or add new fields to it (idempotent).

        Raises:
            ConfigError: the cluster has no percolator module.
        """
        mappings = subscription_mappings()
        try:
            if self.es.indices.exists(index=self.index):
                self.es.indices.put_mapping(index=self.index, properties=mappings["properties"])
                return
            self.es.indices.create(
                index=self.index,
                settings={
                    "number_of_shards": 1,
                    "number_of_replicas": 0,
                    "analysis": english_analysis(self.es),
                },
                mappings=mappings,
            )
            log.info("created subscriptions index %s", self.index)
        except BadRequestError as exc:
            if "percolator" in str(exc):
                raise ConfigError(
                    "this Elasticsearch cluster has no percolator module; point "
                    "NEWSMON_PERCOLATOR_URL at one that has (the local stack runs one: "
                    f"`deploy/local/stack status`): {exc}"
                ) from exc
            if "resource_already_exists" not in str(exc):
                raise

    def validate(self, query: str) -> None:
        """Check ``query`` with newsmon's field list, then with Elasticsearch's own parser.

        Raises:
            InvalidQuery: with the parser's message, or the unknown field.
        """
        if not query.strip():
            raise InvalidQuery(query, "the query is empty")
        try:
            check_fields(query)
        except InvalidQuery as exc:
            if "unknown field" in exc.reason:
                raise
            # luqum is stricter than Lucene in corners; Elasticsearch has the last word.
            log.debug("luqum could not parse %r (%s); asking Elasticsearch", query, exc.reason)
        try:
            result = self.es.indices.validate_query(
                index=self.index, query=es_query(query), explain=True
            )
        except ApiError as exc:
            if is_transient(exc):
                raise TransientError(f"validating the query: {exc}") from exc
            raise InvalidQuery(query, str(exc)) from exc
        if not result.get("valid"):
            errors = [e.get("error", "") for e in result.get("explanations", [])]
            raise InvalidQuery(query, parser_message("; ".join(errors) or "invalid"))

    def put(self, subscription: Subscription, *, refresh: bool = True) -> None:
        """Store (create or replace) a subscription after validating its query (a feed-health
        subscription's query is a glob over feeds, not an article query)."""
        if subscription.kind != "feed-health":
            self.validate(subscription.query)
        self.es.index(
            index=self.index,
            id=subscription.id,
            document=self.document(subscription),
            refresh="wait_for" if refresh else False,
        )

    def get(self, subscription_id: str) -> Subscription | None:
        """The subscription with this id, or None."""
        try:
            with transient_errors(f"reading subscription {subscription_id!r}"):
                hit = self.es.get(index=self.index, id=subscription_id, source_includes=["newsmon"])
        except NotFoundError:
            return None
        return Subscription.model_validate(hit["_source"]["newsmon"]["subscription"])

    def list(self, owner: str | None = None, kind: str | None = None) -> list[Subscription]:
        """Every subscription (of ``owner`` / of ``kind``), sorted by id."""
        filters: list[dict[str, Any]] = []
        if owner:
            filters.append({"term": {"newsmon.owner": owner}})
        if kind:
            filters.append({"term": {"newsmon.kind": kind}})
        found: list[Subscription] = []
        after: list[Any] | None = None
        while True:
            try:
                page = self.es.search(
                    index=self.index,
                    query={"bool": {"filter": filters}},
                    sort=[{"newsmon.id": "asc"}],
                    size=500,
                    search_after=after,
                    source_includes=["newsmon.subscription"],
                )
            except NotFoundError:  # no index yet: no subscription was ever added
                return found
            hits = page["hits"]["hits"]
            found += [
                Subscription.model_validate(h["_source"]["newsmon"]["subscription"]) for h in hits
            ]
            if len(hits) < 500:
                return found
            after = hits[-1]["sort"]

    def remove(self, subscription_id: str) -> bool:
        """Delete a subscription. Returns False when there was none."""
        try:
            self.es.delete(index=self.index, id=subscription_id, refresh="wait_for")
        except NotFoundError:
            return False
        return True

    def document(self, subscription: Subscription) -> dict[str, Any]:
        """The stored form of ``subscription``: its percolator query and the subscription."""
        return {
            # A feed-health subscription is never percolated: it matches no article.
            "query": {"match_none": {}}
            if subscription.kind == "feed-health"
            else es_query(subscription.query),
            "newsmon": {
                "id": subscription.id,
                "owner": subscription.owner,
                "name": subscription.name,
                "kind": subscription.kind,
                "enabled": subscription.enabled,
                "created_at": subscription.created_at.isoformat(),
                "subscription": subscription.with_secrets(),
            },
        }


def parser_message(error: str) -> str:
    """The useful part of Elasticsearch's validate error: Lucene's ``Cannot parse ...`` text."""
    marker = "Cannot parse"
    start = error.find(marker)
    if start < 0:
        return error.strip()
    ends = [
        i for i in (error.find("Was expecting", start), error.find("]; nested", start)) if i > 0
    ]
    return error[start : min(ends) if ends else None].strip().rstrip(".") or error
