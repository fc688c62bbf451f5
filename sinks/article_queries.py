"""What people ask of the stored articles, answered the same way by Elasticsearch and by the
embedded SQLite store: search with the subscription query syntax, counts per topic and source,
and backtests of a subscription query."""

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, Field

from contract import Article, TopicMatch
from sinks.backtest import Backtest, BacktestSample

SNIPPET = 240


class SearchHit(BacktestSample):
    """One matching article, as a result list shows it: a backtest sample, and what it is
    about."""

    topics: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    snippet: str = ""
    flags: list[str] = Field(default_factory=list)
    text_source: str = "feed"
    canonical_url: str | None = None
    topic_matches: list[TopicMatch] = Field(
        default_factory=list, description="each topic with its score and evidence sentences"
    )

    @classmethod
    def of(cls, article: Article) -> "SearchHit":
        """The hit for a stored article."""
        entities = sorted(article.entities, key=lambda e: (-e.count, e.first_offset))
        return cls(
            id=article.id,
            title=article.title,
            url=article.url,
            source=article.source,
            published=article.published,
            fetched_at=article.fetched_at,
            story_id=article.story_id,
            topics=[t.topic for t in article.topics],
            entities=[e.name for e in entities[:8]],
            snippet=" ".join((article.summary or article.text).split())[:SNIPPET],
            flags=list(article.flags),
            text_source=article.text_source,
            canonical_url=article.canonical_url,
            topic_matches=list(article.topics),
        )


class SearchResult(BaseModel):
    """The newest matching articles first (by ``published``, else ``fetched_at``)."""

    query: str
    since: datetime | None = None
    total: int = Field(description="matching articles in the period (all, not only listed)")
    hits: list[SearchHit]


class CountRow(BaseModel):
    """Articles and distinct stories for one topic or source."""

    name: str
    articles: int
    stories: int


FULLTEXT_FLAG_PREFIX = "fulltext-"
"""Flags of the full-text stage: ``fulltext-failed:<why>`` and ``fulltext-robots``."""


class PageCounts(BaseModel):
    """Article pages behind the stored articles: text from the page, a page that failed
    (flagged), or no page fetched (the feed's own text was enough, or fulltext is off)."""

    fetched: int = 0
    failed: int = 0
    skipped: int = 0
    failures: dict[str, int] = Field(default_factory=dict, description="articles per flag")


class Stats(BaseModel):
    """What was stored in [since, until): totals, per topic, per source (most articles first),
    and what became of the articles' pages."""

    since: datetime
    until: datetime
    articles: int
    stories: int
    topics: list[CountRow]
    sources: list[CountRow]
    pages: PageCounts = Field(default_factory=PageCounts)

    def public(self) -> dict[str, Any]:
        """JSON-safe data for ``--json``."""
        return self.model_dump(mode="json")


class ArticleQueries(Protocol):
    """Read side of an article store."""

    def search(self, query: str, since: datetime | None = None, limit: int = 20) -> SearchResult:
        """Articles matching ``query`` (subscription syntax), newest first.

        Raises:
            InvalidQuery: the query cannot be parsed.
            TransientError: the store is unreachable.
        """

    def stats(self, since: datetime, until: datetime, top: int = 20) -> Stats:
        """Counts per topic and source for articles dated in [since, until)."""

    def backtest(self, query: str, days: int, now: datetime, tz: str = "UTC") -> Backtest:
        """What ``query`` matched per day over the last ``days`` days."""

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored (a replay skips them).

        Raises:
            TransientError: the store is unreachable.
        """

    def export(
        self, since: datetime | None, until: datetime | None, query: str | None = None
    ) -> Iterator[Article]:
        """Stored articles dated (published, else fetched) in [since, until), matching
        ``query`` if given, oldest first, streamed a page at a time.

        Raises:
            InvalidQuery: the query cannot be parsed.
            TransientError: the store is unreachable.
        """
