"""Every poll of every feed (:class:`contract.FeedPoll`), kept in the poller's state database.

:mod:`ingest.state` keeps a feed's latest outcome only; health over time (articles per day
against the feed's own history, since when it has been failing) needs each poll. The rows
live in a ``polls`` table of the same SQLite file, pruned after a number of days.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from contract import FeedPoll, PollStatus
from ingest.sqlite_file import SqliteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS polls (
    feed_url TEXT NOT NULL,
    feed TEXT NOT NULL,
    polled_at REAL NOT NULL,
    status TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    duration_ms REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS polls_by_feed ON polls (feed_url, polled_at);
CREATE INDEX IF NOT EXISTS polls_by_time ON polls (polled_at);
"""
_COLUMNS = "feed_url, feed, polled_at, status, articles, failures, error, duration_ms"


class PollHistory(SqliteFile):
    """The ``polls`` table of the state database: append, read per feed, prune.

    One connection of its own (the file is in WAL mode, so it sits beside the
    :class:`ingest.state.FeedStateStore` of the same process); safe to share between threads.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def add(self, polls: Iterable[FeedPoll]) -> None:
        """Record polls (one transaction)."""
        rows = [
            (
                p.url, p.feed, p.polled_at.timestamp(), p.status, p.articles, p.failures,
                p.error, p.duration_ms,
            )
            for p in polls
        ]  # fmt: skip
        with self._lock, self._conn:
            self._conn.executemany(
                f"INSERT INTO polls ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def since(
        self, when: datetime, urls: Iterable[str] | None = None, eventful: bool = False
    ) -> dict[str, list[FeedPoll]]:
        """Polls at or after ``when``, per feed URL, oldest first (only ``urls`` if given).

        Args:
            eventful: only the polls that gave articles or failed: all that health needs
                besides the state (most polls of a busy feed give nothing new), read in a
                fraction of the time.
        """
        wanted = None if urls is None else set(urls)
        only = " AND (articles > 0 OR status = 'failed')" if eventful else ""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM polls WHERE polled_at >= ?{only} ORDER BY polled_at",
                (when.timestamp(),),
            ).fetchall()
        out: dict[str, list[FeedPoll]] = {}
        for url, feed, at, status, articles, failures, error, duration in rows:
            if wanted is not None and url not in wanted:
                continue
            out.setdefault(url, []).append(
                FeedPoll(
                    feed=feed,
                    url=url,
                    polled_at=datetime.fromtimestamp(at, UTC),
                    status=cast(PollStatus, status),
                    articles=articles,
                    failures=failures,
                    error=error,
                    duration_ms=duration,
                )
            )
        return out

    def first_polls(self) -> dict[str, datetime]:
        """When each feed's oldest kept poll was: where its history begins."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT feed_url, min(polled_at) FROM polls GROUP BY feed_url"
            ).fetchall()
        return {url: datetime.fromtimestamp(at, UTC) for url, at in rows}

    def prune(self, before: datetime) -> int:
        """Forget polls older than ``before``; returns how many were forgotten."""
        with self._lock, self._conn:
            return self._conn.execute(
                "DELETE FROM polls WHERE polled_at < ?", (before.timestamp(),)
            ).rowcount
