"""The dashboard's panels against the real Elasticsearch of the test stack.

A fixture corpus (labelled articles run through the real enrichment pipeline with story
clustering, indexed through newsmon's own sink; alerts recorded by the real alert store; feed
polls of the contract's shape in the feed-polls mapping) goes into indices named for this test,
and every panel's query, translated from the saved objects, must come back with buckets.
"""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from contract import Article, FeedPoll, KafkaChannel, Subscription, article_id
from newsmon.cli import app
from newsmon.kibana.panel_queries import dashboard_queries, run_query
from newsmon.kibana.saved_objects import read_objects
from processors.enrich import Enricher
from processors.stories import StoryIndex
from sinks.documents import percolate_document
from sinks.elasticsearch.alerts import AlertStore
from sinks.elasticsearch.feed_polls_mapping import FEED_POLLS_MAPPINGS
from sinks.elasticsearch.writer import ElasticsearchSink
from sinks.matches import Match

LABELLED = Path(__file__).parents[1] / "data" / "labelled" / "dev.jsonl"
SOURCES = ("Wire One", "Daily Two", "Gazette Three")
FEEDS = ("wire-one", "daily-two", "broken-feed")


def _corpus(now: datetime, count: int = 48) -> list[Article]:
    records = [json.loads(line) for line in LABELLED.read_text().splitlines()[:count]]
    return [
        Article(
            id=article_id(f"https://example.com/{r['id']}"),
            url=f"https://example.com/{r['id']}",
            title=r["title"],
            text=r["text"],
            published=now - timedelta(days=i % 20, hours=i % 7),
            fetched_at=now - timedelta(days=i % 20),
            source=SOURCES[i % len(SOURCES)],
            feed_url=f"https://example.com/{FEEDS[i % 2]}.xml",
            language="en",
        )
        for i, r in enumerate(records)
    ]


def _polls(now: datetime) -> list[FeedPoll]:
    polls = []
    for day in range(10):
        at = now - timedelta(days=day, hours=1)
        for n, feed in enumerate(FEEDS):
            failed = feed == "broken-feed"
            polls.append(
                FeedPoll(
                    feed=feed,
                    url=f"https://example.com/{feed}.xml",
                    polled_at=at,
                    status="failed" if failed else "ok",
                    articles=0 if failed else 3 + n + day % 3,
                    failures=day + 1 if failed else 0,
                    error="HTTP 503 Service Unavailable" if failed else "",
                    duration_ms=120.0,
                )
            )
    return polls


@pytest.fixture(scope="module")
def corpus(es: Elasticsearch) -> Iterator[dict[str, str]]:
    """Articles, alerts and feed polls in indices of this test: data view id -> index."""
    uid = uuid.uuid4().hex[:8]
    indices = {
        "newsmon-articles": f"test-{uid}-kibana-articles",
        "newsmon-alerts": f"test-{uid}-kibana-alerts",
        "newsmon-feed-polls": f"test-{uid}-kibana-feed-polls",
    }
    now = datetime.now(UTC)
    with StoryIndex(":memory:") as stories:
        enricher = Enricher.load(stories=stories)
        articles = enricher.enrich_batch(_corpus(now))
    sink = ElasticsearchSink(es, indices["newsmon-articles"], refresh=True)
    versioned = sink.setup()
    report = sink.write_batch(articles)
    assert report.written == len(articles), report.rejected

    alerts = AlertStore(es, indices["newsmon-alerts"])
    alerts.setup()
    for name, topic in (("ceasefire-desk", "ceasefire"), ("elections-desk", "elections")):
        subscription = Subscription(
            id=name,
            name=name,
            owner="desk",
            query=f"topics:{topic}",
            channels=[KafkaChannel(topic="alerts")],
        )
        matched = [a for a in articles if topic in {t.topic for t in a.topics}]
        assert matched, f"the corpus has no {topic} article"
        for article in matched:
            match = Match(subscription, article, percolate_document(article))
            alerts.record([match], article.published or now)

    polls = indices["newsmon-feed-polls"]
    es.indices.create(index=polls, mappings=FEED_POLLS_MAPPINGS)
    for poll in _polls(now):
        es.index(index=polls, document=poll.model_dump(mode="json"))
    for index in indices.values():
        es.indices.refresh(index=index)
    yield indices
    es.options(ignore_status=404).indices.delete(
        index=[versioned, indices["newsmon-alerts"], polls]
    )


def test_every_panel_query_finds_buckets(es: Elasticsearch, corpus: dict[str, str]) -> None:
    queries = dashboard_queries(read_objects(), corpus)
    assert len(queries) >= 12
    empty = []
    for query in queries:
        assert query.index == corpus[query.data_view]
        result = run_query(es, query)
        if result.buckets == 0:
            empty.append(query.panel_id)
    assert not empty, f"panels with no buckets: {empty}"


