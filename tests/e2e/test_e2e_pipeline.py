"""A real feed item through a real Kafka broker, the faust worker and into Elasticsearch."""

import time
from collections.abc import Callable
from html import escape
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from feedserver import FeedServer, rss_xml
from local_stack import AppConfig, get_document, stop_process, wait_for

from contract import article_id

pytestmark = pytest.mark.e2e

EXPECTED_ENTITIES = {
    "NATO": "ORG",
    "Jens Stoltenberg": "PERSON",
    "Ukraine": "GPE",
    "Russia": "GPE",
    "Volodymyr Zelensky": "PERSON",
    "Antony Blinken": "PERSON",
    "Vladimir Putin": "PERSON",
    "Reuters": "ORG",
}
TITLE = "NATO chief urges allies to let Ukraine strike Russian territory with Western weapons"


def test_seed_feed_through_kafka_faust_and_elasticsearch(
    app_config: Callable[..., AppConfig],
    es: Elasticsearch,
    feed_server: FeedServer,
    seed_text: str,
    tmp_path: Path,
) -> None:
    config = app_config()
    alias = config.env["NEWSMON_INDEX_ALIAS"]
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in seed_text.splitlines() if p.strip())
    link = feed_server.url("/world/nato-ukraine-weapons?utm_source=rss&utm_medium=feed#top")
    feed_url = feed_server.add(
        "/feeds/world.xml",
        rss_xml(
            [
                {
                    "title": TITLE,
                    "link": link,
                    "description": paragraphs,
                    "date": "Fri, 24 May 2024 09:30:00 GMT",
                }
            ],
            title="Example World News",
        ),
        etag='"world-v1"',
    )
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: Example World\n  url: {feed_url}\n  interval: 60\n")

    assert config.poll_once(feeds)["published"] == 1
    workers = config.start_workers(tmp_path)
    try:
        doc_id = article_id(link)
        doc = wait_for(
            lambda: get_document(es, alias, doc_id), 240, f"document {doc_id} in {alias}", every=1
        )
        assert isinstance(doc, dict)
        assert doc["title"] == TITLE
        assert doc["source"] == "Example World"
        assert doc["url"].endswith("/world/nato-ukraine-weapons")
        assert "Stoltenberg" in doc["text"]
        labels = {e["name"]: e["label"] for e in doc["entity_details"]}
        for name, label in EXPECTED_ENTITIES.items():
            assert labels.get(name) == label, f"{name}: {labels.get(name)} in {sorted(labels)}"
        assert {"weapons-restrictions", "ceasefire"} <= set(doc["topics"])
        for topic in doc["topic_details"]:
            assert topic["evidence"], topic
            for evidence in topic["evidence"]:
                assert evidence["sentence"] in f"{TITLE}\n{doc['text']}"
        assert doc["taxonomy_version"]

        summary = config.poll_once(feeds)
        assert (summary["not_modified"], summary["published"]) == (1, 0)
        headers = feed_server.request_headers["/feeds/world.xml"]
        assert len(headers) == 2
        assert headers[1].get("If-None-Match") == '"world-v1"'

        time.sleep(3)  # anything wrongly re-published would reach the index by now
        es.indices.refresh(index=alias)
        assert es.count(index=alias)["count"] == 1
        for name, (proc, log) in workers.items():
            assert proc.poll() is None, f"{name} exited early:\n{stop_process(proc, log)}"
    finally:
        tails = {name: stop_process(proc, log) for name, (proc, log) in workers.items()}
    for name, (proc, _) in workers.items():
        assert proc.returncode in (0, -15, 143), f"{name} exit {proc.returncode}:\n{tails[name]}"
