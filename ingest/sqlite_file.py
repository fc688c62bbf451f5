"""One SQLite file of the poller's state, opened once and shared by a process's threads.

The feed state, the poll history and the health episodes live in the same file in WAL mode,
each with a connection of its own; this is what they share: the connection, its lock, the
schema applied at open, and closing.
"""

import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import Self


class SqliteFile:
    """A connection to ``path`` (created with its directory if missing), with ``schema``
    applied; subclasses add their queries, each under ``self._lock``."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10.0)
        with self._lock, self._conn:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._prepare()
            self._conn.executescript(schema)
            self._migrate()

    def _prepare(self) -> None:
        """Pragmas before the schema (none by default)."""

    def _migrate(self) -> None:
        """Changes to tables an older version created (none by default)."""

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
