"""``newsmon reindex`` end to end through the CLI, one run per mode: articles tagged with the
bundled taxonomy are stored; with NEWSMON_TAXONOMY pointing at a copy without one topic,
``reindex --json`` reports the diff and leaves the live version alone, ``reindex --swap`` (a
separate process) swaps while this process searches in a loop and never sees 0, and
``reindex --drop-old`` removes the old version."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from local_stack import AppConfig
from reindex_support import (
    DROPPED_TOPIC,
    SearchLoop,
    example_articles,
    subscription,
    taxonomy_without,
)
from run_support import embedded_env, newsmon

from contract import Article
from newsmon.cluster.backends import ClusterBackends
from newsmon.embedded.backends import EmbeddedBackends
from newsmon.settings import Settings
from processors.enrich import Enricher
from sinks.elasticsearch.writer import ElasticsearchSink

pytestmark = pytest.mark.e2e


def _check_diff(result: dict[str, object], with_topic: int) -> None:
    diff = result["diff"]
    assert isinstance(diff, dict)
    topics = {t["topic"]: t for t in diff["topics"]}
    assert list(topics) == [DROPPED_TOPIC]
    assert (topics[DROPPED_TOPIC]["added"], topics[DROPPED_TOPIC]["removed"]) == (0, with_topic)
    subs = [(s["id"], s["old"], s["new"]) for s in diff["subscriptions"]]
    assert subs == [("truces", with_topic, 0)]


def _tagged(enricher: Enricher) -> tuple[list[Article], int]:
    stored = enricher.enrich_batch(example_articles())
    return stored, sum(DROPPED_TOPIC in {t.topic for t in a.topics} for a in stored)


def test_reindex_embedded(enricher: Enricher, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = embedded_env(data, NEWSMON_TAXONOMY=str(taxonomy_without(DROPPED_TOPIC, tmp_path)))
    settings = Settings(data_dir=data, mode="embedded")
    backends = EmbeddedBackends(settings)
    stored, with_topic = _tagged(enricher)
    backends.article_sink().write_batch(stored)
    backends.subscriptions().put(subscription("truces", f"topics:{DROPPED_TOPIC}"))

    built = newsmon(env, "reindex", "--json")
    assert built.returncode == 0, built.stderr
    report = json.loads(built.stdout)
    assert report["versions"] == {"old": "articles.sqlite3", "new": "articles-v2.sqlite3"}
    assert report["swapped"] is False
    _check_diff(report, with_topic)

    loop = SearchLoop(lambda: EmbeddedBackends(settings).articles().search("*").total)
    with loop:
        swapped = newsmon(env, "reindex", "--swap")
    assert swapped.returncode == 0, swapped.stderr
    print(swapped.stdout)
    assert "swapped: articles-v2.sqlite3 is live" in swapped.stdout
    assert DROPPED_TOPIC in swapped.stdout
    assert not loop.errors and len(loop.totals) > 200 and min(loop.totals) > 0
    docs = list(EmbeddedBackends(settings).articles().export(None, None))
    assert len(docs) == len(stored)
    stamp = report["tagged_with"]["taxonomy"]
    assert stamp.startswith("1.1.0+") and stamp != enricher.taxonomy.stamp
    assert {d.taxonomy_version for d in docs} == {stamp}

    dropped = newsmon(env, "reindex", "--drop-old")
    assert dropped.returncode == 0, dropped.stderr
    assert "articles.sqlite3" in dropped.stdout and not (data / "articles.sqlite3").exists()
    again = newsmon(env, "reindex", "--drop-old")
    assert again.returncode == 1 and "nothing to drop" in again.stderr


def test_reindex_cluster(
    app_config: Callable[..., AppConfig], es: Elasticsearch, enricher: Enricher, tmp_path: Path
) -> None:
    config = app_config(taxonomy=str(taxonomy_without(DROPPED_TOPIC, tmp_path)))
    alias = config.env["NEWSMON_INDEX_ALIAS"]
    stored, with_topic = _tagged(enricher)
    sink = ElasticsearchSink(es, alias, refresh=True)
    sink.setup()
    sink.write_batch(stored)
    settings = config.settings
    subs = ClusterBackends(settings).subscriptions()
    subs.setup()
    subs.put(subscription("truces", f"topics:{DROPPED_TOPIC}"))

    loop = SearchLoop(lambda: ClusterBackends(settings).articles().search("*").total)
    with loop:
        swapped = config.newsmon("reindex", "--swap", "--json")
    assert swapped.returncode == 0, swapped.stderr
    report = json.loads(swapped.stdout)
    assert report["versions"] == {"old": f"{alias}-v1", "new": f"{alias}-v2"}
    assert report["swapped"] is True
    _check_diff(report, with_topic)
    assert not loop.errors and len(loop.totals) > 100 and min(loop.totals) > 0
    assert list(es.indices.get_alias(name=alias)) == [f"{alias}-v2"]
    hits = es.search(index=alias, size=100)["hits"]["hits"]
    assert {h["_source"]["taxonomy_version"] for h in hits} == {report["tagged_with"]["taxonomy"]}

    dropped = config.newsmon("reindex", "--drop-old")
    assert dropped.returncode == 0, dropped.stderr
    assert not es.indices.exists(index=f"{alias}-v1")
