"""Per-feed polling state and the ids already published, kept in SQLite across restarts."""

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    feed_url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    next_due REAL NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_ok REAL
);
CREATE TABLE IF NOT EXISTS seen (
    feed_url TEXT NOT NULL,
    article_id TEXT NOT NULL,
    first_seen REAL NOT NULL,
    PRIMARY KEY (feed_url, article_id)
) WITHOUT ROWID;
"""
_CHUNK = 500  # stay under SQLite's bound-parameter limit


@dataclass(frozen=True)
class FeedState:
    """What newsmon remembers about one feed.

    Attributes:
        etag: the validator for the next conditional GET.
        last_modified: the other validator for the next conditional GET.
        next_due: when to poll next, as a UTC epoch.
        failures: consecutive failures (drives the backoff).
        last_error: the most recent failure, naming the feed.
        last_ok: when the feed was last fetched successfully, as a UTC epoch.
    """

    etag: str | None = None
    last_modified: str | None = None
    next_due: float = 0.0
    failures: int = 0
    last_error: str | None = None
    last_ok: float | None = None


class FeedStateStore:
    """SQLite-backed :class:`FeedState` per feed URL, and the article ids already published.

    One process at a time; safe to share between threads of that process.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def get(self, feed_url: str) -> FeedState:
        """The state of ``feed_url``; an empty state if it was never polled."""
        with self._lock:
            row = self._conn.execute(
                "SELECT etag, last_modified, next_due, failures, last_error, last_ok "
                "FROM feeds WHERE feed_url = ?",
                (feed_url,),
            ).fetchone()
        if row is None:
            return FeedState()
        return FeedState(*row)

    def unseen(self, feed_url: str, ids: Iterable[str]) -> set[str]:
        """The ids in ``ids`` not yet committed for ``feed_url``."""
        wanted = set(ids)
        found: set[str] = set()
        with self._lock:
            for chunk in _chunks(sorted(wanted)):
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    f"SELECT article_id FROM seen WHERE feed_url = ? AND article_id IN ({marks})",
                    (feed_url, *chunk),
                )
                found.update(row[0] for row in rows)
        return wanted - found

    def commit(self, feed_url: str, state: FeedState, article_ids: Iterable[str]) -> None:
        """Save ``state`` and mark ``article_ids`` seen, in one transaction.

        Call only once the broker has acknowledged the articles.
        """
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO feeds (feed_url, etag, last_modified, next_due, failures, "
                "last_error, last_ok) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (feed_url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, next_due = excluded.next_due, "
                "failures = excluded.failures, last_error = excluded.last_error, "
                "last_ok = excluded.last_ok",
                (
                    feed_url,
                    state.etag,
                    state.last_modified,
                    state.next_due,
                    state.failures,
                    state.last_error,
                    state.last_ok,
                ),
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO seen (feed_url, article_id, first_seen) VALUES (?, ?, ?)",
                ((feed_url, article_id, now) for article_id in article_ids),
            )

    def record_failure(self, feed_url: str, error: str, next_due: float) -> None:
        """Count one more consecutive failure; validators and seen ids are left alone."""
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO feeds (feed_url, next_due, failures, last_error) VALUES (?, ?, 1, ?) "
                "ON CONFLICT (feed_url) DO UPDATE SET next_due = excluded.next_due, "
                "failures = feeds.failures + 1, last_error = excluded.last_error",
                (feed_url, next_due, error),
            )

    def prune_seen(self, before: float) -> int:
        """Forget ids first seen before the epoch ``before``; returns how many were forgotten."""
        with self._lock, self._conn:
            return self._conn.execute("DELETE FROM seen WHERE first_seen < ?", (before,)).rowcount

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
