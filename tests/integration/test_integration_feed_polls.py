"""Feed polls in the real Elasticsearch: the committed mapping, idempotent bulk writes, and
``newsmon poll`` on a cluster indexing every poll and alerting a feed-health subscription."""

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from feedserver import FeedServer, rss_xml
from local_stack import AppConfig

from contract import FeedPoll
from sinks.elasticsearch.alerts import AlertStore
from sinks.elasticsearch.feed_polls import FeedPollIndex
from sinks.elasticsearch.feed_polls_mapping import FEED_POLLS_MAPPINGS

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def index_name(es: Elasticsearch) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex[:10]}-feed-polls"
    yield name
    es.indices.delete(index=name, ignore_unavailable=True)


def test_polls_are_indexed_once_with_the_committed_mapping(
    es: Elasticsearch, index_name: str
) -> None:
    index = FeedPollIndex(es, index_name, refresh=True)
    index.setup()
    index.setup()  # idempotent
    mapping = es.indices.get_mapping(index=index_name)[index_name]["mappings"]
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"] == FEED_POLLS_MAPPINGS["properties"]
    polls = [
        FeedPoll(feed="Wire", url="https://wire.example/rss", polled_at=T0 + timedelta(minutes=m),
                 status="ok", articles=m, duration_ms=12.5)
        for m in range(3)
    ] + [FeedPoll(feed="Gone", url="https://gone.example/rss", polled_at=T0, status="failed",
                  failures=4, error="feed 'Gone': HTTP 503 Service Unavailable")]  # fmt: skip
    assert index.write_batch(polls).written == 4
    assert index.write_batch(polls[:2]).written == 2  # a retried request: same ids
    assert es.count(index=index_name)["count"] == 4
    found = es.search(
        index=index_name,
        size=0,
        aggs={"by": {"terms": {"field": "status"}, "aggs": {"n": {"sum": {"field": "articles"}}}}},
    )
    buckets = {
        b["key"]: (b["doc_count"], b["n"]["value"]) for b in found["aggregations"]["by"]["buckets"]
    }
    assert buckets == {"ok": (3, 3.0), "failed": (1, 0.0)}
    [hit] = es.search(index=index_name, query={"term": {"feed": "Gone"}})["hits"]["hits"]
    assert FeedPoll.model_validate(hit["_source"]) == polls[-1]


def test_newsmon_poll_on_a_cluster_indexes_polls_and_alerts_feed_health(
    app_config: Callable[..., AppConfig],
    tmp_path: Path,
    feed_server: FeedServer,
    es: Elasticsearch,
    percolator: Elasticsearch,
) -> None:
    polls_index = f"test-{uuid.uuid4().hex[:10]}-feed-polls"
    config = app_config(feed_polls_index=polls_index, feed_failing_after="0")
    item = {"title": "Hello", "link": feed_server.url("/a/1"), "description": "x"}
    ok = feed_server.add("/ok.xml", rss_xml([item]))
    broken = feed_server.add("/broken.xml", b"no", status=503)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- {{name: Fine, url: '{ok}'}}\n- {{name: Broken, url: '{broken}'}}\n")
    added = config.newsmon(
        "subscriptions", "add", "--feed-health", "--id", "ops", "--owner", "ops",
        "--kafka-topic", "ops-alerts",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    try:
        summary = config.poll_once(feeds)
        assert (summary["ok"], summary["failed"]) == (1, 1)
        es.indices.refresh(index=polls_index)
        docs = [h["_source"] for h in es.search(index=polls_index)["hits"]["hits"]]
        assert sorted((d["feed"], d["status"], d["articles"]) for d in docs) == [
            ("Broken", "failed", 0),
            ("Fine", "ok", 1),
        ]
        settings = config.settings
        store = AlertStore(percolator, settings.alerts_index)
        percolator.indices.refresh(index=settings.alerts_index)
        [alert] = store.search(subscription_id="ops")
        assert alert.kind == "feed-health" and alert.feed_health is not None
        assert (alert.feed_health.feed, alert.feed_health.health) == ("Broken", "failing")
        # The subscription is stored but matches no article on the percolator.
        stored = percolator.get(index=settings.subscriptions_index, id="ops")["_source"]
        assert stored["query"] == {"match_none": {}}
        again = config.poll_once(feeds)
        assert again["failed"] == 1
        percolator.indices.refresh(index=settings.alerts_index)
        assert len(store.search(subscription_id="ops")) == 1  # the same episode
        status = config.newsmon("feeds", "status", "--json", "--feeds", str(feeds))
        rows = {r["name"]: r for r in json.loads(status.stdout)}
        assert rows["Broken"]["health"] == "failing" and rows["Fine"]["health"] == "ok"
    finally:
        es.indices.delete(index=polls_index, ignore_unavailable=True)
