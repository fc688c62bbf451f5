"""Bulk-write error routes, with a tiny stand-in for the client's ``bulk`` method.

Only these unit tests fake Elasticsearch; the integration tests use the real cluster.
"""

from collections.abc import Callable
from typing import Any

import pytest
from elasticsearch import ConnectionError as ESConnectionError

from contract import Article, TransientError
from sinks.elasticsearch.writer import ElasticsearchSink

Factory = Callable[..., Article]
Respond = Callable[[int, str], dict[str, Any]]


class FakeBulkClient:
    """Answers ``bulk`` per document with ``respond(call_number, doc_id)``; records calls."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.calls: list[list[str]] = []

    def bulk(self, operations: list[dict[str, Any]], refresh: bool) -> dict[str, Any]:
        ids = [op["index"]["_id"] for op in operations[::2]]
        self.calls.append(ids)
        return {"items": [{"index": {"_id": i, **self.respond(len(self.calls), i)}} for i in ids]}

    def close(self) -> None:
        pass


def _sink(client: FakeBulkClient, retries: int = 3) -> ElasticsearchSink:
    return ElasticsearchSink(client, "news-test", retries=retries, backoff=0)  # type: ignore[arg-type]


def _articles(make_article: Factory, n: int = 3) -> list[Article]:
    return [make_article(url=f"https://example.com/{i}") for i in range(n)]


def test_all_written(make_article: Factory) -> None:
    client = FakeBulkClient(lambda call, _id: {"status": 201})
    report = _sink(client).write_batch(_articles(make_article))
    assert (report.written, report.rejected) == (3, [])
    assert len(client.calls) == 1


def test_operations_use_article_id_and_alias(make_article: Factory) -> None:
    seen: list[dict[str, Any]] = []

    class Recording(FakeBulkClient):
        def bulk(self, operations: list[dict[str, Any]], refresh: bool) -> dict[str, Any]:
            seen.extend(operations)
            return super().bulk(operations, refresh)

    article = make_article()
    _sink(Recording(lambda call, _id: {"status": 200})).write_batch([article])
    assert seen[0] == {"index": {"_index": "news-test", "_id": article.id}}
    assert seen[1]["id"] == article.id and "indexed_at" in seen[1]


def test_400_is_rejected_with_reason(make_article: Factory) -> None:
    articles = _articles(make_article)
    bad = articles[1].id
    error = {
        "type": "document_parsing_exception",
        "reason": "[1:42] failed to parse field [published]",
        "caused_by": {"type": "illegal_argument_exception", "reason": "bad date"},
    }

    def respond(call: int, doc_id: str) -> dict[str, Any]:
        return {"status": 400, "error": error} if doc_id == bad else {"status": 201}

    client = FakeBulkClient(respond)
    report = _sink(client).write_batch(articles)

    assert report.written == 2
    assert [r.item.id for r in report.rejected] == [bad]
    reason = report.rejected[0].reason
    assert "document_parsing_exception" in reason
    assert "failed to parse field [published]" in reason
    assert "illegal_argument_exception" in reason and "bad date" in reason
    assert len(client.calls) == 1  # never retried


def test_429_is_retried_then_succeeds(make_article: Factory) -> None:
    articles = _articles(make_article)
    busy = articles[0].id

    def respond(call: int, doc_id: str) -> dict[str, Any]:
        return {"status": 429} if doc_id == busy and call < 3 else {"status": 201}

    client = FakeBulkClient(respond)
    report = _sink(client).write_batch(articles)

    assert (report.written, report.rejected) == (3, [])
    assert client.calls == [[a.id for a in articles], [busy], [busy]]


def test_persistent_503_raises_transient(make_article: Factory) -> None:
    articles = _articles(make_article)
    stuck = articles[2].id

    def respond(call: int, doc_id: str) -> dict[str, Any]:
        return {"status": 503} if doc_id == stuck else {"status": 201}

    client = FakeBulkClient(respond)
    with pytest.raises(TransientError, match=stuck):
        _sink(client, retries=2).write_batch(articles)
    assert len(client.calls) == 3


def test_connection_error_raises_transient(make_article: Factory) -> None:
    class Down(FakeBulkClient):
        def bulk(self, operations: list[dict[str, Any]], refresh: bool) -> dict[str, Any]:
            raise ESConnectionError("connection refused")

    with pytest.raises(TransientError, match="bulk request failed") as caught:
        _sink(Down(lambda call, _id: {})).write_batch(_articles(make_article))
    assert isinstance(caught.value.__cause__, ESConnectionError)


def test_empty_batch_makes_no_request() -> None:
    client = FakeBulkClient(lambda call, _id: {"status": 201})
    assert _sink(client).write_batch([]).written == 0
    assert client.calls == []
