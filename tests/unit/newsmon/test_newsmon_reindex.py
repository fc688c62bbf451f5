"""``newsmon reindex`` in the embedded mode: real articles re-tagged with a changed taxonomy,
the diff, a swap while searches run, catch-up of what the indexer wrote meanwhile, drop-old."""

import dataclasses
from pathlib import Path

import pytest
from reindex_support import (
    DROPPED_TOPIC,
    SearchLoop,
    example_articles,
    subscription,
    taxonomy_without,
)

from contract import ConfigError
from newsmon.embedded.backends import EmbeddedBackends
from newsmon.runners.reindex import drop_old, reindex
from newsmon.settings import Settings
from processors.enrich import Enricher
from processors.taxonomy import load_taxonomy
from sinks.sqlite.versions import LiveArticleStore


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL", "MODE"):
        monkeypatch.delenv(f"NEWSMON_{name}", raising=False)
    return Settings(data_dir=tmp_path / "data")


def _changed(enricher: Enricher, tmp_path: Path) -> Enricher:
    tokenizer = enricher.nlp.tokenizer
    taxonomy = load_taxonomy(
        lambda s: [t.text for t in tokenizer(s)], taxonomy_without(DROPPED_TOPIC, tmp_path)
    )
    return dataclasses.replace(enricher, taxonomy=taxonomy, stories=None)


def test_reindex_diff_swap_and_drop(settings: Settings, enricher: Enricher, tmp_path: Path) -> None:
    backends = EmbeddedBackends(settings)
    stored = enricher.enrich_batch(example_articles())
    with_topic = [a for a in stored if DROPPED_TOPIC in {t.topic for t in a.topics}]
    assert len(stored) == 37 and with_topic
    indexer = backends.article_sink()
    indexer.write_batch(stored)
    subs = backends.subscriptions()
    subs.put(subscription("truces", f"topics:{DROPPED_TOPIC}"))
    subs.put(subscription("nato", "NATO"))
    changed = _changed(enricher, tmp_path)
    late = example_articles()[0].model_copy(update={"id": "late", "url": "https://x.test/late"})

    def indexer_meanwhile(done: int, total: int | None) -> None:
        if done == len(stored):  # the build is written: the live indexer writes one more
            indexer.write_batch(enricher.enrich_batch([late]))

    loop = SearchLoop(lambda: EmbeddedBackends(settings).articles().search("*").total)
    with loop:
        report = reindex(
            settings, backends, swap=True, enricher=changed, on_progress=indexer_meanwhile
        )
    assert not loop.errors and len(loop.totals) > 200
    assert min(loop.totals) > 0

    assert (report.old, report.new, report.swapped) == (
        "articles.sqlite3",
        "articles-v2.sqlite3",
        True,
    )
    topics = {t.topic: t for t in report.diff.topics}
    assert list(topics) == [DROPPED_TOPIC]
    assert (topics[DROPPED_TOPIC].added, topics[DROPPED_TOPIC].removed) == (0, len(with_topic))
    assert len(topics[DROPPED_TOPIC].removed_examples) == min(3, len(with_topic))
    assert not report.diff.entities
    assert [(s.id, s.old, s.new) for s in report.diff.subscriptions] == [
        ("truces", len(with_topic), 0)
    ]
    assert report.caught_up >= 1

    live = backends.articles()
    everything = list(live.export(None, None))
    assert len(everything) == 38
    assert {a.taxonomy_version for a in everything} == {changed.taxonomy.stamp}
    assert changed.taxonomy.stamp != enricher.taxonomy.stamp
    assert {a.gazetteer_version for a in everything} == {enricher.gazetteer.stamp}
    assert {a.nlp_model for a in everything if a.language == "en"} == {enricher.model}
    assert not any(DROPPED_TOPIC in {t.topic for t in a.topics} for a in everything)
    before = {a.id: a for a in stored}
    assert all(a.story_id == before[a.id].story_id for a in everything if a.id in before)

    indexer.write_batch(enricher.enrich_batch([late.model_copy(update={"id": "after"})]))
    assert backends.article_versions().count("articles-v2.sqlite3") == 39  # followed the swap
    assert drop_old(backends) == ["articles.sqlite3"]
    assert not settings.articles_db.exists()
    with pytest.raises(ConfigError, match="nothing to drop"):
        drop_old(backends)
    assert isinstance(indexer, LiveArticleStore)


def test_without_swap_the_live_version_stays(
    settings: Settings, enricher: Enricher, tmp_path: Path
) -> None:
    backends = EmbeddedBackends(settings)
    backends.article_sink().write_batch(enricher.enrich_batch(example_articles()[:5]))
    report = reindex(settings, backends, enricher=_changed(enricher, tmp_path))
    assert not report.swapped and report.written == 5
    assert backends.article_versions().live() == "articles.sqlite3"
    again = reindex(settings, backends, enricher=_changed(enricher, tmp_path))
    assert again.new == "articles-v2.sqlite3"  # the unswapped build was replaced


def test_nothing_indexed_is_a_clear_error(settings: Settings, enricher: Enricher) -> None:
    with pytest.raises(ConfigError, match="nothing has been indexed"):
        reindex(settings, EmbeddedBackends(settings), enricher=enricher)
