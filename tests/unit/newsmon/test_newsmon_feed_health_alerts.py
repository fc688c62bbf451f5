"""Feed-health subscriptions: one alert per feed per episode, rendered by every channel, never
matched against articles."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from contract import Alert, Article, FeedPoll, PollStatus, Subscription, WebhookChannel
from ingest import FeedSpec, FeedState, FeedStateStore
from ingest.health_episodes import HealthEpisodes
from ingest.poll_history import PollHistory
from newsmon.feed_health_alerts import FeedHealthWatcher
from newsmon.settings import Settings
from sinks.lucene.matcher import EmbeddedMatcher
from sinks.notify import Notice
from sinks.notify.render import render_html, render_slack, render_text, subject
from sinks.sqlite.alerts import SqliteAlertStore
from sinks.sqlite.subscriptions import SqliteSubscriptionStore

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
WIRE = "https://wire.example/rss"
BLOG = "https://blog.example/feed"
HOOK = WebhookChannel(url="https://hooks.example/in", secret="k")


def feed_health_subscription(**fields: object) -> Subscription:
    return Subscription.model_validate(
        {"id": "ops", "name": "Feed health", "owner": "ops", "kind": "feed-health",
         "channels": [HOOK], **fields}
    )  # fmt: skip


class World:
    """A data dir with two feeds, the subscription store, alert store and a watcher."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings(data_dir=tmp_path, feed_failing_after=3600.0)
        self.db = self.settings.state_db
        self.subscriptions = SqliteSubscriptionStore(self.settings.alerts_db)
        self.alerts = SqliteAlertStore(self.settings.alerts_db)
        self.episodes = HealthEpisodes(self.db)
        self.feeds = [FeedSpec(name="Wire", url=WIRE), FeedSpec(name="Blog", url=BLOG)]
        self.watcher = FeedHealthWatcher(
            self.settings, self.feeds, self.subscriptions, self.alerts, self.episodes
        )

    def poll(self, url: str, at: datetime, status: PollStatus, articles: int = 0) -> None:
        """Record a poll and the feed's state after it."""
        error = "feed 'Wire': HTTP 503" if status == "failed" else ""
        with PollHistory(self.db) as history:
            history.add([FeedPoll(feed="Wire", url=url, polled_at=at, status=status,
                                  articles=articles, error=error)])  # fmt: skip
        with FeedStateStore(self.db) as store:
            old = store.get(url)
            ok = status != "failed"
            state = FeedState(
                last_status=status, last_poll=at.timestamp(),
                last_ok=at.timestamp() if ok else old.last_ok,
                failures=0 if ok else old.failures + 1, last_error=None if ok else error,
            )  # fmt: skip
            store.commit(url, state, [])

    def check(self, now: datetime) -> list[Alert]:
        fired = self.watcher.check(now)
        self.watcher.confirm(fired)
        return fired


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_a_failing_feed_alerts_once_per_episode(world: World) -> None:
    world.subscriptions.put(feed_health_subscription())
    world.poll(WIRE, T0, "ok", 5)
    world.poll(BLOG, T0, "ok", 5)
    for minutes in (10, 40, 70, 100):
        world.poll(WIRE, T0 + timedelta(minutes=minutes), "failed")
    assert world.check(T0 + timedelta(minutes=50)) == []  # failing for 40m: not yet reported
    [alert] = world.check(T0 + timedelta(minutes=80))
    assert alert.kind == "feed-health" and alert.subscription_id == "ops"
    numbers = alert.feed_health
    assert numbers is not None
    assert (numbers.feed, numbers.url, numbers.health) == ("Wire", WIRE, "failing")
    assert numbers.since == T0 + timedelta(minutes=10)
    assert numbers.why == ("failing for 70m (since 2026-12-07 08:10 UTC): feed 'Wire': HTTP 503")
    assert world.check(T0 + timedelta(minutes=110)) == []  # the same episode: no repeat
    # Recovered, then failing again for over an hour: a new episode, a new alert.
    world.poll(WIRE, T0 + timedelta(minutes=120), "ok")
    assert world.check(T0 + timedelta(minutes=121)) == []
    world.poll(WIRE, T0 + timedelta(minutes=130), "failed")
    [again] = world.check(T0 + timedelta(minutes=200))
    assert again.alert_id != alert.alert_id
    assert again.feed_health is not None
    assert again.feed_health.since == T0 + timedelta(minutes=130)


