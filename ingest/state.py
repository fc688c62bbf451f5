"""Per-feed polling state and the articles already published, kept in SQLite across restarts.

Besides what the next poll needs (validators, when it is due, the backoff), a feed's row keeps
what ``newsmon feeds status`` shows: its last outcome, where it moved, whether it is disabled,
how many articles it gave and which entries were skipped or repaired, and why.
"""

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.sqlite_file import SqliteFile

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
# Columns added after the first release, created on open when missing.
_ADDED = {
    "feeds": (
        ("name", "TEXT"),
        ("fetch_url", "TEXT"),
        ("disabled", "TEXT"),
        ("articles", "INTEGER NOT NULL DEFAULT 0"),
        ("issues", "TEXT NOT NULL DEFAULT '{}'"),
        ("notes", "TEXT NOT NULL DEFAULT '[]'"),
        ("last_status", "TEXT"),
        ("last_poll", "REAL"),
    ),
    "seen": (("content_hash", "TEXT"),),
}
_COLUMNS = (
    "etag, last_modified, next_due, failures, last_error, last_ok, name, fetch_url, disabled, "
    "articles, issues, notes, last_status, last_poll"
)
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
        name: the feed's name when it was last polled.
        fetch_url: where the feed moved for good (301/308); polled there from then on.
        disabled: why the feed is no longer polled (HTTP 410), until ``feeds enable``.
        articles: articles published from this feed, in all.
        issues: entries skipped or repaired in the feed's latest content, per reason
            (``no-link``: 3, ...): a feed that keeps a bad entry counts it once.
        notes: what was off with the feed as a whole at its last poll (its encoding, ...).
        last_status: the outcome of the last poll: ok, not_modified, failed, disabled.
        last_poll: when the feed was last polled, as a UTC epoch.
    """

    etag: str | None = None
    last_modified: str | None = None
    next_due: float = 0.0
    failures: int = 0
    last_error: str | None = None
    last_ok: float | None = None
    name: str | None = None
    fetch_url: str | None = None
    disabled: str | None = None
    articles: int = 0
    issues: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    last_status: str | None = None
    last_poll: float | None = None


def _state(row: tuple[Any, ...]) -> FeedState:
    (etag, modified, due, failures, error, ok, name, moved, disabled, articles, issues, notes,
     status, polled) = row  # fmt: skip
    return FeedState(
        etag, modified, due, failures, error, ok, name, moved, disabled, articles,
        json.loads(issues or "{}"), tuple(json.loads(notes or "[]")), status, polled,
    )  # fmt: skip


class FeedStateStore(SqliteFile):
    """SQLite-backed :class:`FeedState` per feed URL, and the articles already published with
    the hash of their content (a changed hash is a new version).

    One process at a time; safe to share between threads of that process.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def _prepare(self) -> None:
        self._conn.execute("PRAGMA synchronous=NORMAL")

    def _migrate(self) -> None:
        for table, columns in _ADDED.items():
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            for name, kind in columns:
                if name not in have:
                    self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    def get(self, feed_url: str) -> FeedState:
        """The state of ``feed_url``; an empty state if it was never polled."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM feeds WHERE feed_url = ?", (feed_url,)
            ).fetchone()
        return FeedState() if row is None else _state(row)

    def all(self) -> dict[str, FeedState]:
        """Every feed ever polled, by URL."""
        with self._lock:
            rows = self._conn.execute(f"SELECT feed_url, {_COLUMNS} FROM feeds").fetchall()
        return {row[0]: _state(row[1:]) for row in rows}

    def seen_hashes(self, feed_url: str, ids: Iterable[str]) -> dict[str, str | None]:
        """Of ``ids``, those already published for ``feed_url``, with their content hash (None
        for articles published before hashes were kept)."""
        found: dict[str, str | None] = {}
        with self._lock:
            for chunk in _chunks(sorted(set(ids))):
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(
                    "SELECT article_id, content_hash FROM seen "
                    f"WHERE feed_url = ? AND article_id IN ({marks})",
                    (feed_url, *chunk),
                )
                found.update(rows)
        return found

    def commit(
        self, feed_url: str, state: FeedState, seen: Iterable[tuple[str, str | None]]
    ) -> None:
        """Save ``state`` and mark ``seen`` (article id, content hash) published, in one
        transaction. Call only once the broker has acknowledged the articles."""
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute(
                f"INSERT OR REPLACE INTO feeds (feed_url, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    feed_url, state.etag, state.last_modified, state.next_due, state.failures,
                    state.last_error, state.last_ok, state.name, state.fetch_url, state.disabled,
                    state.articles, json.dumps(dict(state.issues), sort_keys=True),
                    json.dumps(list(state.notes)), state.last_status, state.last_poll,
                ),
            )  # fmt: skip
            self._conn.executemany(
                "INSERT INTO seen (feed_url, article_id, first_seen, content_hash) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (feed_url, article_id) "
                "DO UPDATE SET content_hash = excluded.content_hash",
                ((feed_url, article_id, now, digest) for article_id, digest in seen),
            )

    def record_failure(
        self,
        feed_url: str,
        error: str,
        next_due: float,
        *,
        name: str | None = None,
        disabled: str | None = None,
    ) -> None:
        """Count one more consecutive failure; validators and seen ids are left alone.

        Args:
            disabled: set to say why the feed is no longer polled (a 410).
        """
        status = "disabled" if disabled else "failed"
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO feeds (feed_url, next_due, failures, last_error, name, disabled, "
                "last_status, last_poll) VALUES (?, ?, 1, ?, ?, ?, ?, ?) "
                "ON CONFLICT (feed_url) DO UPDATE SET next_due = excluded.next_due, "
                "failures = feeds.failures + 1, last_error = excluded.last_error, "
                "name = coalesce(excluded.name, feeds.name), disabled = excluded.disabled, "
                "last_status = excluded.last_status, last_poll = excluded.last_poll",
                (feed_url, next_due, error, name, disabled, status, time.time()),
            )

    def defer(self, feed_url: str, until: float) -> None:
        """Poll ``feed_url`` no earlier than ``until`` (its host asked to slow down)."""
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO feeds (feed_url, next_due) VALUES (?, ?) ON CONFLICT (feed_url) "
                "DO UPDATE SET next_due = max(feeds.next_due, excluded.next_due)",
                (feed_url, until),
            )

    def enable(self, feed_url: str) -> bool:
        """Poll a disabled feed again, now; False if it was not disabled."""
        with self._lock, self._conn:
            return bool(
                self._conn.execute(
                    "UPDATE feeds SET disabled = NULL, failures = 0, next_due = 0 "
                    "WHERE feed_url = ? AND disabled IS NOT NULL",
                    (feed_url,),
                ).rowcount
            )

    def prune_seen(self, before: float) -> int:
        """Forget ids first seen before the epoch ``before``; returns how many were forgotten."""
        with self._lock, self._conn:
            return self._conn.execute("DELETE FROM seen WHERE first_seen < ?", (before,)).rowcount


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
