"""Subscriptions in SQLite, for the embedded mode: the same model, the same query checks.

A query is checked by luqum (fields, syntax) and compiled by the embedded matcher before it is
stored, so what is stored can be evaluated; the percolator path asks Elasticsearch instead.
"""

from pathlib import Path

import orjson

from contract import InvalidQuery, Subscription
from sinks.lucene.clauses import check_fields
from sinks.lucene.evaluate import compile_query
from sinks.sqlite.base import SqliteBase, sqlite_errors, to_ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at REAL NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions_version (n INTEGER NOT NULL);
INSERT INTO subscriptions_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM subscriptions_version)
"""
# Bumped in the transaction of every put and remove, by any process, so a reader knows when the
# subscriptions it holds are stale: the matcher lists them for every batch of articles.
BUMP = "UPDATE subscriptions_version SET n = n + 1"


class SqliteSubscriptionStore(SqliteBase):
    """Create, read, list and remove subscriptions in an SQLite file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, SCHEMA)
        self._listed: dict[tuple[str | None, str | None], tuple[int, list[Subscription]]] = {}

    def setup(self) -> None:
        """Nothing to do: the table is created on open."""

    def validate(self, query: str) -> None:
        """Check fields and syntax, then compile it for the embedded matcher.

        Raises:
            InvalidQuery: with the parser's message, the unknown field, or what the embedded
                matcher cannot evaluate.
        """
        if not query.strip():
            raise InvalidQuery(query, "the query is empty")
        check_fields(query)
        compile_query(query)

    def put(self, subscription: Subscription, *, refresh: bool = True) -> None:
        """Store (create or replace) a subscription after validating its query (a feed-health
        subscription's query is a glob over feeds, not an article query)."""
        if subscription.kind != "feed-health":
            self.validate(subscription.query)
        with sqlite_errors(f"storing subscription {subscription.id!r}"), self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, ?, ?)",
                (
                    subscription.id,
                    subscription.owner,
                    subscription.kind,
                    int(subscription.enabled),
                    to_ts(subscription.created_at),
                    orjson.dumps(subscription.with_secrets()),
                ),
            )
            conn.execute(BUMP)

    def get(self, subscription_id: str) -> Subscription | None:
        """The subscription with this id, or None."""
        with sqlite_errors(f"reading subscription {subscription_id!r}"):
            rows = self._read("SELECT body FROM subscriptions WHERE id = ?", (subscription_id,))
        return Subscription.model_validate(orjson.loads(rows[0][0])) if rows else None

    def list(self, owner: str | None = None, kind: str | None = None) -> list[Subscription]:
        """Every subscription (of ``owner`` / of ``kind``), sorted by id.

        Read again only when a put or remove happened since the last call with these filters
        (validating 10k subscriptions takes about 0.3 s).
        """
        with sqlite_errors("listing subscriptions"):
            (version,) = self._read("SELECT n FROM subscriptions_version")[0]
            cached = self._listed.get((owner, kind))
            if cached is not None and cached[0] == version:
                return list(cached[1])
            sql = "SELECT body FROM subscriptions WHERE (? IS NULL OR owner = ?)"
            sql += " AND (? IS NULL OR kind = ?) ORDER BY id"
            rows = self._read(sql, (owner, owner, kind, kind))
        found = [Subscription.model_validate(orjson.loads(body)) for (body,) in rows]
        self._listed[(owner, kind)] = (version, found)
        return list(found)

    def remove(self, subscription_id: str) -> bool:
        """Delete a subscription. Returns False when there was none."""
        with sqlite_errors(f"removing subscription {subscription_id!r}"), self._write() as conn:
            cursor = conn.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
            conn.execute(BUMP)
            return cursor.rowcount > 0
