"""The notifier's memory: what was delivered where (SQLite), and what waits for a digest.

``deliveries`` holds one row per (alert id, channel key) once that channel is done with the
alert: ``sent``, ``dead`` (dead-lettered), ``capped`` (over the daily cap) or ``skipped``
(subscription unknown or disabled; channel key ``-``). A row there means "never push this alert
to this channel again": the exactly-once guard that makes redelivery and restarts harmless.
The pending digest items live in the same file (:mod:`sinks.notify.pending`), so marking a
digest sent and recording its deliveries is one transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sinks.notify.pending import PENDING_SCHEMA, PendingQueue
from sinks.sqlite.base import from_ts, to_ts

_CHUNK = 500  # stay under SQLite's bound-parameter limit

Status = Literal["sent", "dead", "capped", "skipped"]

DELIVERIES_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id TEXT NOT NULL,
    channel_key TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'dead', 'capped', 'skipped')),
    version INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    via TEXT,
    detail TEXT NOT NULL DEFAULT '',
    first_at REAL NOT NULL,
    last_at REAL NOT NULL,
    PRIMARY KEY (alert_id, channel_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_by_subscription
    ON deliveries (subscription_id, status, first_at);
"""


@dataclass(frozen=True)
class Delivery:
    """One channel's record of one alert (``via`` is the digest id when sent in a digest)."""

    alert_id: str
    channel_key: str
    subscription_id: str
    status: Status
    version: int
    attempts: int
    via: str | None
    detail: str
    first_at: datetime
    last_at: datetime


class DeliveryLog(PendingQueue):
    """SQLite delivery log and digest queue at ``path``; safe across threads and processes."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, DELIVERIES_SCHEMA + PENDING_SCHEMA)

    def deliveries(self, alert_id: str) -> dict[str, Delivery]:
        """Every channel's record of ``alert_id``, by channel key."""
        rows = self._read(
            "SELECT alert_id, channel_key, subscription_id, status, version, attempts, via, "
            "detail, first_at, last_at FROM deliveries WHERE alert_id = ?",
            (alert_id,),
        )
        return {
            r[1]: Delivery(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], from_ts(r[8]), from_ts(r[9])
            )
            for r in rows
        }

    def delivered(self, channel_key: str, alert_ids: Iterable[str]) -> set[str]:
        """Those of ``alert_ids`` that ``channel_key`` is already done with."""
        wanted = sorted(set(alert_ids))
        done: set[str] = set()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self._read(
                "SELECT alert_id FROM deliveries WHERE channel_key = ? "
                f"AND alert_id IN ({','.join('?' * len(chunk))})",
                (channel_key, *chunk),
            )
            done.update(r[0] for r in rows)
        return done

    def record(
        self,
        alert_id: str,
        channel_key: str,
        subscription_id: str,
        status: Status,
        *,
        version: int,
        attempts: int,
        at: datetime,
        detail: str = "",
    ) -> None:
        """Record that ``channel_key`` is done with ``alert_id`` (upsert; attempts add up)."""
        stamps = (to_ts(at), to_ts(at))
        with self._write() as conn:
            conn.execute(
                "INSERT INTO deliveries (alert_id, channel_key, subscription_id, status, version, "
                "attempts, detail, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (alert_id, channel_key) DO UPDATE SET status = excluded.status, "
                "version = excluded.version, attempts = attempts + excluded.attempts, "
                "detail = excluded.detail, last_at = excluded.last_at",
                (
                    alert_id,
                    channel_key,
                    subscription_id,
                    status,
                    version,
                    attempts,
                    detail,
                    *stamps,
                ),
            )

    def pushed_since(self, subscription_id: str, since: datetime) -> int:
        """Alerts of a subscription sent since ``since``, plus those held for quiet hours."""
        rows = self._read(
            "SELECT COUNT(*) FROM (SELECT alert_id FROM deliveries WHERE subscription_id = ? "
            "AND status = 'sent' AND first_at >= ? UNION SELECT alert_id FROM pending "
            "WHERE subscription_id = ? AND reason = 'quiet' AND added_at >= ?)",
            (subscription_id, to_ts(since), subscription_id, to_ts(since)),
        )
        return int(rows[0][0])

    def counts(self) -> dict[str, int]:
        """Deliveries by status, plus ``pending`` items (for status lines)."""
        counts = {
            status: int(n)
            for status, n in self._read("SELECT status, COUNT(*) FROM deliveries GROUP BY status")
        }
        counts["pending"] = int(self._read("SELECT COUNT(*) FROM pending")[0][0])
        return counts

    def counts_by_channel(self) -> dict[tuple[str, str], int]:
        """Deliveries by (status, channel type): ``webhook``, ``email``, ... from the channel
        key ``"0:webhook"``; ``-`` where no channel was tried (a ``skipped`` alert)."""
        rows = self._read(
            "SELECT status, CASE WHEN instr(channel_key, ':') > 0 "
            "THEN substr(channel_key, instr(channel_key, ':') + 1) ELSE channel_key END "
            "AS channel, COUNT(*) FROM deliveries GROUP BY status, channel"
        )
        return {(str(status), str(channel)): int(n) for status, channel, n in rows}

    def prune(self, before: datetime) -> int:
        """Forget deliveries last touched before ``before`` (their alerts could then resend)."""
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM deliveries WHERE last_at < ?", (to_ts(before),)
            ).rowcount
