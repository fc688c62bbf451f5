"""`newsmon index` and the Elasticsearch sink against the real cluster."""

from collections.abc import Callable

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, KafkaProducer
from local_stack import AppConfig

from contract import Article, ErrorEnvelope
from processors.enrich import Enricher
from sinks.elasticsearch.writer import ElasticsearchSink


def _produce(config: AppConfig, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"], acks="all")
    for key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def _dead_letters(config: AppConfig) -> list[ErrorEnvelope]:
    consumer = KafkaConsumer(
        config.env["NEWSMON_TOPIC_DLQ"],
        bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        consumer_timeout_ms=5_000,
        group_id=f"check-{config.env['NEWSMON_TOPIC_DLQ']}",
    )
    envelopes = [ErrorEnvelope.model_validate_json(r.value) for r in consumer]
    consumer.close()
    return envelopes


@pytest.fixture
def enriched(enricher: Enricher, make_article: Callable[..., Article]) -> list[Article]:
    articles = [
        make_article(
            url=f"https://example.com/world/{i}",
            title=f"Talks on a ceasefire in Sudan, round {i}",
            text="Mediators in Jeddah said the warring parties agreed to a humanitarian truce "
            "after weeks of fighting in Khartoum.",
        )
        for i in range(5)
    ]
    return enricher.enrich_batch(articles)


def test_index_is_idempotent_and_dead_letters_poison(
    app_config: Callable[..., AppConfig], es: Elasticsearch, enriched: list[Article]
) -> None:
    config = app_config()
    topic = config.env["NEWSMON_TOPIC_ENRICHED"]
    alias = config.env["NEWSMON_INDEX_ALIAS"]
    good = [(a.id.encode(), a.to_json()) for a in enriched]
    _produce(config, topic, [*good[:3], (b"bad", b"{not json"), *good[3:]])

    run = config.newsmon("index", "--until-idle")
    assert run.returncode == 0, run.stderr
    assert "indexed 5" in run.stderr
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 5
    stored = es.get(index=alias, id=enriched[0].id)["_source"]
    assert stored["topics"] == [t.topic for t in enriched[0].topics]
    assert "ceasefire" in stored["topics"]

    dead = _dead_letters(config)
    assert len(dead) == 1
    assert dead[0].payload() == b"{not json"
    assert dead[0].stage == "sinks.elasticsearch"
    assert topic in dead[0].source

    # Redelivery of every article (a replay, or a consumer that crashed before committing)
    # overwrites the same documents.
    _produce(config, topic, good)
    again = config.newsmon("index", "--until-idle")
    assert again.returncode == 0, again.stderr
    es.indices.refresh(index=alias)
    assert es.count(index=alias)["count"] == 5


def test_refused_documents_are_reported_with_the_reason(
    es: Elasticsearch, enriched: list[Article]
) -> None:
    alias = "test-conflict-articles"
    es.options(ignore_status=404).indices.delete(index=f"{alias}-v1")
    # An index whose mapping disagrees with newsmon's: `source` must be a number there.
    es.indices.create(
        index=f"{alias}-v1",
        mappings={"properties": {"source": {"type": "long"}}},
        aliases={alias: {"is_write_index": True}},
    )
    sink = ElasticsearchSink(es, alias, refresh=True)
    report = sink.write_batch(enriched[:2])
    assert report.written == 0
    assert [r.item.id for r in report.rejected] == [a.id for a in enriched[:2]]
    assert "document_parsing_exception" in report.rejected[0].reason or (
        "mapper_parsing_exception" in report.rejected[0].reason
    )
    assert "source" in report.rejected[0].reason
