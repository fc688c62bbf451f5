"""One loop of ``newsmon notify`` with stand-ins for the transport (no broker): commit after
delivery, poison and dead alerts to the dead letters, retries rewind, a stop abandons cleanly.

The real broker is exercised by tests/integration; these pin the loop's ordering rules.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import httpx
import orjson
import pytest
from notify_support import SECRET
from receivers import HookServer

from contract import Alert, ErrorEnvelope, Subscription, TransientError, WebhookChannel
from newsmon.runners.notify import NotifyStats, build_notifier, notify_once
from newsmon.settings import Settings
from newsmon.transport import Record
from sinks.notify import DeliveryInterrupted, DeliveryLog

TOPIC = "news.alerts"


class Consumer:
    def __init__(self, events: list[str], values: list[bytes]) -> None:
        self.events = events
        self.batches = [[Record(TOPIC, 0, i, b"k", v) for i, v in enumerate(values)]]

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        return self.batches.pop(0) if self.batches else []

    def commit(self) -> None:
        self.events.append("commit")

    def rewind(self, records: Sequence[Record]) -> None:
        self.events.append(f"seek {records[0].partition}@{records[0].offset}")

    def close(self) -> None:
        pass


class Producer:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.sent: list[tuple[str, bytes]] = []

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        self.events.append(f"produce {topic}")
        self.sent.extend((topic, value) for _, value in messages)

    def close(self) -> None:
        pass


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(data_dir=tmp_path, webhook_backoff=0.01)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def _run(
    settings: Settings,
    client: httpx.Client,
    values: list[bytes],
    get_subscription: Callable[[str], Subscription | None],
    stop: threading.Event | None = None,
) -> tuple[list[str], Producer, NotifyStats, DeliveryLog]:
    events: list[str] = []
    producer = Producer(events)
    stop = stop or threading.Event()
    log = DeliveryLog(settings.notify_db)
    notifier = build_notifier(settings, get_subscription, log, producer, client, stop)
    stats = NotifyStats()
    notify_once(Consumer(events, values), notifier, producer, stats, settings, stop)
    return events, producer, stats, log


def _sub(make_subscription: Callable[..., Subscription], server: HookServer) -> Subscription:
    channel = WebhookChannel(url=server.url("/hook"), secret=SECRET, retries=1)
    return make_subscription(channels=[channel])


def test_poison_is_dead_lettered_and_offsets_are_committed_after(
    settings: Settings,
    client: httpx.Client,
    hook_server: HookServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    sub = _sub(make_subscription, hook_server)
    events, producer, stats, log = _run(
        settings, client, [b"not json", make_alert().to_json()], {sub.id: sub}.get
    )
    assert events == ["produce news.dlq", "commit"]
    envelope = ErrorEnvelope.model_validate_json(producer.sent[0][1])
    assert (envelope.stage, envelope.payload()) == ("sinks.notify", b"not json")
    assert len(hook_server.requests) == 1
    assert (stats.received, stats.poison, stats.count("sent")) == (1, 1, 1)
    log.close()


def test_an_alert_that_fails_for_good_is_dead_lettered_before_it_is_logged(
    settings: Settings,
    client: httpx.Client,
    hook_server: HookServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    hook_server.default = 500
    sub = _sub(make_subscription, hook_server)
    alert = make_alert()
    events, producer, stats, log = _run(settings, client, [alert.to_json()], {sub.id: sub}.get)
    assert events == ["produce news.dlq", "commit"]
    envelope = orjson.loads(producer.sent[0][1])
    assert (envelope["stage"], envelope["key"]) == ("sinks.notify", alert.alert_id)
    assert "'sub-1'" in envelope["error"] and "0:webhook" in envelope["error"]
    assert alert.alert_id in envelope["error"] and SECRET not in envelope["error"]
    assert log.deliveries(alert.alert_id)["0:webhook"].status == "dead"
    assert stats.count("dead") == 1
    log.close()


def test_a_transient_lookup_failure_rewinds_without_committing(
    settings: Settings, client: httpx.Client, make_alert: Callable[..., Alert]
) -> None:
    def unavailable(_id: str) -> Subscription | None:
        raise TransientError("subscriptions index unreachable")

    stop = threading.Event()
    stop.set()  # no waiting before the retry
    events, _, stats, log = _run(settings, client, [make_alert().to_json()], unavailable, stop)
    assert events == ["seek 0@0"]
    assert stats.retries == 1
    log.close()


def test_stopping_mid_retry_abandons_without_recording_or_committing(
    settings: Settings,
    client: httpx.Client,
    hook_server: HookServer,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    hook_server.default = 503
    sub = _sub(make_subscription, hook_server)
    alert = make_alert()
    stop = threading.Event()
    stop.set()
    with pytest.raises(DeliveryInterrupted):
        _run(settings, client, [alert.to_json()], {sub.id: sub}.get, stop)
    log = DeliveryLog(settings.notify_db)
    assert log.deliveries(alert.alert_id) == {}  # redelivered after the restart
    log.close()


def test_a_transient_failure_while_flushing_digests_keeps_them_and_the_offsets(
    settings: Settings,
    client: httpx.Client,
    make_alert: Callable[..., Alert],
    make_subscription: Callable[..., Subscription],
) -> None:
    sub = make_subscription(mode="digest", digest={"every": "hourly", "at": "00:00"})
    log = DeliveryLog(settings.notify_db)
    alert = make_alert()  # created in 2024: long due
    log.add_pending(
        sub.id,
        alert.alert_id,
        alert.to_json(),
        version=1,
        reason="digest",
        due_at=alert.created_at,
        at=alert.created_at,
    )
    log.close()

    def unavailable(_id: str) -> Subscription | None:
        raise TransientError("subscriptions index unreachable")

    stop = threading.Event()
    stop.set()
    events, _, stats, log = _run(settings, client, [], unavailable, stop)
    assert events == []  # an empty poll: nothing to rewind or commit
    assert stats.retries == 1
    assert [i.alert_id for i in log.pending_items(sub.id)] == [alert.alert_id]
    log.close()
