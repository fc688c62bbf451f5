"""Matching articles against every stored subscription: one percolate request per batch.

The percolate query carries the whole batch (``documents``); each hit is a subscription and
``_percolator_document_slot`` says which articles of the batch it matched. Highlighting is asked
for in the same request, so the explanation of a match comes from Elasticsearch itself.
"""

from collections.abc import Sequence
from typing import Any

from elasticsearch import Elasticsearch

from contract import Article, Subscription
from contract.subscription import QUERY_FIELDS
from sinks.documents import percolate_document
from sinks.elasticsearch.errors import transient_errors
from sinks.matches import Match

PAGE = 10_000
"""Hits per search (Elasticsearch's default max_result_window): every further page runs the
whole percolation again, so one page should hold a batch's matching subscriptions."""


class Percolator:
    """Percolate batches of articles against the enabled subscriptions of one kind.

    Args:
        es: client of the cluster with the subscriptions index.
        index: the subscriptions index.
        highlight: ask Elasticsearch for highlights (the explanation of text clauses).
    """

    def __init__(
        self, es: Elasticsearch, index: str = "newsmon-subscriptions", *, highlight: bool = True
    ) -> None:
        self.es = es
        self.index = index
        self.highlight = highlight

    def match(self, articles: Sequence[Article], kind: str = "match") -> list[Match]:
        """Every (subscription, article) pair that matches, in batch order.

        Raises:
            TransientError: the cluster is unreachable or overloaded (retry the batch).
        """
        if not articles:
            return []
        documents = [percolate_document(a) for a in articles]
        query = {
            "bool": {
                "filter": [
                    {"percolate": {"field": "query", "documents": documents}},
                    {"term": {"newsmon.enabled": True}},
                    {"term": {"newsmon.kind": kind}},
                ]
            }
        }
        extra: dict[str, Any] = {}
        if self.highlight:
            extra["highlight"] = {
                "fields": {name: {} for name in QUERY_FIELDS},
                "require_field_match": True,
                "fragment_size": 200,
                "number_of_fragments": 3,
            }
        matches: list[Match] = []
        after: list[Any] | None = None
        while True:
            with transient_errors(f"percolating {len(articles)} articles"):
                page = self.es.search(
                    index=self.index,
                    query=query,
                    size=PAGE,
                    sort=[{"newsmon.id": "asc"}],
                    search_after=after,
                    source_includes=["newsmon.subscription"],
                    **extra,
                )
            hits = page["hits"]["hits"]
            for hit in hits:
                subscription = Subscription.model_validate(
                    hit["_source"]["newsmon"]["subscription"]
                )
                highlight = hit.get("highlight", {})
                slots = hit.get("fields", {}).get("_percolator_document_slot", [0])
                for slot in slots:
                    # one document: plain field names; several: "<slot>_<field>"
                    prefix = f"{slot}_" if len(documents) > 1 else ""
                    matches.append(
                        Match(
                            subscription=subscription,
                            article=articles[slot],
                            document=documents[slot],
                            highlights={
                                k[len(prefix) :]: v
                                for k, v in highlight.items()
                                if k.startswith(prefix)
                            },
                        )
                    )
            if len(hits) < PAGE:
                break
            after = hits[-1]["sort"]
        order = {id(a): i for i, a in enumerate(articles)}
        matches.sort(key=lambda m: (order[id(m.article)], m.subscription.id))
        return matches