def test_panel_metrics_hold_real_values(es: Elasticsearch, corpus: dict[str, str]) -> None:
    """Not just buckets: stories are counted, failed polls are only the broken feed's, the
    articles per feed add up to what the polls said."""
    queries = {q.panel_id: q for q in dashboard_queries(read_objects(), corpus)}
    stories = es.search(
        index=corpus["newsmon-articles"], body=queries["newsmon-stories-by-topic"].body
    ).body["aggregations"]["topic"]["buckets"]
    assert stories
    assert all(1 <= b["stories"]["value"] <= b["doc_count"] for b in stories)
    failures = run_query(es, queries["newsmon-feed-failures"])
    assert failures.buckets == 10  # one per day, one feed
    assert all(s.startswith("broken-feed") for s in failures.sample)
    per_feed = es.search(
        index=corpus["newsmon-feed-polls"], body=queries["newsmon-feed-articles"].body
    ).body["aggregations"]["feed"]["buckets"]
    totals = {b["key"]: sum(d["articles"]["value"] for d in b["time"]["buckets"]) for b in per_feed}
    expected: dict[str, float] = {}
    for poll in _polls(datetime.now(UTC)):
        expected[poll.feed] = expected.get(poll.feed, 0) + poll.articles
    assert totals == expected
    alerts = run_query(es, queries["newsmon-alerts-by-subscription"])
    assert {s.split(" / ")[0] for s in alerts.sample} <= {"ceasefire-desk", "elections-desk"}


def test_kibana_check_command_reports_each_panel(
    stack: object, corpus: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    es_url = stack.es_url  # type: ignore[attr-defined]
    monkeypatch.setenv("NEWSMON_ES_URL", es_url)
    monkeypatch.setenv("NEWSMON_PERCOLATOR_URL", es_url)
    monkeypatch.setenv("NEWSMON_INDEX_ALIAS", corpus["newsmon-articles"])
    monkeypatch.setenv("NEWSMON_ALERTS_INDEX", corpus["newsmon-alerts"])
    monkeypatch.setenv("NEWSMON_FEED_POLLS_INDEX", corpus["newsmon-feed-polls"])
    result = CliRunner().invoke(app, ["kibana", "check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failed"] == []
    panels = {row["panel"]: row for row in report["panels"]}
    assert panels["newsmon-top-sources"]["buckets"] == len(SOURCES)
    assert panels["newsmon-latest-articles"]["buckets"] > 0
    assert panels["newsmon-feed-failures"]["index"] == corpus["newsmon-feed-polls"]
    assert panels["newsmon-feed-failures"]["buckets"] == 10  # the broken feed, one a day
    assert all(row["buckets"] > 0 for row in report["panels"]), report


def test_kibana_check_names_the_panel_whose_query_the_cluster_refuses(
    stack: object, es: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index whose ``source`` is text (not newsmon's mapping): the top-sources terms
    aggregation is refused, and the check says which panel, on which index."""
    index = f"test-{uuid.uuid4().hex[:8]}-kibana-wrong"
    mappings = {"properties": {"source": {"type": "text"}, "published": {"type": "date"}}}
    es.indices.create(index=index, mappings=mappings)
    try:
        document = {"source": "Wire One", "published": datetime.now(UTC).isoformat()}
        es.index(index=index, document=document, refresh=True)
        es_url = stack.es_url  # type: ignore[attr-defined]
        monkeypatch.setenv("NEWSMON_ES_URL", es_url)
        monkeypatch.setenv("NEWSMON_PERCOLATOR_URL", es_url)
        monkeypatch.setenv("NEWSMON_INDEX_ALIAS", index)
        result = CliRunner().invoke(app, ["kibana", "check"])
        assert result.exit_code == 1
        failed = [line for line in result.stderr.splitlines() if "query failed" in line]
        assert any(f"newsmon-top-sources ({index})" in line for line in failed), result.stderr
    finally:
        es.options(ignore_status=404).indices.delete(index=index)


def test_a_filters_column_runs_on_the_cluster(es: Elasticsearch, corpus: dict[str, str]) -> None:
    """Lens ``filters`` columns (none in the shipped panels yet) translate to a request the
    cluster answers with one bucket per filter."""
    objects = read_objects()
    lens = next(o for o in objects if o.id == "newsmon-top-sources")
    layer = lens.attributes["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]
    layer["columns"]["source"].update(
        operationType="filters",
        sourceField=None,
        params={
            "filters": [
                {"label": "wire", "input": {"language": "lucene", "query": 'source:"Wire One"'}},
                {
                    "label": "ceasefire",
                    "input": {"language": "lucene", "query": "topics:ceasefire"},
                },
            ]
        },
    )
    query = next(q for q in dashboard_queries(objects, corpus) if q.panel_id == lens.id)
    result = run_query(es, query)
    assert (result.buckets, sorted(result.sample)) == (2, ["ceasefire", "wire"])
