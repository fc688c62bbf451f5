"""Subscriptions in SQLite and the embedded matcher that evaluates them (the percolator's twin)."""

from collections.abc import Callable
from pathlib import Path

import pytest

from contract import Article, ConsoleChannel, InvalidQuery, Subscription
from sinks.lucene.matcher import EmbeddedMatcher
from sinks.sqlite.subscriptions import SqliteSubscriptionStore


def _sub(sub_id: str, query: str, **fields: object) -> Subscription:
    return Subscription.model_validate(
        {"id": sub_id, "name": sub_id, "owner": "desk", "query": query,
         "channels": [ConsoleChannel()], **fields}
    )  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> SqliteSubscriptionStore:
    return SqliteSubscriptionStore(tmp_path / "alerts.sqlite3")


def test_store_validates_puts_lists_and_removes(store: SqliteSubscriptionStore) -> None:
    with pytest.raises(InvalidQuery, match="unknown field 'topic'"):
        store.put(_sub("bad", "topic:ceasefire"))
    with pytest.raises(InvalidQuery):
        store.validate("topics:(ceasefire AND")
    with pytest.raises(InvalidQuery, match="empty"):
        store.validate("  ")
    store.put(_sub("b", "truce", enabled=False))
    store.put(_sub("a", "ceasefire"))
    store.put(_sub("a", "ceasefire OR truce"))  # replaces
    assert [(s.id, s.query) for s in store.list()] == [("a", "ceasefire OR truce"), ("b", "truce")]
    assert store.get("a") is not None
    assert store.remove("a") is True
    assert store.remove("a") is False
    assert store.get("a") is None


def test_matcher_skips_disabled_and_orders_by_batch_then_id(
    store: SqliteSubscriptionStore, make_article: Callable[..., Article]
) -> None:
    for sub in (
        _sub("z-truce", "truce"),
        _sub("a-truce-title", "title:truce"),
        _sub("off", "truce", enabled=False),
        _sub("spiky", "truce", kind="spike", spike={}),
    ):
        store.put(sub)
    matcher = EmbeddedMatcher(lambda kind: store.list(kind=kind))
    first = make_article(url="https://x.example/1", title="Truce agreed", text="Guns fell silent.")
    second = make_article(url="https://x.example/2", title="Talks", text="A truce is near.")
    matches = matcher.match([first, second])
    assert [(m.article.id, m.subscription.id) for m in matches] == [
        (first.id, "a-truce-title"),
        (first.id, "z-truce"),
        (second.id, "z-truce"),
    ]
    assert matches[0].highlights["title"] == ["<em>Truce</em> agreed"]
    assert [m.subscription.id for m in matcher.match([first], kind="spike")] == ["spiky"]


def test_a_listing_is_reused_until_any_connection_changes_the_subscriptions(
    store: SqliteSubscriptionStore, tmp_path: Path
) -> None:
    store.put(_sub("a", "truce"))
    first = store.list(kind="match")
    assert store.list(kind="match") == first
    other = SqliteSubscriptionStore(tmp_path / "alerts.sqlite3")  # e.g. the CLI, meanwhile
    other.put(_sub("b", "ceasefire"))
    assert [s.id for s in store.list(kind="match")] == ["a", "b"]
    other.remove("a")
    assert [s.id for s in store.list(kind="match")] == ["b"]
    other.close()
