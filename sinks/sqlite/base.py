"""A small SQLite base: one connection, WAL, and ``BEGIN IMMEDIATE`` write transactions.

``BEGIN IMMEDIATE`` takes the write lock up front, so two processes sharing the file queue up
(for up to ``timeout`` seconds) instead of failing on a read-to-write lock upgrade; WAL lets
readers go on meanwhile. Times are stored as UTC epoch seconds.
"""

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contract import TransientError


@contextmanager
def sqlite_errors(what: str) -> Iterator[None]:
    """A locked or unreadable database file is worth a retry: TransientError naming ``what``."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise TransientError(f"{what}: {exc}") from exc


def to_ts(at: datetime) -> float:
    """An aware datetime as epoch seconds."""
    if at.tzinfo is None:
        raise ValueError("only aware datetimes are stored")
    return at.timestamp()


def from_ts(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


class SqliteBase:
    """An SQLite file at ``path`` (``":memory:"`` for a throwaway one) with ``schema`` applied."""

    def __init__(self, path: Path | str, schema: str, timeout: float = 30.0) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._write() as conn:
            for statement in schema.split(";"):
                if statement.strip():
                    conn.execute(statement)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on exit, rolled back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
