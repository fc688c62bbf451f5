"""The SQLite feed-state store."""

import sqlite3
from pathlib import Path

from ingest import FeedState, FeedStateStore

URL = "https://example.com/rss"


def test_defaults_and_directories_created(store_path: Path) -> None:
    with FeedStateStore(store_path) as store:
        assert store.get(URL) == FeedState()
        assert store.seen_hashes(URL, ["a", "b"]) == {}
        assert store.all() == {}
    assert store_path.is_file()
    mode = sqlite3.connect(store_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_commit_persists_state_and_seen_ids_across_instances(store_path: Path) -> None:
    state = FeedState(
        etag='"v1"',
        last_modified="yesterday",
        next_due=123.0,
        last_ok=100.0,
        name="Example",
        fetch_url="https://example.com/new-rss",
        articles=2,
        issues={"no-link": 1, "bad-date": 2},
        notes=("encoding: declared utf-8 ...",),
        last_status="ok",
        last_poll=100.0,
    )
    with FeedStateStore(store_path) as store:
        store.commit(URL, state, [("a", "h1"), ("b", "h2")])
        store.commit(URL, state, [("b", "h2")])  # idempotent
    with FeedStateStore(store_path) as reopened:
        assert reopened.get(URL) == state
        assert reopened.all() == {URL: state}
        assert reopened.seen_hashes(URL, ["a", "b", "c"]) == {"a": "h1", "b": "h2"}
        assert reopened.seen_hashes("https://other.example/rss", ["a"]) == {}


def test_a_new_version_replaces_the_hash(store: FeedStateStore) -> None:
    store.commit(URL, FeedState(), [("a", "h1")])
    store.commit(URL, FeedState(), [("a", "h2")])
    assert store.seen_hashes(URL, ["a"]) == {"a": "h2"}


def test_seen_handles_many_ids(store: FeedStateStore) -> None:
    ids = [f"id{i}" for i in range(2_500)]
    store.commit(URL, FeedState(), [(i, "h") for i in ids[::2]])
    assert set(store.seen_hashes(URL, ids)) == set(ids[::2])


def test_a_store_from_before_hashes_is_upgraded(store_path: Path) -> None:
    """Step-4 data dirs: no hash column, no status columns; opened, they gain them."""
    with sqlite3.connect(store_path.parent.mkdir(parents=True) or store_path) as old:
        old.executescript(
            "CREATE TABLE feeds (feed_url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT,"
            " next_due REAL NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"
            " last_error TEXT, last_ok REAL);"
            "CREATE TABLE seen (feed_url TEXT NOT NULL, article_id TEXT NOT NULL,"
            " first_seen REAL NOT NULL, PRIMARY KEY (feed_url, article_id)) WITHOUT ROWID;"
            f"INSERT INTO feeds (feed_url, etag, next_due) VALUES ('{URL}', '\"e\"', 5);"
            f"INSERT INTO seen VALUES ('{URL}', 'old', 1.0);"
        )
    with FeedStateStore(store_path) as store:
        assert store.get(URL) == FeedState(etag='"e"', next_due=5.0)
        assert store.seen_hashes(URL, ["old"]) == {"old": None}


def test_record_failure_counts_and_keeps_validators(store: FeedStateStore) -> None:
    store.record_failure("https://new.example/rss", "feed 'new': boom", 50.0, name="new")
    new = store.get("https://new.example/rss")
    assert (new.next_due, new.failures, new.last_error, new.name) == (
        50.0,
        1,
        "feed 'new': boom",
        "new",
    )
    assert new.last_status == "failed" and new.last_poll is not None
    store.commit(URL, FeedState(etag='"e"', next_due=10.0, last_ok=5.0), [])
    store.record_failure(URL, "first", 20.0)
    store.record_failure(URL, "second", 40.0)
    state = store.get(URL)
    assert (state.etag, state.next_due, state.failures, state.last_error, state.last_ok) == (
        '"e"',
        40.0,
        2,
        "second",
        5.0,
    )


def test_disable_defer_and_enable(store: FeedStateStore) -> None:
    store.record_failure(URL, "gone", 99.0, disabled="HTTP 410 Gone")
    assert store.get(URL).disabled == "HTTP 410 Gone"
    assert store.get(URL).last_status == "disabled"
    assert store.enable(URL) is True
    assert store.enable(URL) is False  # not disabled any more
    enabled = store.get(URL)
    assert (enabled.disabled, enabled.failures, enabled.next_due) == (None, 0, 0.0)
    store.defer(URL, 500.0)
    store.defer(URL, 300.0)  # never earlier than asked before
    assert store.get(URL).next_due == 500.0


def test_prune_seen(store: FeedStateStore) -> None:
    store.commit(URL, FeedState(), [("old", "h")])
    assert store.prune_seen(before=0.0) == 0
    assert store.prune_seen(before=float("inf")) == 1
    assert store.seen_hashes(URL, ["old"]) == {}
