"""The delivery rules, with fake senders and a real SQLite log: once per channel, updates,
restarts, digests, quiet hours, daily caps, unknown subscriptions and failing channels."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from notify_support import Clock, FakeSender

from contract import Alert, QuietHours, Subscription
from sinks.notify import DeliveryFailed, DeliveryLog, Notifier, Senders

AlertFactory = Callable[..., Alert]
SubFactory = Callable[..., Subscription]


class Harness:
    """A notifier over ``subs`` with one fake sender per channel type."""

    def __init__(self, log: DeliveryLog, clock: Clock, *subs: Subscription) -> None:
        self.subs = {s.id: s for s in subs}
        self.webhook, self.email = FakeSender(), FakeSender()
        self.dead: list[tuple[Alert, DeliveryFailed]] = []
        self.notifier = Notifier(
            log,
            Senders(webhook=self.webhook, email=self.email),
            self.subs.get,
            clock,
            dead_letter=lambda alert, error: self.dead.append((alert, error)),
        )

    def statuses(self, alert: Alert) -> list[str]:
        return [o.status for o in self.notifier.handle(alert)]

    def sent_ids(self) -> list[str]:
        return [n.id for n, _ in self.webhook.sent]


@pytest.fixture
def harness(
    delivery_log: DeliveryLog, clock: Clock, make_subscription: SubFactory
) -> Callable[..., Harness]:
    def build(**overrides: object) -> Harness:
        return Harness(delivery_log, clock, make_subscription(**overrides))

    return build


def test_immediate_alert_goes_to_every_channel_once(
    harness: Callable[..., Harness], make_alert: AlertFactory
) -> None:
    h = harness()
    alert = make_alert()
    assert h.statuses(alert) == ["sent", "sent"]
    assert h.sent_ids() == [alert.alert_id]
    assert [n.event for n, _ in h.email.sent] == ["alert"]
    assert h.statuses(alert) == ["duplicate"]  # Kafka redelivery
    assert len(h.webhook.sent) == len(h.email.sent) == 1


def test_updates_are_not_pushed_again(
    harness: Callable[..., Harness], make_alert: AlertFactory, make_update: AlertFactory
) -> None:
    h = harness()
    alert = make_alert()
    h.statuses(alert)
    assert h.statuses(make_update(alert)) == ["duplicate"]
    assert len(h.webhook.sent) == 1


def test_a_restart_with_the_same_log_sends_nothing_twice(
    tmp_path: Path, clock: Clock, make_subscription: SubFactory, make_alert: AlertFactory
) -> None:
    alerts = [make_alert(f"story-{i}") for i in range(3)]
    first_log = DeliveryLog(tmp_path / "notify.sqlite3")
    first = Harness(first_log, clock, make_subscription())
    for alert in alerts[:2]:
        first.statuses(alert)
    first_log.close()
    second_log = DeliveryLog(tmp_path / "notify.sqlite3")
    second = Harness(second_log, clock, make_subscription())
    statuses = [second.statuses(alert) for alert in alerts]  # the whole batch redelivered
    second_log.close()
    assert statuses == [["duplicate"], ["duplicate"], ["sent", "sent"]]
    assert second.sent_ids() == [alerts[2].alert_id]


def test_a_channel_missing_after_a_crash_is_completed_alone(
    delivery_log: DeliveryLog, harness: Callable[..., Harness], make_alert: AlertFactory
) -> None:
    alert = make_alert()
    delivery_log.record(
        alert.alert_id,
        "0:webhook",
        "sub-1",
        "sent",
        version=1,
        attempts=1,
        at=datetime(2024, 5, 24, tzinfo=UTC),
    )
    h = harness()
    assert h.statuses(alert) == ["sent"]
    assert (h.webhook.sent, len(h.email.sent)) == ([], 1)


def test_a_failing_channel_does_not_stop_the_others(
    harness: Callable[..., Harness], make_alert: AlertFactory, delivery_log: DeliveryLog
) -> None:
    h = harness()
    h.webhook.permanent = True
    alert = make_alert()
    outcomes = h.notifier.handle(alert)
    assert [(o.channel_key, o.status) for o in outcomes] == [
        ("0:webhook", "dead"),
        ("1:email", "sent"),
    ]
    [(dead_alert, error)] = h.dead
    assert dead_alert == alert
    assert "'sub-1'" in str(error) and "0:webhook" in str(error) and alert.alert_id in str(error)
    assert delivery_log.deliveries(alert.alert_id)["0:webhook"].status == "dead"
    h.webhook.permanent = False
    assert h.statuses(alert) == ["duplicate"]  # dead is final: it went to the dead letters


def test_unknown_and_disabled_subscriptions_are_skipped_and_the_stream_goes_on(
    harness: Callable[..., Harness],
    make_alert: AlertFactory,
    delivery_log: DeliveryLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = harness()
    h.subs["off"] = h.subs["sub-1"].model_copy(update={"id": "off", "enabled": False})
    unknown = make_alert(subscription_id="gone")
    disabled = make_alert(subscription_id="off")
    with caplog.at_level("INFO"):
        assert h.statuses(unknown) == ["skipped"]
        assert h.statuses(disabled) == ["skipped"]
    assert "subscription 'gone' is unknown" in caplog.text
    assert "subscription 'off' is disabled" in caplog.text
    assert delivery_log.deliveries(unknown.alert_id)["-"].status == "skipped"
    assert h.statuses(make_alert()) == ["sent", "sent"]
    assert h.sent_ids() == [make_alert().alert_id]


def test_digest_collects_every_item_and_sends_one_per_channel(
    harness: Callable[..., Harness],
    make_alert: AlertFactory,
    make_update: AlertFactory,
    clock: Clock,
    delivery_log: DeliveryLog,
) -> None:
    h = harness(mode="digest", digest={"every": "daily", "at": "18:00", "tz": "UTC"})
    alerts = [make_alert(f"story-{i}") for i in range(3)]
    assert [h.statuses(a) for a in alerts] == [["pending"]] * 3
    assert h.statuses(make_update(alerts[0])) == ["merged"]
    assert h.notifier.flush_due(clock.advance(hours=7, minutes=59)) == []
    outcomes = h.notifier.flush_due(clock.advance(minutes=1))
    assert [(o.channel_key, o.status, len(o.alert_ids)) for o in outcomes] == [
        ("0:webhook", "sent", 3),
        ("1:email", "sent", 3),
    ]
    [(notice, _)] = h.webhook.sent
    assert notice.event == "digest"
    assert sorted(a.alert_id for a in notice.alerts) == sorted(a.alert_id for a in alerts)
    merged = next(a for a in notice.alerts if a.alert_id == alerts[0].alert_id)
    assert (merged.version, len(merged.article_ids)) == (2, 2)
    assert delivery_log.pending_items("sub-1") == []
    assert h.notifier.flush_due(clock.advance(days=1)) == []
    assert h.statuses(make_update(merged)) == ["duplicate"]  # already sent in the digest


def test_a_failed_digest_keeps_its_items_and_retries_only_that_channel(
    harness: Callable[..., Harness], make_alert: AlertFactory, clock: Clock
) -> None:
    h = harness(mode="digest", digest={"every": "hourly", "at": "00:30", "tz": "UTC"})
    for i in range(2):
        h.statuses(make_alert(f"story-{i}"))
    h.webhook.failures = 1
    due = clock.advance(minutes=30)
    first = h.notifier.flush_due(due)
    assert [(o.channel_key, o.status) for o in first] == [
        ("0:webhook", "failed"),
        ("1:email", "sent"),
    ]
    assert first[0].error is not None and "HTTP 503" in str(first[0].error)
    assert h.notifier.flush_due(due) == []  # backs off: not hammered every second
    second = h.notifier.flush_due(clock.advance(minutes=1))
    assert [(o.channel_key, o.status, len(o.alert_ids)) for o in second] == [
        ("0:webhook", "sent", 2)
    ]
    assert len(h.email.sent) == 1
    assert second[0].notice_id == first[0].notice_id  # same items, same digest id


def test_quiet_hours_hold_alerts_and_send_them_as_one_digest(
    harness: Callable[..., Harness], make_alert: AlertFactory, clock: Clock
) -> None:
    quiet = QuietHours(start="22:00", end="07:00", tz="Europe/London")
    h = harness(quiet_hours=quiet)
    clock.now = datetime(2024, 5, 24, 22, 30, tzinfo=UTC)  # 23:30 BST
    assert h.statuses(make_alert("night-1")) == ["held"]
    assert h.statuses(make_alert("night-2")) == ["held"]
    assert h.notifier.flush_due(datetime(2024, 5, 25, 5, 59, tzinfo=UTC)) == []
    outcomes = h.notifier.flush_due(datetime(2024, 5, 25, 6, 0, tzinfo=UTC))  # 07:00 BST
    assert [(o.status, len(o.alert_ids)) for o in outcomes] == [("sent", 2), ("sent", 2)]
    assert [n.event for n, _ in h.webhook.sent] == ["digest"]
    clock.now = datetime(2024, 5, 25, 8, 0, tzinfo=UTC)
    assert h.statuses(make_alert("morning")) == ["sent", "sent"]


def test_digest_due_inside_quiet_hours_waits_for_their_end(
    harness: Callable[..., Harness], make_alert: AlertFactory, delivery_log: DeliveryLog
) -> None:
    quiet = QuietHours(start="22:00", end="07:00", tz="UTC")
    h = harness(
        mode="digest", digest={"every": "daily", "at": "23:00", "tz": "UTC"}, quiet_hours=quiet
    )
    h.statuses(make_alert())
    [item] = delivery_log.pending_items("sub-1")
    assert item.due_at == datetime(2024, 5, 25, 7, 0, tzinfo=UTC)


def test_daily_cap_records_capped_and_resets_next_day(
    harness: Callable[..., Harness],
    make_alert: AlertFactory,
    clock: Clock,
    delivery_log: DeliveryLog,
) -> None:
    h = harness(daily_cap=2)
    assert [h.statuses(make_alert(f"s{i}")) for i in range(3)] == [
        ["sent", "sent"],
        ["sent", "sent"],
        ["capped", "capped"],
    ]
    assert delivery_log.deliveries(make_alert("s2").alert_id)["0:webhook"].status == "capped"
    assert h.statuses(make_alert("s2")) == ["duplicate"]  # capped is final for that alert
    clock.now = datetime(2024, 5, 25, 0, 0, tzinfo=UTC)
    assert h.statuses(make_alert("s3")) == ["sent", "sent"]
    assert len(h.webhook.sent) == 3


def test_an_unknown_subscriptions_pending_items_are_dropped_not_sent(
    harness: Callable[..., Harness],
    make_alert: AlertFactory,
    clock: Clock,
    delivery_log: DeliveryLog,
) -> None:
    h = harness(mode="digest", digest={"every": "hourly", "at": "00:00", "tz": "UTC"})
    alert = make_alert()
    h.statuses(alert)
    del h.subs["sub-1"]
    [outcome] = h.notifier.flush_due(clock.advance(hours=1))
    assert (outcome.status, outcome.alert_ids) == ("skipped", (alert.alert_id,))
    assert h.webhook.sent == [] and delivery_log.pending_items("sub-1") == []


def test_a_missing_sender_is_a_permanent_failure_of_that_channel_only(
    delivery_log: DeliveryLog, clock: Clock, make_subscription: SubFactory, make_alert: AlertFactory
) -> None:
    sub = make_subscription(
        channels=[
            {"type": "slack", "url": "https://hooks.example.com/T/B/X"},
            {"type": "email", "to": ["a@example.com"]},
        ]
    )
    email = FakeSender()
    notifier = Notifier(delivery_log, Senders(email=email), {sub.id: sub}.get, clock)
    outcomes = notifier.handle(make_alert())
    assert [o.status for o in outcomes] == ["dead", "sent"]
    assert "no slack sender is configured" in str(outcomes[0].error)
