"""The article stores' read side for replay and export, on the real Elasticsearch and on
SQLite: ``known`` (which ids are stored) and ``export`` (oldest first, paged, filtered by date
and query) give the same answers in both modes."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from local_stack import AppConfig

import sinks.elasticsearch.search as es_search
import sinks.sqlite.articles as sqlite_articles
from contract import Article
from processors.enrich import Enricher
from sinks.article_queries import ArticleQueries
from sinks.elasticsearch.search import ElasticsearchQueries
from sinks.elasticsearch.writer import ElasticsearchSink
from sinks.sqlite.articles import SqliteArticleStore

START = datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def corpus(enricher: Enricher, make_article: Callable[..., Article]) -> list[Article]:
    """25 tagged articles an hour apart; every third about a ceasefire; two without a date."""
    articles = [
        make_article(
            url=f"https://example.com/story/{i}",
            title=f"Ceasefire talks, round {i}" if i % 3 == 0 else f"Harbour works, part {i}",
            text="Mediators said the warring parties agreed to a ceasefire."
            if i % 3 == 0
            else "The port authority opened a new quay for container ships.",
            published=None if i in (7, 8) else START + timedelta(hours=i),
            fetched_at=START + timedelta(hours=i, minutes=5),
        )
        for i in range(25)
    ]
    return enricher.enrich_batch(articles)


def check(store: ArticleQueries, corpus: list[Article]) -> None:
    ids = [a.id for a in corpus]
    assert store.known([*ids[:3], "not-stored"]) == set(ids[:3])
    every = list(store.export(None, None))
    assert sorted(a.id for a in every) == sorted(ids)
    dated = [a.published or a.fetched_at for a in every if a.published]
    assert dated == sorted(dated)  # oldest first
    window = list(store.export(START + timedelta(hours=5), START + timedelta(hours=10)))
    assert [a.url.rsplit("/", 1)[1] for a in window] == ["5", "6", "7", "8", "9"]
    truce = list(store.export(None, None, "topics:ceasefire"))
    assert {a.url.rsplit("/", 1)[1] for a in truce} == {str(i) for i in range(0, 25, 3)}
    assert every[0].topics or every[1].topics  # the tags come back with the articles


def test_elasticsearch_known_and_export(
    app_config: Callable[..., AppConfig],
    es: Elasticsearch,
    corpus: list[Article],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alias = app_config().env["NEWSMON_INDEX_ALIAS"]
    sink = ElasticsearchSink(es, alias)
    sink.setup()
    sink.write_batch(corpus)
    es.indices.refresh(index=alias)
    monkeypatch.setattr(es_search, "EXPORT_PAGE", 4)  # several pages
    check(ElasticsearchQueries(es, alias), corpus)


def test_sqlite_known_and_export(
    tmp_path: Path, corpus: list[Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteArticleStore(tmp_path / "articles.sqlite3")
    store.write_batch(corpus)
    monkeypatch.setattr(sqlite_articles, "EXPORT_PAGE", 4)
    check(store, corpus)
