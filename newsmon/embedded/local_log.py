"""Kafka's topics, offsets and consumer groups in one SQLite file, for ``newsmon run`` without
a broker: the same stages, the same topic names, the same at-least-once semantics.

Each topic has one partition (0) and gap-free offsets 0, 1, 2, ... Offsets are assigned inside
the ``BEGIN IMMEDIATE`` transaction that appends, which holds the file's single write lock, so
offset order is commit order: a reader that sees offset n has seen every offset below it, and a
consumer never skips a message that commits late (threads and processes alike).

Durability, ``synchronous="NORMAL"`` (the default) in WAL mode: a commit is written to the WAL
before ``send_all``/``commit`` return, so a crashed or SIGKILLed process loses nothing. A power
cut or OS crash can lose the last commits, never the file's consistency; and as every topic and
every group's position share one WAL, what survives is a prefix of the commit history: a lost
output message takes the later commit of its input with it, so the input is redelivered. Only
effects outside the file (a feed's fetch state, a sent notification) can get out of step.
``synchronous="FULL"`` fsyncs every commit: durable through a power cut, one fsync per batch.
"""

import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from contract import ConfigError, TransientError
from newsmon.transport import Consumer, Producer, Record

RECHECK = 0.2
"""Seconds between looks at the file while a poll waits: appends from other processes signal
no condition here, so they are seen within this long."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY, next_seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    topic TEXT NOT NULL, seq INTEGER NOT NULL, appended REAL NOT NULL, key BLOB, value BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS messages_seq ON messages (topic, seq);
CREATE TABLE IF NOT EXISTS positions (
    grp TEXT NOT NULL, topic TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (grp, topic)
)
"""
"""``seq`` is the Kafka offset; ``position`` a group's committed offset (the next to read);
``next_seq`` survives pruning, so offsets never restart. ``appended`` (epoch seconds) comes
before the blobs so retention checks do not read them."""

_END = "COALESCE((SELECT next_seq FROM topics WHERE name = :t), 0)"
_EARLIEST = f"COALESCE((SELECT MIN(seq) FROM messages WHERE topic = :t), {_END})"


