"""Open feed-health episodes: since when each feed has been failing or quiet.

A feed-health alert is one per feed per episode, so its id needs a start that stays the same
while the episode lasts, across restarts: a failing feed's first failure is in its poll
history, but *quiet* has no such event, so the first check that found it quiet is kept here (in
the state database). An episode ends when the feed is ok again; a later one starts anew.
"""

from datetime import UTC, datetime
from pathlib import Path

from ingest.sqlite_file import SqliteFile

_SCHEMA = """
CREATE TABLE IF NOT EXISTS health_episodes (
    feed_url TEXT PRIMARY KEY,
    health TEXT NOT NULL,
    since REAL NOT NULL
) WITHOUT ROWID;
"""


class HealthEpisodes(SqliteFile):
    """The ``health_episodes`` table of the state database."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def open(self) -> dict[str, tuple[str, datetime]]:
        """Every open episode: feed URL -> (health, since)."""
        with self._lock:
            rows = self._conn.execute("SELECT feed_url, health, since FROM health_episodes")
            return {
                url: (health, datetime.fromtimestamp(since, UTC)) for url, health, since in rows
            }

    def start(self, feed_url: str, health: str, since: datetime) -> None:
        """Open (or replace) the episode of ``feed_url``."""
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO health_episodes VALUES (?, ?, ?)",
                (feed_url, health, since.timestamp()),
            )

    def end(self, feed_url: str) -> None:
        """The feed is ok again."""
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM health_episodes WHERE feed_url = ?", (feed_url,))
