"""Alerts in SQLite, for the embedded mode: one per subscription and story, as in
:class:`sinks.elasticsearch.alerts.AlertStore`.

One process writes (``newsmon run``), so a write transaction per batch replaces Elasticsearch's
create-if-absent and sequence-number checks; the rules are the same: a story's first copy
creates the alert (version 1), a later copy updates it (version + 1), a redelivered copy changes
nothing and yields the stored alert again.
"""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from contract import Alert
from sinks.alerts import build_alert, build_key, with_copy
from sinks.matches import Match
from sinks.sqlite.base import SqliteBase, sqlite_errors, to_ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    story_id TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_updated ON alerts (updated_at);
CREATE INDEX IF NOT EXISTS alerts_subscription ON alerts (subscription_id, updated_at)
"""


def _row(alert: Alert) -> tuple[object, ...]:
    return (
        alert.alert_id,
        alert.version,
        alert.kind,
        alert.subscription_id,
        alert.owner,
        alert.story_id,
        to_ts(alert.created_at),
        to_ts(alert.updated_at),
        alert.to_json(),
    )


class SqliteAlertStore(SqliteBase):
    """Record matches as per-story alerts; list them."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA)

    def setup(self) -> None:
        """Nothing to do: the table is created on open."""

    def record(self, matches: Sequence[Match], now: datetime) -> list[Alert]:
        """Alerts to publish for ``matches`` (one transaction: all or nothing)."""
        out: dict[str, Alert] = {}
        with sqlite_errors(f"recording {len(matches)} alerts"), self._write() as conn:
            for match in matches:
                aid = build_key(match)
                row = conn.execute("SELECT body FROM alerts WHERE alert_id = ?", (aid,)).fetchone()
                if row is None:
                    alert = build_alert(match, now)
                else:
                    stored = Alert.from_json(row[0])
                    alert = with_copy(stored, match.article, now) or stored
                    if alert is stored:
                        out.setdefault(aid, stored)
                        continue
                conn.execute(
                    "INSERT OR REPLACE INTO alerts VALUES (?,?,?,?,?,?,?,?,?)", _row(alert)
                )
                out[aid] = alert
        return list(out.values())

    def create(self, alert: Alert) -> bool:
        """Store ``alert`` unless one with its id exists. True if new."""
        with sqlite_errors(f"creating alert {alert.alert_id}"), self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO alerts VALUES (?,?,?,?,?,?,?,?,?)", _row(alert)
            )
            return cursor.rowcount > 0

    def get(self, aid: str) -> Alert | None:
        """One alert by id."""
        with sqlite_errors(f"reading alert {aid}"):
            rows = self._read("SELECT body FROM alerts WHERE alert_id = ?", (aid,))
        return Alert.from_json(rows[0][0]) if rows else None

    def search(
        self,
        *,
        subscription_id: str | None = None,
        owner: str | None = None,
        since: datetime | None = None,
        size: int = 50,
    ) -> list[Alert]:
        """The newest alerts first, filtered by subscription, owner and update time."""
        sql = (
            "SELECT body FROM alerts WHERE (? IS NULL OR subscription_id = ?)"
            " AND (? IS NULL OR owner = ?) AND updated_at >= ?"
            " ORDER BY updated_at DESC, alert_id LIMIT ?"
        )
        start = to_ts(since) if since else 0.0
        with sqlite_errors("listing alerts"):
            rows = self._read(sql, (subscription_id, subscription_id, owner, owner, start, size))
        return [Alert.from_json(body) for (body,) in rows]

    def count(self) -> int:
        """How many alerts are stored."""
        return int(self._read("SELECT count(*) FROM alerts")[0][0])
