"""Bulk-indexing enriched articles into Elasticsearch, idempotently (``_id`` = article id)."""

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from contract import Article, TransientError
from sinks.base import Rejected, Sink, WriteReport
from sinks.documents import to_document
from sinks.elasticsearch.index import ensure_index

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


class ElasticsearchSink(Sink[Article]):
    """Writes articles through an alias with the bulk API.

    Documents the cluster refuses for good (mapping errors, 4xx) are returned as rejected with
    Elasticsearch's reason; documents refused for now (429, 5xx) are retried in place a few times
    and then the whole batch fails with :class:`TransientError`, so nothing is acknowledged
    upstream that is not in the index.
    """

    def __init__(
        self,
        es: Elasticsearch,
        alias: str = "news-articles",
        *,
        retries: int = 3,
        backoff: float = 0.5,
        refresh: bool = False,
    ) -> None:
        self.es = es
        self.alias = alias
        self.retries = retries
        self.backoff = backoff
        self.refresh = refresh

    def setup(self) -> str:
        """Create the template, index and alias if needed; return the write index's name."""
        try:
            return ensure_index(self.es, self.alias)
        except TransportError as exc:
            raise TransientError(f"elasticsearch unreachable: {exc}") from exc

    def _bulk(self, articles: Sequence[Article]) -> list[dict[str, Any]]:
        now = datetime.now(UTC).isoformat()
        operations: list[dict[str, Any]] = []
        for a in articles:
            operations.append({"index": {"_index": self.alias, "_id": a.id}})
            operations.append(to_document(a, now))
        try:
            response = self.es.bulk(operations=operations, refresh=self.refresh)
        except TransportError as exc:
            raise TransientError(f"elasticsearch bulk request failed: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status in RETRYABLE_STATUS or exc.meta.status >= 500:
                raise TransientError(f"elasticsearch bulk refused: {exc}") from exc
            raise
        return [next(iter(item.values())) for item in response["items"]]

    def write_batch(self, items: Sequence[Article]) -> WriteReport[Article]:
        """Index ``items``; see the class docstring for the error routes."""
        report: WriteReport[Article] = WriteReport()
        pending = list(items)
        for attempt in range(self.retries + 1):
            if not pending:
                break
            results = self._bulk(pending)
            retry = []
            for article, result in zip(pending, results, strict=True):
                status = int(result.get("status", 500))
                if status < 300:
                    report.written += 1
                elif status in RETRYABLE_STATUS or status >= 500:
                    retry.append(article)
                else:
                    reason = _reason(result.get("error"))
                    log.error(
                        "article %s (%s) rejected by elasticsearch: %s",
                        article.id,
                        article.url,
                        reason,
                    )
                    report.rejected.append(Rejected(article, reason))
            pending = retry
            if pending and attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)
        if pending:
            raise TransientError(
                f"elasticsearch kept refusing {len(pending)} document(s), e.g. {pending[0].id}"
            )
        return report

    def close(self) -> None:
        """Close the client's connections."""
        self.es.close()


def _reason(error: Any) -> str:
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        cause = error.get("caused_by")
        return f"{text} (caused by {_reason(cause)})" if cause else text
    return str(error)
