"""Alerts waiting for a digest (digest mode, or held through quiet hours), in SQLite.

One row per (subscription, alert) with the alert's latest JSON: an update replaces the JSON and
never adds a second item. A digest is sent from a :class:`Claim` -- a lease on a subscription's
due rows, so two processes sharing the file never build the same digest -- then each channel's
send is recorded with :meth:`PendingQueue.mark_digest_sent` (one transaction, after the send
succeeded), and :meth:`PendingQueue.finish_claim` deletes the rows every channel is done with and
puts the others back with a later ``due_at``: a failed send never drops a match.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sinks.sqlite.base import SqliteBase, from_ts, to_ts

PendingReason = Literal["digest", "quiet"]

PENDING_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    subscription_id TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    alert_json BLOB NOT NULL,
    version INTEGER NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('digest', 'quiet')),
    added_at REAL NOT NULL,
    due_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claim TEXT,
    claimed_until REAL,
    PRIMARY KEY (subscription_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pending_by_due ON pending (due_at);
"""

_COLUMNS = "subscription_id, alert_id, alert_json, version, reason, due_at, attempts"


@dataclass(frozen=True)
class PendingItem:
    """An alert waiting for a digest; ``alert_json`` is its latest version."""

    subscription_id: str
    alert_id: str
    alert_json: bytes
    version: int
    reason: PendingReason
    due_at: datetime
    attempts: int


def _item(row: Any) -> PendingItem:
    sub, alert, body, version, reason, due, attempts = row
    return PendingItem(sub, alert, bytes(body), version, reason, from_ts(due), attempts)


@dataclass(frozen=True)
class Claim:
    """A lease on a subscription's due items: send them, mark them, then finish the claim."""

    subscription_id: str
    token: str
    items: tuple[PendingItem, ...]

    @property
    def attempts(self) -> int:
        """Failed digest sends so far (the most of any item), for the retry backoff."""
        return max(item.attempts for item in self.items)


