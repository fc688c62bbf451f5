"""``/metrics``: the scrape-time collectors over real files (the local log, the feed state db,
the delivery log), the stage counters the runners keep, and the text a scrape returns."""

import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families

from contract import Article, ConfigError
from ingest import FeedState, FeedStateStore
from newsmon.api import create_app
from newsmon.embedded.backends import EmbeddedBackends
from newsmon.embedded.local_log import LocalLog
from newsmon.metrics import stages
from newsmon.metrics.http import serve_stage_metrics
from newsmon.metrics.lag import KafkaLag, LocalLogLag, consumed
from newsmon.metrics.stores import Deliveries, FeedHealth
from newsmon.runners.index import run_indexer
from newsmon.settings import Settings
from sinks.notify import DeliveryLog


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in ("KAFKA_BOOTSTRAP", "ES_URL", "PERCOLATOR_URL", "MODE"):
        monkeypatch.delenv(f"NEWSMON_{name}", raising=False)
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def registry() -> tuple[CollectorRegistry, Counter]:
    reg = CollectorRegistry(auto_describe=False)
    return reg, Counter("newsmon_scrape_errors", "errors", ["source"], registry=reg)


def samples(reg: CollectorRegistry, name: str) -> dict[tuple[str, ...], float]:
    """label values -> value of every sample called ``name``."""
    return {
        tuple(s.labels.values()): s.value
        for family in reg.collect()
        for s in family.samples
        if s.name == name
    }


def test_local_log_lag_per_topic_and_group(
    settings: Settings, registry: tuple[CollectorRegistry, Counter]
) -> None:
    reg, errors = registry
    pairs = consumed(settings)
    reg.register(LocalLogLag(settings.log_db, pairs, errors))
    assert samples(reg, "newsmon_consumer_lag_messages") == {}
    assert not settings.log_db.exists()  # a scrape does not create the log
    with LocalLog(settings.log_db) as log:
        log.producer().send_all(settings.topic_enriched, [(None, b"x")] * 5)
        indexer = log.consumer(settings.topic_enriched, f"{settings.group_prefix}-indexer")
        assert len(indexer.poll(3, 1.0)) == 3
        indexer.commit()
        indexer.close()
    lag = samples(reg, "newsmon_consumer_lag_messages")
    prefix = settings.group_prefix
    assert lag[(settings.topic_enriched, f"{prefix}-indexer")] == 2
    assert lag[(settings.topic_enriched, f"{prefix}-alerter")] == 5
    assert lag[(settings.topic_polled, f"{prefix}-fulltext")] == 0
    assert len(lag) == len(pairs)
    assert samples(reg, "newsmon_scrape_errors_total") == {}


def test_local_log_unreadable_is_a_scrape_error(
    tmp_path: Path, registry: tuple[CollectorRegistry, Counter]
) -> None:
    reg, errors = registry
    bad = tmp_path / "log.sqlite3"
    bad.write_bytes(b"not a database, " * 100)
    reg.register(LocalLogLag(bad, [("t", "g")], errors))
    assert samples(reg, "newsmon_consumer_lag_messages") == {}
    assert samples(reg, "newsmon_scrape_errors_total") == {("local_log",): 1.0}


def test_feed_health_counts_ok_failing_and_disabled(
    settings: Settings, registry: tuple[CollectorRegistry, Counter]
) -> None:
    reg, errors = registry
    reg.register(FeedHealth(settings.state_db, errors))
    assert samples(reg, "newsmon_feeds") == {}
    with FeedStateStore(settings.state_db) as store:
        store.commit("https://ok.example/rss", FeedState(name="ok"), [])
        store.record_failure("https://down.example/rss", "HTTP 500", 0.0)
        store.record_failure("https://down.example/rss", "HTTP 500", 0.0)
        store.record_failure("https://slow.example/rss", "timed out", 0.0)
        store.record_failure("https://gone.example/rss", "HTTP 410", 0.0, disabled="HTTP 410")
    assert samples(reg, "newsmon_feeds") == {("ok",): 1, ("failing",): 2, ("disabled",): 1}


def test_deliveries_by_status_and_channel_type(
    settings: Settings, registry: tuple[CollectorRegistry, Counter]
) -> None:
    reg, errors = registry
    reg.register(Deliveries(settings.notify_db, errors))
    assert samples(reg, "newsmon_alert_deliveries") == {}
    at = datetime.now(UTC)
    log = DeliveryLog(settings.notify_db)
    for alert, channel, status in [
        ("a1", "0:webhook", "sent"),
        ("a2", "0:webhook", "sent"),
        ("a2", "1:email", "dead"),
        ("a3", "0:slack", "capped"),
        ("a4", "-", "skipped"),
    ]:
        log.record(alert, channel, "sub", status, version=1, attempts=1, at=at)  # type: ignore[arg-type]
    log.close()
    assert samples(reg, "newsmon_alert_deliveries") == {
        ("sent", "webhook"): 2,
        ("dead", "email"): 1,
        ("capped", "slack"): 1,
        ("skipped", "-"): 1,
    }
    assert samples(reg, "newsmon_alert_deliveries_pending") == {(): 0}