def test_recovery_and_new_failure_between_two_checks_is_a_new_episode(world: World) -> None:
    world.subscriptions.put(feed_health_subscription(query="wire"))
    world.poll(WIRE, T0, "failed")
    [first] = world.check(T0 + timedelta(hours=2))
    world.poll(WIRE, T0 + timedelta(hours=3), "ok")
    world.poll(WIRE, T0 + timedelta(hours=4), "failed")
    [second] = world.check(T0 + timedelta(hours=6))
    assert first.alert_id != second.alert_id


def test_a_quiet_feed_alerts_once_and_a_restart_does_not_repeat_it(world: World) -> None:
    world.subscriptions.put(feed_health_subscription())
    for day in range(15, 0, -1):
        world.poll(BLOG, T0 - timedelta(days=day, hours=1), "ok", 20)
    world.poll(BLOG, T0 - timedelta(hours=1), "ok", 1)
    [alert] = world.check(T0)
    assert alert.feed_health is not None and alert.feed_health.health == "quiet"
    assert alert.feed_health.usual_per_day == 20 and alert.feed_health.last_day == 1
    restarted = FeedHealthWatcher(
        world.settings, world.feeds, world.subscriptions, world.alerts, HealthEpisodes(world.db)
    )
    assert restarted.check(T0 + timedelta(minutes=5)) == []


def test_the_query_picks_feeds_by_name_or_url(world: World) -> None:
    world.subscriptions.put(feed_health_subscription(query="blog* | *.example/other"))
    world.poll(WIRE, T0, "failed")
    assert world.check(T0 + timedelta(hours=2)) == []  # Wire is not watched
    assert feed_health_subscription(query="BLOG").watches_feed("Blog", BLOG)
    assert feed_health_subscription(query="*blog.example*").watches_feed("Blog", BLOG)
    assert not feed_health_subscription(query="wire").watches_feed("Blog", BLOG)


def test_disabled_subscriptions_and_no_subscription_alert_nothing(world: World) -> None:
    world.poll(WIRE, T0, "failed")
    assert world.check(T0 + timedelta(hours=2)) == []
    world.subscriptions.put(feed_health_subscription(enabled=False))
    assert world.check(T0 + timedelta(hours=2)) == []


def test_the_kind_needs_no_query_and_is_never_matched_against_articles(world: World) -> None:
    subscription = feed_health_subscription()
    assert subscription.query == "*"
    world.subscriptions.put(subscription)  # "*" is not validated as an article query
    world.subscriptions.put(feed_health_subscription(id="odd", query="[unbalanced"))
    matcher = EmbeddedMatcher(lambda kind: world.subscriptions.list(kind=kind))
    article = Article(id="a1", url="https://x.example/a", title="Anything", text="at all",
                      source="X", fetched_at=T0)  # fmt: skip
    assert matcher.match([article]) == []
    with pytest.raises(ValidationError, match="spike settings are only for kind 'spike'"):
        feed_health_subscription(spike={"window_minutes": 60})


def test_every_channel_renders_a_feed_health_alert(world: World) -> None:
    world.subscriptions.put(feed_health_subscription())
    world.poll(WIRE, T0, "failed")
    [alert] = world.check(T0 + timedelta(hours=7))
    notice = Notice.single(feed_health_subscription(), alert)
    text = render_text(notice)
    assert subject(notice) == "[newsmon] Feed health: Feed failing: Wire"
    assert "failing for 7h (since 2026-12-07 08:00 UTC): feed 'Wire': HTTP 503" in text
    assert "Articles per day, oldest first: " + ", ".join(["0"] * 14) in text
    assert WIRE in text
    html = render_html(notice)
    assert f'<a href="{WIRE}">Feed failing: Wire</a>' in html
    assert "HTTP 503" in html
    slack = render_slack(notice)
    assert f"<{WIRE}|Feed failing: Wire>" in slack["blocks"][1]["text"]["text"]
    assert Alert.from_json(alert.to_json()) == alert