class PendingQueue(SqliteBase):
    """The ``pending`` table; :class:`sinks.notify.delivery_log.DeliveryLog` adds deliveries."""

    def replace_pending(
        self, subscription_id: str, alert_id: str, alert_json: bytes, version: int
    ) -> bool:
        """If the alert is pending, keep its newest JSON and return True; else return False."""
        with self._write() as conn:
            found = conn.execute(
                "SELECT version FROM pending WHERE subscription_id = ? AND alert_id = ?",
                (subscription_id, alert_id),
            ).fetchone()
            if found is not None and version >= found[0]:
                conn.execute(
                    "UPDATE pending SET alert_json = ?, version = ? "
                    "WHERE subscription_id = ? AND alert_id = ?",
                    (alert_json, version, subscription_id, alert_id),
                )
        return found is not None

    def add_pending(
        self,
        subscription_id: str,
        alert_id: str,
        alert_json: bytes,
        *,
        version: int,
        reason: PendingReason,
        due_at: datetime,
        at: datetime,
    ) -> None:
        """Queue an alert (an existing item only gets the newer JSON; its due time stays)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO pending (subscription_id, alert_id, alert_json, version, reason, "
                "added_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (subscription_id, alert_id) DO UPDATE SET "
                "alert_json = excluded.alert_json, version = excluded.version "
                "WHERE excluded.version >= pending.version",
                (subscription_id, alert_id, alert_json, version, reason, to_ts(at), to_ts(due_at)),
            )

    def pending_items(self, subscription_id: str) -> list[PendingItem]:
        """Every pending item of a subscription, due first."""
        rows = self._read(
            f"SELECT {_COLUMNS} FROM pending WHERE subscription_id = ? ORDER BY due_at, alert_id",
            (subscription_id,),
        )
        return [_item(r) for r in rows]

    def due_subscriptions(self, now: datetime) -> list[str]:
        """Subscriptions with items due at ``now`` that nobody holds a claim on."""
        rows = self._read(
            "SELECT DISTINCT subscription_id FROM pending WHERE due_at <= ? "
            "AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY subscription_id",
            (to_ts(now), to_ts(now)),
        )
        return [r[0] for r in rows]

    def claim_due(self, subscription_id: str, now: datetime, lease: timedelta) -> Claim | None:
        """Lease every due, unclaimed item of a subscription until ``now + lease``."""
        token = uuid.uuid4().hex
        with self._write() as conn:
            conn.execute(
                "UPDATE pending SET claim = ?, claimed_until = ? WHERE subscription_id = ? "
                "AND due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)",
                (token, to_ts(now + lease), subscription_id, to_ts(now), to_ts(now)),
            )
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM pending WHERE claim = ? ORDER BY alert_id", (token,)
            ).fetchall()
        if not rows:
            return None
        return Claim(subscription_id, token, tuple(_item(r) for r in rows))

    def mark_digest_sent(
        self,
        claim: Claim,
        channel_key: str,
        digest_id: str,
        alert_ids: Iterable[str],
        *,
        attempts: int,
        at: datetime,
    ) -> None:
        """Record, in one transaction, that ``channel_key`` got these items in ``digest_id``."""
        versions = {item.alert_id: item.version for item in claim.items}
        stamps = (to_ts(at), to_ts(at))
        rows = [
            (a, channel_key, claim.subscription_id, versions[a], attempts, digest_id, *stamps)
            for a in alert_ids
        ]
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO deliveries (alert_id, channel_key, subscription_id, status, version, "
                "attempts, via, first_at, last_at) VALUES (?, ?, ?, 'sent', ?, ?, ?, ?, ?) "
                "ON CONFLICT (alert_id, channel_key) DO UPDATE SET status = 'sent', "
                "via = excluded.via, last_at = excluded.last_at",
                rows,
            )

    def finish_claim(
        self, claim: Claim, channel_keys: Sequence[str], retry_at: datetime
    ) -> list[str]:
        """Release a claim: delete the items every channel is done with, retry the rest later.

        Returns:
            The alert ids still pending (to be retried at ``retry_at``).
        """
        keys = sorted(set(channel_keys))
        marks = ",".join("?" * len(keys))
        with self._write() as conn:
            done = {
                row[0]
                for row in conn.execute(
                    f"SELECT alert_id FROM deliveries WHERE channel_key IN ({marks}) "
                    "AND alert_id IN (SELECT alert_id FROM pending WHERE claim = ?) "
                    f"GROUP BY alert_id HAVING COUNT(*) = {len(keys)}",
                    (*keys, claim.token),
                )
            }
            left = [item.alert_id for item in claim.items if item.alert_id not in done]
            conn.executemany(
                "DELETE FROM pending WHERE claim = ? AND alert_id = ?",
                [(claim.token, a) for a in done],
            )
            conn.execute(
                "UPDATE pending SET claim = NULL, claimed_until = NULL, due_at = ?, "
                "attempts = attempts + 1 WHERE claim = ?",
                (to_ts(retry_at), claim.token),
            )
        return left

    def drop_pending(self, subscription_id: str, at: datetime, detail: str) -> list[str]:
        """Drop a subscription's unclaimed items, recording each as ``skipped`` (channel ``-``)."""
        with self._write() as conn:
            rows = conn.execute(
                "SELECT alert_id, version FROM pending WHERE subscription_id = ? "
                "AND (claimed_until IS NULL OR claimed_until <= ?)",
                (subscription_id, to_ts(at)),
            ).fetchall()
            conn.executemany(
                "INSERT OR IGNORE INTO deliveries (alert_id, channel_key, subscription_id, "
                "status, version, attempts, detail, first_at, last_at) "
                "VALUES (?, '-', ?, 'skipped', ?, 0, ?, ?, ?)",
                [(a, subscription_id, v, detail, to_ts(at), to_ts(at)) for a, v in rows],
            )
            conn.executemany(
                "DELETE FROM pending WHERE subscription_id = ? AND alert_id = ?",
                [(subscription_id, a) for a, _ in rows],
            )
        return [a for a, _ in rows]
