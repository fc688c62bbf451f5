"""The embedded alert store keeps the percolator path's rules: one alert per subscription and
story, later copies are new versions, a redelivered copy changes nothing."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import Article, ConsoleChannel, Subscription
from sinks.documents import percolate_document
from sinks.matches import Match
from sinks.sqlite.alerts import SqliteAlertStore

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _sub(**overrides: object) -> Subscription:
    fields: dict[str, object] = {
        "id": "desk-ceasefire",
        "name": "Ceasefires",
        "owner": "desk",
        "query": "topics:ceasefire",
        "channels": [ConsoleChannel()],
    }
    fields.update(overrides)
    return Subscription.model_validate(fields)


def _match(sub: Subscription, article: Article) -> Match:
    return Match(sub, article, percolate_document(article))


@pytest.fixture
def store(tmp_path: Path) -> SqliteAlertStore:
    return SqliteAlertStore(tmp_path / "alerts.sqlite3")


def test_first_copy_creates_later_copies_update_redelivery_repeats(
    store: SqliteAlertStore, make_article: Callable[..., Article]
) -> None:
    sub = _sub()
    first = make_article(url="https://a.example/1", story_id="story-1", source="A")
    second = make_article(url="https://b.example/1", story_id="story-1", source="B")
    [created] = store.record([_match(sub, first)], NOW)
    [updated] = store.record([_match(sub, second)], NOW + timedelta(minutes=5))
    [again] = store.record([_match(sub, second)], NOW + timedelta(minutes=9))
    assert (created.version, updated.version, again.version) == (1, 2, 2)
    assert created.alert_id == updated.alert_id == again.alert_id
    assert updated.article_ids == [first.id, second.id]
    assert updated.sources == ["A", "B"]
    assert again == updated  # the stored version, published again
    assert store.get(created.alert_id) == updated


def test_copies_in_one_batch_fold_into_one_alert_and_every_article_keys_its_own(
    store: SqliteAlertStore, make_article: Callable[..., Article]
) -> None:
    a = make_article(url="https://a.example/1", story_id="s")
    b = make_article(url="https://b.example/1", story_id="s")
    per_story = store.record([_match(_sub(), a), _match(_sub(), b)], NOW)
    per_article = store.record(
        [_match(_sub(id="every", every_article=True), x) for x in (a, b)], NOW
    )
    assert [(x.version, len(x.article_ids)) for x in per_story] == [(2, 2)]
    assert len({x.alert_id for x in per_article}) == 2


def test_search_filters_and_orders_newest_first(
    store: SqliteAlertStore, make_article: Callable[..., Article]
) -> None:
    for n in range(3):
        article = make_article(url=f"https://a.example/{n}", story_id=f"s{n}")
        owner = "desk" if n < 2 else "other"
        store.record([_match(_sub(owner=owner), article)], NOW + timedelta(minutes=n))
    found = store.search(owner="desk")
    assert [a.story_id for a in found] == ["s1", "s0"]
    assert [a.story_id for a in store.search(since=NOW + timedelta(minutes=1))] == ["s2", "s1"]
    assert store.search(subscription_id="nope") == []


def test_create_is_create_if_absent(
    store: SqliteAlertStore, make_article: Callable[..., Article]
) -> None:
    [alert] = store.record([_match(_sub(), make_article())], NOW)
    assert store.create(alert) is False
    fresh = alert.model_copy(update={"alert_id": "other"})
    assert store.create(fresh) is True
    assert store.count() == 2