class _Wakeup:
    """Wakes the polls waiting on one file in this process when a producer appends."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.generation = 0

    def notify(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()


_wakeups: "weakref.WeakValueDictionary[str, _Wakeup]" = weakref.WeakValueDictionary()
_wakeups_lock = threading.Lock()


class LocalLog:
    """A durable message log in one SQLite file (WAL), shared by threads and processes.

    Args:
        path: the SQLite file (its folder is created).
        retention: how old a message must be before :meth:`prune` may delete it.
        busy_timeout: seconds to wait for another writer before :class:`TransientError`.
        synchronous: ``"NORMAL"`` survives process crashes, ``"FULL"`` power cuts too.

    Raises:
        ConfigError: the file cannot be opened as a SQLite database in WAL mode.
        TransientError: another process held the file past ``busy_timeout``.
    """

    def __init__(
        self,
        path: Path,
        retention: timedelta = timedelta(days=7),
        *,
        busy_timeout: float = 30.0,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
    ) -> None:
        self.path, self.retention = Path(path), retention
        self._busy_timeout, self._synchronous = busy_timeout, synchronous
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _wakeups_lock:  # one per file, so two LocalLogs on one file still wake each other
            self._wakeup = _wakeups.setdefault(str(self.path.resolve()), _Wakeup())
        self._lock = threading.Lock()
        self._db = self._connect()
        with self._lock, self._write(self._db, "create the tables"):
            for statement in _SCHEMA.split(";"):
                self._db.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        """A new autocommit connection (transactions are explicit) in WAL mode."""
        try:
            db = sqlite3.connect(
                self.path, self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            db.execute(f"PRAGMA synchronous={self._synchronous}")
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED"):
                raise TransientError(f"local log {self.path}: busy: {exc}") from exc
            raise ConfigError(f"local log {self.path}: cannot open: {exc}") from exc
        if mode != "wal":
            db.close()
            raise ConfigError(f"local log {self.path}: WAL mode refused (journal_mode {mode})")
        return db

    @contextmanager
    def _write(self, db: sqlite3.Connection, what: str) -> Iterator[None]:
        """One ``BEGIN IMMEDIATE`` transaction on ``db``; SQLite errors -> TransientError."""
        try:
            db.execute("BEGIN IMMEDIATE")
            yield
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                with suppress(sqlite3.Error):  # keep the first error, not the rollback's
                    db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise TransientError(f"local log {self.path}: {what}: {exc}") from exc
            raise

    def _notify(self) -> None:
        """Wake this process's polls on the file (after an append commits)."""
        self._wakeup.notify()

    def _wait(self, seen: int, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for an append after generation ``seen``."""
        with self._wakeup.cond:
            self._wakeup.cond.wait_for(lambda: self._wakeup.generation != seen, timeout)

    @property
    def _generation(self) -> int:
        """Counts appends in this process; read it before looking, then :meth:`_wait` on it."""
        return self._wakeup.generation

    def producer(self) -> Producer:
        """A producer with its own connection."""
        return LocalProducer(self)

    def consumer(self, topics: str | Sequence[str], group: str) -> Consumer:
        """A consumer of ``topics`` for ``group``, at its committed positions (a new group at
        the earliest retained offset). Run one consumer per group and topic at a time."""
        return LocalConsumer(self, [topics] if isinstance(topics, str) else topics, group)

    def end_offsets(self, topic: str) -> int:
        """The offset the next message of ``topic`` will get."""
        return self._read(f"SELECT {_END}", topic)

    def lag(self, topic: str, group: str) -> int:
        """Messages of ``topic`` that ``group`` has not committed yet."""
        return self._read(
            f"SELECT {_END} - COALESCE("
            f"(SELECT position FROM positions WHERE grp = :g AND topic = :t), {_EARLIEST})",
            topic,
            group,
        )

    def _read(self, sql: str, topic: str, group: str = "") -> int:
        with self._lock:
            try:
                value: int = self._db.execute(sql, {"t": topic, "g": group}).fetchone()[0]
            except sqlite3.OperationalError as exc:
                raise TransientError(f"local log {self.path}: read {topic!r}: {exc}") from exc
        return value

    def prune(self, now: datetime) -> int:
        """Delete messages older than the retention that every group that ever committed on
        their topic has consumed; returns how many. A topic no group has committed on keeps
        everything. Only a prefix goes, so the retained offsets stay gap-free.

        Naive ``now`` is taken as UTC.
        """
        cutoff = (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()
        cutoff -= self.retention.total_seconds()
        deleted = 0
        with self._lock, self._write(self._db, "prune"):
            floors = self._db.execute("SELECT topic, MIN(position) FROM positions GROUP BY topic")
            for topic, floor in floors.fetchall():
                young = self._db.execute(
                    "SELECT seq FROM messages WHERE topic = ? AND seq < ? AND appended >= ?"
                    " ORDER BY seq LIMIT 1",
                    (topic, floor, cutoff),
                ).fetchone()
                bound = floor if young is None else young[0]
                deleted += self._db.execute(
                    "DELETE FROM messages WHERE topic = ? AND seq < ?", (topic, bound)
                ).rowcount
        return deleted

    def close(self) -> None:
        """Close this object's connection; producers and consumers are closed by their owners."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> "LocalLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalProducer:
    """Appends to the log; thread-safe (a lock serialises its one connection)."""

    def __init__(self, log: LocalLog) -> None:
        self._log, self._db, self._lock = log, log._connect(), threading.Lock()

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Append ``messages`` in one transaction: all or none, durable when this returns."""
        if not messages:
            return
        for key, value in messages:  # a str would come back as str: refuse it here
            if not isinstance(value, bytes) or not isinstance(key, bytes | None):
                kinds = f"{type(key).__name__}, {type(value).__name__}"
                raise TypeError(f"local log: key and value must be bytes, not {kinds}")
        with self._lock, self._log._write(self._db, f"append to {topic!r}"):
            (end,) = self._db.execute(
                "INSERT INTO topics VALUES (?, ?) ON CONFLICT (name)"
                " DO UPDATE SET next_seq = next_seq + excluded.next_seq RETURNING next_seq",
                (topic, len(messages)),
            ).fetchone()
            first, now = end - len(messages), time.time()
            self._db.executemany(
                "INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                [(topic, first + i, now, k, v) for i, (k, v) in enumerate(messages)],
            )
        self._log._notify()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class LocalConsumer:
    """Reads topics for one group; used from one thread at a time, like a Kafka consumer."""

    def __init__(self, log: LocalLog, topics: Sequence[str], group: str) -> None:
        if not topics:
            raise ValueError("local log: a consumer needs at least one topic")
        self._log, self._db, self._group = log, log._connect(), group
        self._topics = list(dict.fromkeys(topics))
        self._turn = 0  # the topic read first, rotated so a busy topic cannot starve the rest
        self._committed: dict[str, int | None] = {}
        self._positions: dict[str, int] = {}
        for topic in self._topics:
            try:
                committed, earliest = self._db.execute(
                    "SELECT (SELECT position FROM positions WHERE grp = :g AND topic = :t),"
                    f" {_EARLIEST}",
                    {"g": group, "t": topic},
                ).fetchone()
            except sqlite3.OperationalError as exc:
                raise TransientError(
                    f"local log {log.path}: read the position of {group!r} on {topic!r}: {exc}"
                ) from exc
            self._committed[topic] = committed
            self._positions[topic] = earliest if committed is None else committed

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Up to ``max_records`` after the position; waits up to ``timeout`` s for the first."""
        if max_records < 1:
            raise ValueError(f"local log: max_records must be >= 1, not {max_records}")
        deadline = time.monotonic() + timeout
        while True:
            seen = self._log._generation  # before looking, so a later append is not missed
            records = self._fetch(max_records)
            left = deadline - time.monotonic()
            if records or left <= 0:
                return records
            self._log._wait(seen, min(left, RECHECK))

    def _fetch(self, max_records: int) -> list[Record]:
        records: list[Record] = []
        count = len(self._topics)
        self._turn = (self._turn + 1) % count
        for i in range(count):
            topic = self._topics[(self._turn + i) % count]
            try:
                rows = self._db.execute(
                    "SELECT seq, key, value FROM messages WHERE topic = ? AND seq >= ?"
                    " ORDER BY seq LIMIT ?",
                    (topic, self._positions[topic], max_records - len(records)),
                ).fetchall()
            except sqlite3.OperationalError as exc:
                raise TransientError(f"local log {self._log.path}: read {topic!r}: {exc}") from exc
            if rows:
                records.extend(Record(topic, 0, seq, key, value) for seq, key, value in rows)
                self._positions[topic] = rows[-1][0] + 1
            if len(records) >= max_records:
                break
        return records

    def commit(self) -> None:
        """Store the positions that moved since the last commit, in one transaction."""
        moved = [(t, p) for t, p in self._positions.items() if self._committed[t] != p]
        if not moved:
            return
        with self._log._write(self._db, f"commit {self._group!r} on {[t for t, _ in moved]}"):
            self._db.executemany(
                "INSERT INTO positions VALUES (?, ?, ?) ON CONFLICT (grp, topic)"
                " DO UPDATE SET position = excluded.position",
                [(self._group, t, p) for t, p in moved],
            )
        self._committed.update(moved)

    def rewind(self, records: Sequence[Record]) -> None:
        """Back to the first offset of ``records`` per topic (partition 0 is the only one)."""
        first: dict[str, int] = {}
        for r in records:
            if r.topic not in self._positions or r.partition != 0:
                raise ValueError(f"local log: {r.topic}[{r.partition}] is not read here")
            first[r.topic] = min(first.get(r.topic, r.offset), r.offset)
        self._positions.update(first)

    def caught_up(self) -> bool:
        """True when every message appended so far has been polled."""
        for topic, position in self._positions.items():
            try:
                (end,) = self._db.execute(f"SELECT {_END}", {"t": topic}).fetchone()
            except sqlite3.OperationalError as exc:
                raise TransientError(f"local log {self._log.path}: read {topic!r}: {exc}") from exc
            if position < end:
                return False
        return True

    def close(self) -> None:
        """Close the connection without committing."""
        self._db.close()
