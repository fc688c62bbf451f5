"""The embedded article store: idempotent writes, search with the subscription syntax, counts
per topic and source, backtests and spike counts -- exact, from the stored documents."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import Article, ConsoleChannel, InvalidQuery, Subscription
from contract.article import TopicMatch
from sinks.sqlite.articles import SqliteArticleStore

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SqliteArticleStore:
    return SqliteArticleStore(tmp_path / "articles.sqlite3")


@pytest.fixture
def article(make_article: Callable[..., Article]) -> Callable[..., Article]:
    def make(n: int, hours_ago: float, **fields: object) -> Article:
        names: list[str] = fields.pop("topics", [])  # type: ignore[assignment]
        topics = [TopicMatch(topic=t, score=1.0, evidence=[]) for t in names]
        return make_article(
            url=f"https://news.example/{n}",
            published=NOW - timedelta(hours=hours_ago),
            fetched_at=NOW - timedelta(hours=hours_ago) + timedelta(minutes=5),
            topics=topics,
            **fields,
        )

    return make


def test_writes_are_upserts_by_id(
    store: SqliteArticleStore, article: Callable[..., Article]
) -> None:
    first = article(1, 1, title="Truce holds in the south", text="The truce held overnight.")
    store.write_batch([first, article(2, 2)])
    edited = first.model_copy(update={"title": "Ceasefire holds in the south"})
    report = store.write_batch([edited, edited])
    assert report.written == 2
    assert store.count() == 2
    assert store.get(first.id) is not None
    assert store.get(first.id).title == "Ceasefire holds in the south"  # type: ignore[union-attr]
    assert store.search("truce").total == 1  # the text still says truce
    assert store.search('title:"ceasefire holds"').total == 1
    assert store.search("title:truce").total == 0  # the old title is gone from the index


def test_search_newest_first_with_since_and_limit(
    store: SqliteArticleStore, article: Callable[..., Article]
) -> None:
    store.write_batch(
        [
            article(n, hours_ago=n, text=f"Shelling near Kharkiv, day {n}.", source=f"S{n % 2}")
            for n in range(1, 6)
        ]
    )
    result = store.search("Kharkiv", since=NOW - timedelta(hours=3, minutes=30), limit=2)
    assert result.total == 3
    assert [h.id for h in result.hits] == [article(n, n).id for n in (1, 2)]
    assert store.search("Kharkiv AND NOT source:S1").total == 2
    assert store.search("shelled").total == 5  # stemmed, as in Elasticsearch
    with pytest.raises(InvalidQuery):
        store.search("topic:ceasefire")


def test_stats_per_topic_and_source_count_stories(
    store: SqliteArticleStore, article: Callable[..., Article]
) -> None:
    store.write_batch(
        [
            article(1, 1, source="A", story_id="s1", topics=["ceasefire"]),
            article(2, 2, source="B", story_id="s1", topics=["ceasefire", "sanctions"]),
            article(3, 3, source="A", topics=["sanctions"]),
            article(4, 30, source="A", topics=["ceasefire"]),  # outside the period
        ]
    )
    stats = store.stats(NOW - timedelta(hours=24), NOW)
    assert (stats.articles, stats.stories) == (3, 2)
    assert [(r.name, r.articles, r.stories) for r in stats.topics] == [
        ("ceasefire", 2, 1),
        ("sanctions", 2, 2),
    ]
    assert [(r.name, r.articles, r.stories) for r in stats.sources] == [("A", 2, 2), ("B", 1, 1)]


def test_backtest_counts_days_in_the_time_zone_and_samples_one_per_story(
    store: SqliteArticleStore, article: Callable[..., Article]
) -> None:
    store.write_batch(
        [
            article(1, 1, text="ceasefire talks", story_id="s1"),
            article(2, 2, text="ceasefire talks", story_id="s1"),
            article(3, 26, text="ceasefire collapses"),
            article(4, 1, text="football results"),
        ]
    )
    result = store.backtest("ceasefire", days=3, now=NOW, tz="UTC")
    assert [(d.articles, d.stories) for d in result.per_day] == [(0, 0), (1, 1), (2, 1)]
    assert (result.articles, result.stories, result.stories_exact) == (3, 2, True)
    assert [s.id for s in result.samples] == [article(1, 1).id, article(3, 26).id]


def test_spike_fires_against_the_baseline(
    store: SqliteArticleStore, article: Callable[..., Article]
) -> None:
    spike = Subscription.model_validate(
        {
            "id": "strikes",
            "name": "Strikes spike",
            "owner": "desk",
            "query": "strike",
            "kind": "spike",
            "spike": {"window_minutes": 60, "baseline_days": 2, "factor": 3, "min_count": 3},
            "channels": [ConsoleChannel()],
        }
    )
    now_articles = [article(n, 0.2, text="drone strike", story_id=f"s{n}") for n in range(4)]
    baseline = [article(10 + d, 24 * d + 0.5, text="strike", story_id=f"b{d}") for d in (1, 2)]
    store.write_batch(now_articles + baseline)
    alert = store.check_spike(spike, NOW)
    assert alert is not None
    assert alert.spike is not None
    assert (alert.spike.stories, alert.spike.baseline, alert.spike.factor) == (4, [1, 1], 4.0)
    assert len(alert.article_ids) == 4
    assert spike.spike is not None
    quiet = spike.model_copy(update={"spike": spike.spike.model_copy(update={"factor": 5})})
    assert store.check_spike(quiet, NOW) is None
