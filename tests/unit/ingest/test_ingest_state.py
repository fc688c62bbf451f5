"""The SQLite feed-state store."""

import sqlite3
from pathlib import Path

from ingest import FeedState, FeedStateStore

URL = "https://example.com/rss"


def test_defaults_and_directories_created(store_path: Path) -> None:
    with FeedStateStore(store_path) as store:
        assert store.get(URL) == FeedState()
        assert store.unseen(URL, ["a", "b"]) == {"a", "b"}
    assert store_path.is_file()
    mode = sqlite3.connect(store_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_commit_persists_state_and_seen_ids_across_instances(store_path: Path) -> None:
    state = FeedState(etag='"v1"', last_modified="yesterday", next_due=123.0, last_ok=100.0)
    with FeedStateStore(store_path) as store:
        store.commit(URL, state, ["a", "b"])
        store.commit(URL, state, ["b"])  # idempotent
    with FeedStateStore(store_path) as reopened:
        assert reopened.get(URL) == state
        assert reopened.unseen(URL, ["a", "b", "c"]) == {"c"}
        assert reopened.unseen("https://other.example/rss", ["a"]) == {"a"}


def test_unseen_handles_many_ids(store: FeedStateStore) -> None:
    ids = [f"id{i}" for i in range(2_500)]
    store.commit(URL, FeedState(), ids[::2])
    assert store.unseen(URL, ids) == set(ids[1::2])


def test_record_failure_counts_and_keeps_validators(store: FeedStateStore) -> None:
    store.record_failure("https://new.example/rss", "feed 'new': boom", 50.0)
    assert store.get("https://new.example/rss") == FeedState(
        next_due=50.0, failures=1, last_error="feed 'new': boom"
    )
    store.commit(URL, FeedState(etag='"e"', next_due=10.0, last_ok=5.0), [])
    store.record_failure(URL, "first", 20.0)
    store.record_failure(URL, "second", 40.0)
    assert store.get(URL) == FeedState(
        etag='"e"', next_due=40.0, failures=2, last_error="second", last_ok=5.0
    )


def test_prune_seen(store: FeedStateStore) -> None:
    store.commit(URL, FeedState(), ["old"])
    assert store.prune_seen(before=0.0) == 0
    assert store.prune_seen(before=float("inf")) == 1
    assert store.unseen(URL, ["old"]) == {"old"}
