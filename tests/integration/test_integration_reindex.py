"""``newsmon reindex`` on the real cluster: a new ``<alias>-vN`` index tagged with a changed
taxonomy, the diff (topics, subscriptions counted by the percolator's query on each index), the
alias swap while searches run, catch-up, drop-old."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

from elasticsearch import Elasticsearch
from local_stack import AppConfig
from reindex_support import (
    DROPPED_TOPIC,
    SearchLoop,
    example_articles,
    subscription,
    taxonomy_without,
)

from newsmon.cluster.backends import ClusterBackends
from newsmon.runners.reindex import drop_old, reindex
from processors.enrich import Enricher
from processors.taxonomy import load_taxonomy
from sinks.elasticsearch.writer import ElasticsearchSink


def test_reindex_swaps_the_alias_with_no_empty_search(
    app_config: Callable[..., AppConfig], es: Elasticsearch, enricher: Enricher, tmp_path: Path
) -> None:
    config = app_config()
    settings = config.settings
    alias = settings.index_alias
    indexer = ElasticsearchSink(es, alias, refresh=True)
    assert indexer.setup() == f"{alias}-v1"
    stored = enricher.enrich_batch(example_articles())
    with_topic = [a for a in stored if DROPPED_TOPIC in {t.topic for t in a.topics}]
    assert with_topic
    assert indexer.write_batch(stored).written == len(stored)
    backends = ClusterBackends(settings)
    subs = backends.subscriptions()
    subs.setup()
    subs.put(subscription("truces", f"topics:{DROPPED_TOPIC}"))
    subs.put(subscription("nato", "NATO"))
    tokenizer = enricher.nlp.tokenizer
    changed = dataclasses.replace(
        enricher,
        stories=None,
        taxonomy=load_taxonomy(
            lambda s: [t.text for t in tokenizer(s)], taxonomy_without(DROPPED_TOPIC, tmp_path)
        ),
    )
    late = example_articles()[0].model_copy(update={"id": "late", "url": "https://x.test/late"})

    def indexer_meanwhile(done: int, total: int | None) -> None:
        if done == len(stored):
            indexer.write_batch(enricher.enrich_batch([late]))

    loop = SearchLoop(lambda: ClusterBackends(settings).articles().search("*").total)
    with loop:
        report = reindex(
            settings, backends, swap=True, enricher=changed, on_progress=indexer_meanwhile
        )
    assert not loop.errors and len(loop.totals) > 100, loop.errors[:1]
    assert min(loop.totals) > 0
    print(f"{len(loop.totals)} searches, {report.rate:.1f} articles/s")

    assert (report.old, report.new, report.swapped) == (f"{alias}-v1", f"{alias}-v2", True)
    topics = {t.topic: t for t in report.diff.topics}
    assert list(topics) == [DROPPED_TOPIC]
    assert (topics[DROPPED_TOPIC].added, topics[DROPPED_TOPIC].removed) == (0, len(with_topic))
    assert [(s.id, s.old, s.new) for s in report.diff.subscriptions] == [
        ("truces", len(with_topic), 0)
    ]
    assert report.caught_up >= 1
    assert list(es.indices.get_alias(name=alias)) == [f"{alias}-v2"]
    es.indices.refresh(index=alias)
    docs = [h["_source"] for h in es.search(index=alias, size=100)["hits"]["hits"]]
    assert len(docs) == len(stored) + 1
    assert {d["taxonomy_version"] for d in docs} == {changed.taxonomy.stamp}
    assert {d["gazetteer_version"] for d in docs} == {enricher.gazetteer.stamp}
    assert not any(DROPPED_TOPIC in d["topics"] for d in docs)

    ElasticsearchSink(es, alias, refresh=True).write_batch(
        enricher.enrich_batch([late.model_copy(update={"id": "after"})])
    )
    assert es.count(index=f"{alias}-v2")["count"] == len(stored) + 2  # writes follow the alias
    assert drop_old(backends) == [f"{alias}-v1"]
    assert not es.indices.exists(index=f"{alias}-v1")
