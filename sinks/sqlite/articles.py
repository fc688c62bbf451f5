"""The embedded article store: SQLite with FTS5, holding the same documents as Elasticsearch.

Writes are upserts keyed by the article id (the stable hash of its canonical URL), so a
redelivered batch changes nothing and an article is never stored twice. Queries use the
subscription syntax: FTS5 narrows the candidates (the compiled query's ``fts5()`` expression
selects a superset of the matches), then the embedded matcher decides each candidate exactly,
so ``newsmon search``, backtests and alerts agree with each other and with Elasticsearch.
"""

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from contract import Alert, Article, Subscription
from sinks.article_queries import (
    FULLTEXT_FLAG_PREFIX,
    CountRow,
    PageCounts,
    SearchHit,
    SearchResult,
    Stats,
)
from sinks.backtest import SAMPLES, Backtest, BacktestDay, BacktestSample, window
from sinks.base import Sink, WriteReport
from sinks.documents import from_document, to_document
from sinks.lucene.evaluate import FTS5_TOKENIZE, DocumentView, compile_query, fts5_row
from sinks.spikes import SAMPLE_STORIES, Window, fires, spike_alert, spike_numbers, windows
from sinks.sqlite.base import SqliteBase, from_ts, sqlite_errors, to_ts

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS articles (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    dated REAL NOT NULL,
    published REAL,
    fetched_at REAL NOT NULL,
    source TEXT NOT NULL,
    story TEXT NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_dated ON articles (dated);
CREATE TABLE IF NOT EXISTS article_topics (
    article INTEGER NOT NULL,
    topic TEXT NOT NULL,
    PRIMARY KEY (topic, article)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_topics_article ON article_topics (article);
CREATE VIRTUAL TABLE IF NOT EXISTS fts
    USING fts5(title, text, summary, kw, tokenize={FTS5_TOKENIZE})
"""
# ``dated``: published, or fetched_at where the feed gave no date (as Elasticsearch's window
# filter). ``story``: the story id, or the article's own id when it was not clustered.
NEWEST_FIRST = "ORDER BY a.published IS NULL, a.published DESC, a.fetched_at DESC, a.id"
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
EXPORT_PAGE = 1000


def _story(article: Article) -> str:
    return article.story_id or article.id


@dataclass(frozen=True)
class Stored:
    """A matching document with its stored date (published, else fetched) and story."""

    doc: dict[str, Any]
    dated: datetime
    story: str


@dataclass
class Tally:
    """Articles and their distinct stories, counted as matches stream by."""

    articles: int = 0
    stories: set[str] = field(default_factory=set)

    def add(self, story: str) -> None:
        """Count one article of ``story``."""
        self.articles += 1
        self.stories.add(story)


class SqliteArticleStore(SqliteBase, Sink[Article]):
    """Articles in an SQLite file: the indexer's sink and the query commands' source."""

    def __init__(self, path: Path | str) -> None:
        SqliteBase.__init__(self, path, SCHEMA)

    def setup(self) -> str:
        """Nothing to create (done on open); returns the file, for messages."""
        return str(self.path)

    def write_batch(self, items: Sequence[Article]) -> WriteReport[Article]:
        """Upsert ``items`` in one transaction (all or nothing).

        Raises:
            TransientError: the file is locked or unwritable (retry the batch).
        """
        indexed_at = datetime.now(UTC).isoformat()
        with sqlite_errors(f"storing {len(items)} articles in {self.path}"), self._write() as db:
            for article in items:
                self._upsert(db, article, to_document(article, indexed_at))
        return WriteReport(written=len(items))

    def _upsert(self, db: sqlite3.Connection, article: Article, doc: dict[str, Any]) -> None:
        published = to_ts(article.published) if article.published else None
        fetched = to_ts(article.fetched_at)
        (rowid,) = db.execute(
            "INSERT INTO articles (id, dated, published, fetched_at, source, story, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET dated = excluded.dated,"
            " published = excluded.published, fetched_at = excluded.fetched_at,"
            " source = excluded.source, story = excluded.story, doc = excluded.doc"
            " RETURNING rowid",
            (
                article.id,
                published if published is not None else fetched,
                published,
                fetched,
                article.source,
                _story(article),
                orjson.dumps(doc),
            ),
        ).fetchone()
        db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        row = fts5_row(doc)
        db.execute(
            "INSERT INTO fts (rowid, title, text, summary, kw) VALUES (?, ?, ?, ?, ?)",
            (rowid, row["title"], row["text"], row["summary"], row["kw"]),
        )
        db.execute("DELETE FROM article_topics WHERE article = ?", (rowid,))
        db.executemany(
            "INSERT OR IGNORE INTO article_topics VALUES (?, ?)",
            [(rowid, t.topic) for t in article.topics],
        )

    def close(self) -> None:
        """Close the file."""
        SqliteBase.close(self)

    # -- reading -------------------------------------------------------------------------

    def count(self) -> int:
        """Stored articles."""
        return int(self._read("SELECT count(*) FROM articles")[0][0])

    def get(self, article_id: str) -> Article | None:
        """One article by id."""
        rows = self._read("SELECT doc FROM articles WHERE id = ?", (article_id,))
        return from_document(orjson.loads(rows[0][0])) if rows else None

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored."""
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            with sqlite_errors(f"reading {self.path}"):
                rows = self._read(f"SELECT id FROM articles WHERE id IN ({marks})", chunk)
            found.update(str(r[0]) for r in rows)
        return found

    def export(
        self, since: datetime | None, until: datetime | None, query: str | None = None
    ) -> Iterator[Article]:
        """Articles dated in [since, until) (matching ``query``), oldest first, by pages."""
        start = to_ts(since) if since else float("-inf")
        end = to_ts(until) if until else float("inf")
        compiled = compile_query(query) if query else None
        after: tuple[float, int] = (start, -1)
        while True:
            with sqlite_errors(f"reading {self.path}"):
                rows = self._read(
                    "SELECT doc, dated, rowid FROM articles WHERE dated < ?"
                    " AND (dated > ? OR (dated = ? AND rowid > ?)) ORDER BY dated, rowid LIMIT ?",
                    (end, after[0], after[0], after[1], EXPORT_PAGE),
                )
            for blob, dated, rowid in rows:
                after = (dated, rowid)
                doc = orjson.loads(blob)
                if compiled is None or compiled.matches(DocumentView.of(doc)):
                    yield from_document(doc)
            if len(rows) < EXPORT_PAGE:
                return

    def _matching(self, query: str, span: Window | None) -> Iterator[Stored]:
        """Documents matching ``query`` dated in ``span`` (any date if None), newest first."""
        compiled = compile_query(query)
        start, end = (to_ts(span.start), to_ts(span.end)) if span else (float("-inf"), float("inf"))
        columns = "a.doc, a.dated, a.story"
        expression = compiled.fts5()
        if expression is None:
            sql = f"SELECT {columns} FROM articles a WHERE a.dated >= ? AND a.dated < ?"
            params: tuple[object, ...] = (start, end)
        else:
            sql = (
                f"SELECT {columns} FROM fts JOIN articles a ON a.rowid = fts.rowid"
                " WHERE fts MATCH ? AND a.dated >= ? AND a.dated < ?"
            )
            params = (expression, start, end)
        with sqlite_errors(f"searching {self.path}"):
            rows = self._read(f"{sql} {NEWEST_FIRST}", params)
        for blob, dated, story in rows:
            doc = orjson.loads(blob)
            if compiled.matches(DocumentView.of(doc)):
                yield Stored(doc, from_ts(dated), story)

    def search(self, query: str, since: datetime | None = None, limit: int = 20) -> SearchResult:
        """Newest matching articles first; ``total`` counts every match in the period."""
        span = Window(since, FAR_FUTURE) if since else None
        total, hits = 0, list[SearchHit]()
        for found in self._matching(query, span):
            total += 1
            if len(hits) < limit:
                hits.append(SearchHit.of(from_document(found.doc)))
        return SearchResult(query=query, since=since, total=total, hits=hits)

    def stats(self, since: datetime, until: datetime, top: int = 20) -> Stats:
        """Counts per topic and per source, most articles first (ties by name)."""
        bounds = (to_ts(since), to_ts(until))
        where = "a.dated >= ? AND a.dated < ?"
        with sqlite_errors(f"counting in {self.path}"):
            ((articles, stories),) = self._read(
                f"SELECT count(*), count(DISTINCT a.story) FROM articles a WHERE {where}", bounds
            )
            topics = self._read(
                "SELECT t.topic, count(*), count(DISTINCT a.story) FROM article_topics t"
                f" JOIN articles a ON a.rowid = t.article WHERE {where}"
                " GROUP BY t.topic ORDER BY 2 DESC, 1 LIMIT ?",
                (*bounds, top),
            )
            sources = self._read(
                f"SELECT a.source, count(*), count(DISTINCT a.story) FROM articles a WHERE {where}"
                " GROUP BY a.source ORDER BY 2 DESC, 1 LIMIT ?",
                (*bounds, top),
            )
            ((fetched,),) = self._read(
                "SELECT count(*) FROM articles a WHERE "
                f"{where} AND json_extract(CAST(a.doc AS TEXT), '$.text_source') = 'page'",
                bounds,
            )
            failures = self._read(
                "SELECT f.value, count(DISTINCT a.rowid) FROM articles a, "
                "json_each(CAST(a.doc AS TEXT), '$.flags') f "
                f"WHERE {where} AND f.value LIKE ? GROUP BY f.value ORDER BY 2 DESC, 1",
                (*bounds, FULLTEXT_FLAG_PREFIX + "%"),
            )
            ((failed,),) = self._read(
                f"SELECT count(*) FROM articles a WHERE {where} AND EXISTS (SELECT 1 FROM "
                "json_each(CAST(a.doc AS TEXT), '$.flags') f WHERE f.value LIKE ?)",
                (*bounds, FULLTEXT_FLAG_PREFIX + "%"),
            )
        pages = PageCounts(
            fetched=fetched,
            failed=failed,
            skipped=articles - fetched - failed,
            failures={str(flag): int(n) for flag, n in failures},
        )
        return Stats(
            pages=pages,
            since=since,
            until=until,
            articles=articles,
            stories=stories,
            topics=[CountRow(name=n, articles=a, stories=s) for n, a, s in topics],
            sources=[CountRow(name=n, articles=a, stories=s) for n, a, s in sources],
        )

    def backtest(self, query: str, days: int, now: datetime, tz: str = "UTC") -> Backtest:
        """What ``query`` matched per day (in ``tz``) over the last ``days`` days; exact counts."""
        span, day_list = window(now, days, tz)
        zone = ZoneInfo(tz)
        per_day = {d: Tally() for d in day_list}
        total = Tally()
        samples: list[BacktestSample] = []
        for found in self._matching(query, span):
            day = per_day.get(found.dated.astimezone(zone).date())
            if day is not None:
                day.add(found.story)
            if found.story not in total.stories and len(samples) < SAMPLES:
                samples.append(BacktestSample.model_validate(found.doc))
            total.add(found.story)
        return Backtest(
            query=query,
            tz=tz,
            start=span.start,
            end=span.end,
            per_day=[
                BacktestDay(day=d, articles=t.articles, stories=len(t.stories))
                for d, t in per_day.items()
            ],
            articles=total.articles,
            stories=len(total.stories),
            stories_exact=True,
            samples=samples,
        )

    def check_spike(self, subscription: Subscription, now: datetime) -> Alert | None:
        """The spike alert of ``subscription`` at ``now``, as
        :func:`sinks.elasticsearch.spikes.check_spike`."""
        spike = subscription.spike
        if spike is None:
            raise ValueError(f"subscription {subscription.id} is not a spike subscription")
        now = now.astimezone(UTC)
        spans = windows(now, spike)
        earliest = min(w.start for w in spans.values())
        counted = {key: Tally() for key in spans}
        current: list[Stored] = []  # newest first
        for found in self._matching(subscription.query, Window(earliest, now)):
            for key, span in spans.items():
                if span.start <= found.dated < span.end:
                    counted[key].add(found.story)
            if spans["current"].start <= found.dated:
                current.append(found)
        numbers = spike_numbers(
            spike,
            spans["current"],
            stories=len(counted["current"].stories),
            articles=counted["current"].articles,
            baseline=[len(counted[f"d{day}"].stories) for day in range(1, spike.baseline_days + 1)],
        )
        if not fires(numbers):
            return None
        by_story: dict[str, list[Stored]] = {}
        for found in current:
            by_story.setdefault(found.story, []).append(found)
        top = sorted(by_story.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:SAMPLE_STORIES]
        newest = max(current, key=lambda found: found.dated)
        sampled = [from_document(copies[0].doc) for _, copies in top]
        return spike_alert(subscription, now, numbers, from_document(newest.doc), sampled)
