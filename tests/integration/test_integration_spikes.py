"""Spike alerts against the real clusters: articles in the article index, subscriptions on the
percolator node, the alert index deciding which check was first."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch, helpers
from local_stack import AppConfig

from contract import Article, KafkaChannel, Spike, Subscription, TopicMatch, alert_id
from sinks.documents import to_document
from sinks.elasticsearch.alerts import AlertStore
from sinks.elasticsearch.errors import transient_errors
from sinks.elasticsearch.index import ensure_index
from sinks.elasticsearch.spikes import check_spike, es_spike_check
from sinks.elasticsearch.subscriptions import SubscriptionStore
from sinks.spikes import SpikeWatcher

NOW = datetime(2025, 3, 10, 12, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
CEASEFIRE = [TopicMatch(topic="ceasefire", score=1.0, evidence=[])]
SANCTIONS = [TopicMatch(topic="sanctions", score=1.0, evidence=[])]
BASELINE = [1, 2, 1, 0, 1, 1, 1]
"""Stories in the window on each of the 7 previous days: mean 1.0."""


def _articles(make: Callable[..., Article]) -> list[Article]:
    """A quiet week and a burst in the hour before NOW: 7 stories, 9 articles match."""
    n = 0

    def article(when: datetime | None, story: str | None, **extra: Any) -> Article:
        nonlocal n
        n += 1
        fields = {"published": when, "story_id": story, "topics": CEASEFIRE, **extra}
        return make(url=f"https://example.com/{n}", **fields)

    out: list[Article] = []
    for day, stories in enumerate(BASELINE, start=1):
        for s in range(stories):  # two copies of each baseline story, inside the window
            at = NOW - timedelta(days=day, minutes=10 + s)
            out += [article(at, f"d{day}-{s}"), article(at, f"d{day}-{s}", source="Wire")]
        out.append(article(NOW - timedelta(days=day, hours=3), f"d{day}-early"))  # outside
    burst = [
        *[article(NOW - timedelta(minutes=m), "s0") for m in (5, 7, 9)],  # one story, 3 copies
        *[article(NOW - timedelta(minutes=10 + s), f"s{s}") for s in range(1, 5)],
        article(NOW - HOUR, "edge"),  # the window's first instant counts
        # no publication date: dated by fetched_at; not clustered: a story of its own
        article(None, None, fetched_at=NOW - timedelta(minutes=1), title="Newest"),
    ]
    excluded = [
        article(NOW, "late"),  # the window ends before NOW
        article(NOW - timedelta(minutes=3), "other", topics=SANCTIONS),  # does not match
        # published before the window, fetched inside it: the publication date wins
        article(NOW - 2 * HOUR, "old", fetched_at=NOW - timedelta(minutes=2)),
    ]
    return out + burst + excluded


def _spike(sub_id: str, **settings: Any) -> Subscription:
    return Subscription(
        id=sub_id,
        name=f"Ceasefire spike {sub_id}",
        owner="desk",
        query="topics:ceasefire",
        kind="spike",
        spike=Spike(**{"window_minutes": 60, "baseline_days": 7, "factor": 3.0, **settings}),
        channels=[KafkaChannel(topic="alerts")],
    )


@pytest.fixture
def config(app_config: Callable[..., AppConfig]) -> AppConfig:
    """A fresh configuration: its own article alias, subscriptions and alerts indices."""
    return app_config()


@pytest.fixture
def alias(config: AppConfig, es: Elasticsearch, make_article: Callable[..., Article]) -> str:
    """The configuration's article index, holding the week of articles."""
    alias = config.settings.index_alias
    ensure_index(es, alias)
    stamp = NOW.isoformat()
    helpers.bulk(
        es,
        (
            {"_index": alias, "_id": a.id, "_source": to_document(a, stamp)}
            for a in _articles(make_article)
        ),
        refresh="wait_for",
    )
    return alias


@pytest.fixture
def watcher(
    config: AppConfig, es: Elasticsearch, percolator: Elasticsearch, alias: str
) -> SpikeWatcher:
    """Subscriptions on the percolator node, alerts and articles on the article cluster."""
    settings = config.settings
    subscriptions = SubscriptionStore(percolator, settings.subscriptions_index)
    subscriptions.setup()
    alerts = AlertStore(es, settings.alerts_index)
    alerts.setup()
    return SpikeWatcher(
        subscriptions, alerts, es_spike_check(es, alias), list_errors=transient_errors
    )


def test_spike_fires_with_the_numbers(es: Elasticsearch, alias: str) -> None:
    alert = check_spike(es, alias, _spike("burst", min_count=5), NOW)
    assert alert is not None
    assert alert.spike is not None
    numbers = alert.spike.model_dump()
    assert numbers == {
        "window_start": NOW - HOUR,
        "window_end": NOW,
        "stories": 7,
        "articles": 9,
        "baseline": BASELINE,
        "baseline_mean": 1.0,
        "factor": 7.0,
        "threshold_factor": 3.0,
        "min_count": 5,
    }
    assert alert.alert_id == alert_id("burst", "spike:2025-03-10T12:00:00+00:00")
    assert alert.article is not None and alert.article.title == "Newest"
    assert len(alert.article_ids) == 5  # the top stories, one article each
    assert alert.story_id is None


def test_spike_alerts_once_per_window(watcher: SpikeWatcher) -> None:
    subscriptions = watcher.subscriptions
    subscriptions.put(_spike("fires", min_count=5))
    subscriptions.put(_spike("needs-more-stories", min_count=8))  # 7 stories < 8
    subscriptions.put(_spike("needs-a-bigger-factor", min_count=5, factor=7.5))  # 7 < 7.5 x 1
    subscriptions.put(_spike("off", min_count=1).model_copy(update={"enabled": False}))

    first = watcher.check(NOW)
    assert [a.subscription_id for a in first] == ["fires"]
    assert first[0].spike is not None and first[0].spike.stories == 7
    assert watcher.alerts.get(first[0].alert_id) is None  # recorded once published
    watcher.confirm(first)
    stored = watcher.alerts.get(first[0].alert_id)
    assert stored is not None and stored.spike == first[0].spike

    # Five minutes later the same spike is still on (6 stories: "edge" left the window), in
    # the same window slot: nothing new.
    later = NOW + timedelta(minutes=5)
    still = watcher.check_one(_spike("fires", min_count=5), later)
    assert still is not None and still.alert_id == first[0].alert_id
    assert watcher.check(later) == []