@pytest.fixture
def silent_broker() -> Iterator[str]:
    """A loopback port that accepts connections and never answers (a hung broker)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_kafka_down_or_hung_is_left_out_quickly(
    silent_broker: str, registry: tuple[CollectorRegistry, Counter]
) -> None:
    reg, errors = registry
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused = f"127.0.0.1:{closed.getsockname()[1]}"  # bound, not listening: refused
    reg.register(KafkaLag(refused, [("t", "g")], errors, timeout=1.0))
    reg.register(KafkaLag(silent_broker, [("t", "g")], errors, timeout=1.0))
    before = set(threading.enumerate())
    started = time.monotonic()
    assert samples(reg, "newsmon_consumer_lag_messages") == {}
    assert time.monotonic() - started < 4.0
    assert samples(reg, "newsmon_scrape_errors_total") == {("kafka",): 2}

    # no client thread outlives its failed scrape (kafka-python leaves one on a failed bootstrap)
    # (a thread an earlier test left may end meanwhile: only new threads count)
    def new_threads() -> list[str]:
        return [t.name for t in threading.enumerate() if t not in before]

    deadline = time.monotonic() + 5.0
    while new_threads() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert new_threads() == []
    closed.close()


def test_runner_counts_articles_and_batch_latency(
    settings: Settings, make_article: Callable[..., Article]
) -> None:
    def value(name: str, stage: str) -> float:
        found = stages.REGISTRY.get_sample_value(name, {"stage": stage})
        return found or 0.0

    before = value("newsmon_articles_total", "indexed")
    batches = value("newsmon_batch_duration_seconds_count", "index")
    backends = EmbeddedBackends(settings)
    articles = [make_article(url=f"https://news.example/{i}", title=f"Story {i}") for i in range(3)]
    backends.local_log().producer().send_all(
        settings.topic_enriched, [(a.id.encode(), a.to_json()) for a in articles]
    )
    stats = run_indexer(settings, threading.Event(), backends, until_idle=True)
    assert stats.indexed == 3
    assert value("newsmon_articles_total", "indexed") - before == 3
    assert value("newsmon_batch_duration_seconds_count", "index") - batches >= 1


def test_scrape_parses_as_prometheus_text(settings: Settings) -> None:
    with FeedStateStore(settings.state_db) as store:
        store.record_failure("https://down.example/rss", "HTTP 500", 0.0)
    with LocalLog(settings.log_db) as log:
        log.producer().send_all(settings.topic_alerts, [(None, b"{}")] * 4)
    response = TestClient(create_app(settings)).get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert families["newsmon_articles"].type == "counter"
    assert {s.labels["stage"] for s in families["newsmon_articles"].samples} >= {
        "polled",
        "fulltext",
        "processed",
        "indexed",
        "alerted",
    }
    assert families["newsmon_batch_duration_seconds"].type == "histogram"
    lag = {
        s.labels["group"]: s.value
        for s in families["newsmon_consumer_lag_messages"].samples
        if s.labels["topic"] == settings.topic_alerts
    }
    assert lag == {f"{settings.group_prefix}-notifier": 4}
    feeds = {s.labels["state"]: s.value for s in families["newsmon_feeds"].samples}
    assert feeds == {"ok": 0, "failing": 1, "disabled": 0}
    assert families["newsmon_alert_deliveries"].samples == []  # no notifier has run


def test_stage_worker_port_serves_stage_metrics_only(settings: Settings) -> None:
    assert serve_stage_metrics(settings) is None  # unset: nothing listens
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve_stage_metrics(settings.model_copy(update={"metrics_port": port}))
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            names = {f.name for f in text_string_to_metric_families(response.read().decode())}
        assert {"newsmon_articles", "newsmon_batch_duration_seconds"} <= names
        assert "newsmon_consumer_lag_messages" not in names
        with pytest.raises(ConfigError, match=f"NEWSMON_METRICS_PORT: cannot listen on .*:{port}"):
            serve_stage_metrics(settings.model_copy(update={"metrics_port": port}))
    finally:
        server.shutdown()
        server.server_close()
