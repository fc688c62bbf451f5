"""`newsmon process`: the faust worker on the real broker, poison messages dead-lettered,
replayed articles (the replay topic) enriched by its second agent."""

import subprocess
from collections.abc import Callable
from pathlib import Path

import orjson
from kafka import KafkaConsumer, KafkaProducer
from local_stack import AppConfig

from contract import Article, ErrorEnvelope


def _read(config: AppConfig, topic: str, expect: int, timeout_ms: int) -> list[bytes]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"],
        auto_offset_reset="earliest",
        consumer_timeout_ms=timeout_ms,
        group_id=f"check-{topic}",
    )
    values = []
    for record in consumer:
        values.append(record.value)
        if len(values) >= expect:
            break
    consumer.close()
    return values


def test_worker_enriches_and_dead_letters(
    app_config: Callable[..., AppConfig],
    make_article: Callable[..., Article],
    tmp_path: Path,
) -> None:
    config = app_config()
    articles = [
        make_article(
            url=f"https://example.com/{i}",
            title="Russia and Ukraine agree a ceasefire",
            text="Vladimir Putin said Russian forces would halt fighting along the front line.",
        )
        for i in range(3)
    ]
    bad_field = articles[0].model_dump(mode="json")
    bad_field["fetched_at"] = "yesterday"
    producer = KafkaProducer(bootstrap_servers=config.env["NEWSMON_KAFKA_BOOTSTRAP"], acks="all")
    for a in articles:
        producer.send(config.env["NEWSMON_TOPIC_RAW"], key=a.id.encode(), value=a.to_json())
    producer.send(config.env["NEWSMON_TOPIC_RAW"], key=b"x", value=orjson.dumps(bad_field))
    replayed = [
        make_article(
            url=f"https://example.com/history/{i}",
            title="Russia and Ukraine agree a ceasefire",
            text="Vladimir Putin said Russian forces would halt fighting along the front line.",
            lane="replay",
        )
        for i in range(2)
    ]
    for a in replayed:
        producer.send(config.env["NEWSMON_TOPIC_REPLAY"], key=a.id.encode(), value=a.to_json())
    producer.flush()
    producer.close()

    log = tmp_path / "process.log"
    worker = config.start("process", log=log)
    try:
        enriched = _read(config, config.env["NEWSMON_TOPIC_ENRICHED"], 5, 180_000)
        dead = _read(config, config.env["NEWSMON_TOPIC_DLQ"], 1, 60_000)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert len(enriched) == 5, log.read_text()[-3000:]
    by_lane = {lane: [a for a in map(Article.from_json, enriched) if a.lane == lane]
               for lane in ("live", "replay")}  # fmt: skip
    assert sorted(a.id for a in by_lane["replay"]) == sorted(a.id for a in replayed)
    for article in by_lane["live"] + by_lane["replay"]:
        assert [t.topic for t in article.topics] == ["ceasefire"]
        assert "Vladimir Putin" in [e.name for e in article.entities]
        assert article.taxonomy_version
    assert len(dead) == 1
    envelope = ErrorEnvelope.model_validate_json(dead[0])
    assert envelope.stage == "processors.enrich"
    assert "fetched_at" in envelope.error
    assert orjson.loads(envelope.payload())["fetched_at"] == "yesterday"
