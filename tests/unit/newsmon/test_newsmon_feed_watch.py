"""The poll stage's watch (embedded): every poll recorded, feed-health alerts on the alerts topic;
and `newsmon run` naming a feed the first time it fails."""

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from contract import Alert, Subscription, WebhookChannel
from ingest import FeedBatch, FeedSpec, FeedState, FeedStateStore
from ingest.poll_history import PollHistory
from newsmon.embedded.backends import EmbeddedBackends
from newsmon.runners.failing_feeds import FailingFeeds
from newsmon.runners.feed_watch import FeedWatch, feed_poll
from newsmon.settings import Settings
from sinks.elasticsearch.feed_polls import FeedPollIndex

WIRE = FeedSpec(name="Wire [b]", url="https://wire.example/rss")
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def failed(error: str = "feed 'Wire [b]': HTTP 503 Service Unavailable") -> FeedBatch:
    return FeedBatch(WIRE, "failed", state=FeedState(failures=2), error=error, duration_ms=12.5)


def ok() -> FeedBatch:
    return FeedBatch(WIRE, "ok", state=FeedState(last_status="ok"), duration_ms=3.0)


def test_a_batch_becomes_a_feed_poll() -> None:
    poll = feed_poll(failed(), 0, T0)
    assert (poll.feed, poll.url, poll.status, poll.failures) == ("Wire [b]", WIRE.url, "failed", 2)
    assert poll.error.endswith("HTTP 503 Service Unavailable") and poll.duration_ms == 12.5
    not_modified = feed_poll(FeedBatch(WIRE, "not_modified", state=FeedState(failures=0)), 0, T0)
    assert not_modified.status == "not-modified"
    assert feed_poll(ok(), 7, T0).articles == 7


def test_the_watch_records_polls_and_publishes_feed_health_alerts(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mode="embedded", feed_failing_after=0)
    backends = EmbeddedBackends(settings)
    backends.subscriptions().put(
        Subscription(id="ops", name="Feeds", owner="ops", query="*", kind="feed-health",
                     channels=[WebhookChannel(url="https://hooks.example/in", secret="k")])
    )  # fmt: skip
    with FeedStateStore(settings.state_db) as store:
        store.record_failure(WIRE.url, "feed 'Wire [b]': HTTP 503", time.time() + 60, name="Wire")
    clock = [T0]
    with FeedWatch(settings, backends, [WIRE], clock=lambda: clock[0]) as watch:
        watch.polled(failed(), 0)  # the first poll checks health at once
        clock[0] = T0 + timedelta(minutes=1)
        watch.polled(failed(), 0)
        assert watch.check_health() == []  # the same episode
        assert watch.alerts == 1
    with PollHistory(settings.state_db) as history:
        polls = history.since(T0 - timedelta(days=1))[WIRE.url]
    assert [(p.polled_at, p.status) for p in polls] == [(T0, "failed"), (clock[0], "failed")]
    consumer = backends.transport().consumer(settings.topic_alerts, "test", 10)
    records = consumer.poll(10, 1.0)
    assert len(records) == 1
    alert = Alert.from_json(records[0].value)
    assert alert.kind == "feed-health" and alert.feed_health is not None
    assert alert.feed_health.health == "failing" and alert.feed_health.feed == "Wire [b]"
    assert backends.alerts().get(alert.alert_id) == alert  # confirmed: a restart stays quiet


def test_a_feed_is_named_at_its_first_failure_and_again_after_it_recovered() -> None:
    lines: list[str] = []
    failing = FailingFeeds(lines.append)
    failing.polled(failed())
    failing.polled(failed())
    failing.polled(FeedBatch(WIRE, "disabled", error="feed 'Wire [b]': gone"))
    assert lines == ['[red]feed "Wire \\[b]" failing:[/] HTTP 503 Service Unavailable']
    failing.polled(ok())
    failing.polled(failed("feed 'Wire [b]': timed out after 20s"))
    assert lines[1:] == ['[red]feed "Wire \\[b]" failing:[/] timed out after 20s']


def test_elasticsearch_down_is_one_log_line_and_polling_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="newsmon.runners.feed_watch")  # whatever ran before
    settings = Settings(data_dir=tmp_path, mode="embedded")
    closed_port = Elasticsearch("http://127.0.0.1:9", request_timeout=2, max_retries=0)
    dead = FeedPollIndex(closed_port, "feed-polls")
    with FeedWatch(settings, EmbeddedBackends(settings), [WIRE], index=dead) as watch:
        for _ in range(3):
            watch.polled(ok(), 1)
            watch.flush()
        assert len(watch.waiting) == 3  # kept for the next try
    lines = [r for r in caplog.records if "feed polls not indexed" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelname == "WARNING"
    with PollHistory(settings.state_db) as history:
        assert len(history.since(T0 - timedelta(days=3650))[WIRE.url]) == 3
