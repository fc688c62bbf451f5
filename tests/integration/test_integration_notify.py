"""``newsmon notify`` against real Kafka: killed mid-delivery and restarted, nothing is lost and
nothing reaches the subscriber twice; a redelivered topic sends nothing; a dead endpoint ends in
the dead-letter topic."""

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer
from local_stack import AppConfig, caught_up, stop_process, wait_for
from receivers import HookServer

from contract import Alert, AlertArticle, ErrorEnvelope, Subscription, alert_id
from newsmon.kafka_io import ensure_topics, make_producer, send_all
from sinks.elasticsearch.subscriptions import SubscriptionStore
from sinks.notify.webhook import verify_signature

SECRET = "notify-secret"


@pytest.fixture
def hook() -> Iterator[HookServer]:
    server = HookServer()
    yield server
    server.close()


def _alerts(subscription_id: str, n: int) -> list[Alert]:
    now = datetime.now(UTC)
    alerts = []
    for i in range(n):
        article = AlertArticle(id=f"a{i}", url=f"https://example.com/{i}", title=f"Story {i}")
        alerts.append(
            Alert(
                alert_id=alert_id(subscription_id, f"story-{i}"),
                subscription_id=subscription_id,
                story_id=f"story-{i}",
                article=article,
                latest=article,
                article_ids=[article.id],
                created_at=now,
                updated_at=now,
            )
        )
    return alerts


def _setup(
    config: AppConfig, percolator: Elasticsearch, url: str, retries: int = 5
) -> Subscription:
    settings = config.settings
    store = SubscriptionStore(percolator, settings.subscriptions_index)
    store.setup()
    subscription = Subscription(
        id=f"hook-{uuid.uuid4().hex[:6]}",
        name="hook",
        owner="tests",
        query="topics:ceasefire",
        channels=[{"type": "webhook", "url": url, "secret": SECRET, "retries": retries}],
    )
    store.put(subscription)
    ensure_topics(settings)
    return subscription


def _produce(config: AppConfig, alerts: list[Alert]) -> None:
    producer = make_producer(config.settings.kafka_bootstrap)
    try:
        send_all(
            producer,
            config.settings.topic_alerts,
            [(a.alert_id.encode(), a.to_json()) for a in alerts],
        )
    finally:
        producer.close()


def test_killed_notifier_loses_nothing_and_sends_nothing_twice(
    app_config: Callable[..., AppConfig],
    percolator: Elasticsearch,
    hook: HookServer,
    tmp_path: Path,
) -> None:
    config = app_config(webhook_backoff="0.2")
    subscription = _setup(config, percolator, hook.url("/in"))
    alerts = _alerts(subscription.id, 12)
    _produce(config, alerts)
    hook.delay = 0.4  # a slow subscriber, so the kill lands mid-delivery

    first = config.start("notify", log=tmp_path / "notify-1.log")
    wait_for(lambda: len(hook.requests) >= 4, 120, "four deliveries", every=0.05)
    first.kill()  # SIGKILL: no clean shutdown, no offset commit
    first.wait()
    at_kill = len(hook.requests)
    assert at_kill < len(alerts), "the notifier finished before it could be killed"

    hook.delay = 0.0
    second = config.start("notify", log=tmp_path / "notify-2.log")
    try:

        def all_ids() -> bool:
            ids = {r.headers["X-Newsmon-Alert-Id"] for r in hook.requests}
            return ids >= {a.alert_id for a in alerts}

        wait_for(all_ids, 120, "every alert delivered", every=0.2)
        # redelivery of the whole topic: the delivery log must stop every one of them
        _produce(config, alerts)
        settings = config.settings
        group = f"{settings.group_prefix}-notifier"
        wait_for(
            lambda: caught_up(settings.kafka_bootstrap, group, settings.topic_alerts),
            60,
            "the notifier to read the redelivered alerts",
        )
    finally:
        tail = stop_process(second, tmp_path / "notify-2.log")
    counts = Counter(r.headers["X-Newsmon-Alert-Id"] for r in hook.requests)
    assert set(counts) == {a.alert_id for a in alerts}, tail
    repeats = {aid: n for aid, n in counts.items() if n > 1}
    # Only the request in flight at the kill can repeat: the subscriber got it, the notifier
    # died before logging it. It carries the same alert id, so the subscriber sees it once.
    assert len(repeats) <= 1 and all(n == 2 for n in repeats.values()), (repeats, tail)
    for request in hook.requests:
        assert verify_signature(SECRET, request.body, request.headers["X-Newsmon-Signature"])
        assert json.loads(request.body)["alert_id"] == request.headers["X-Newsmon-Alert-Id"]
    print(f"\nkilled after {at_kill} calls; repeats of the in-flight call: {len(repeats)}")


def test_a_dead_endpoint_ends_in_the_dead_letter_topic(
    app_config: Callable[..., AppConfig],
    percolator: Elasticsearch,
    hook: HookServer,
    tmp_path: Path,
) -> None:
    config = app_config(webhook_backoff="0.1")
    subscription = _setup(config, percolator, hook.url("/broken"), retries=2)
    hook.default = 503
    (alert,) = _alerts(subscription.id, 1)
    _produce(config, [alert])
    result = config.newsmon("notify", "--until-idle", timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(hook.requests) == 3  # the first attempt and two retries
    consumer = KafkaConsumer(
        config.settings.topic_dlq,
        bootstrap_servers=config.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=10_000,
    )
    envelopes = [ErrorEnvelope.model_validate_json(m.value) for m in consumer]
    consumer.close()
    assert len(envelopes) == 1
    envelope = envelopes[0]
    assert envelope.stage == "sinks.notify"
    assert subscription.id in envelope.error and alert.alert_id in envelope.error
    assert "503" in envelope.error
    assert SECRET not in envelope.error
    assert Alert.from_json(envelope.payload()).alert_id == alert.alert_id
