"""Search, stats and backtests on the Elasticsearch article alias (:class:`ArticleQueries`).

Searches use the subscription query (:func:`sinks.elasticsearch.subscriptions.es_query`), so a
query means the same in ``newsmon search``, a backtest and the percolator. Dates are ``published``,
or ``fetched_at`` where the feed gave none (:func:`sinks.elasticsearch.spikes.window_filter`).
"""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError

from contract import Article, InvalidQuery
from sinks.article_queries import (
    FULLTEXT_FLAG_PREFIX,
    CountRow,
    PageCounts,
    SearchHit,
    SearchResult,
    Stats,
)
from sinks.backtest import PRECISION_THRESHOLD, Backtest
from sinks.documents import from_document
from sinks.elasticsearch.backtest import backtest, refusal_message
from sinks.elasticsearch.errors import is_transient, transient_errors
from sinks.elasticsearch.spikes import window_filter
from sinks.elasticsearch.subscriptions import es_query
from sinks.spikes import Window

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
EXPORT_PAGE = 1000
FAR_PAST = datetime(1, 1, 1, tzinfo=UTC)
OLDEST_FIRST = [
    {"dated": {"order": "asc", "missing": "_last", "unmapped_type": "date"}},
    {"id": {"order": "asc"}},
]
"""By ``dated`` (published, else fetched: as the SQLite store and the date filters)."""
NEWEST_FIRST = [
    {"published": {"order": "desc", "missing": "_last"}},
    {"fetched_at": {"order": "desc"}},
    {"id": {"order": "asc"}},
]


def _stories() -> dict[str, Any]:
    return {
        "stories": {
            "cardinality": {"field": "story_id", "precision_threshold": PRECISION_THRESHOLD}
        },
        "unclustered": {"missing": {"field": "story_id"}},
    }


def _rows(buckets: list[dict[str, Any]]) -> list[CountRow]:
    return [
        CountRow(
            name=str(b["key"]),
            articles=int(b["doc_count"]),
            stories=int(b["stories"]["value"]) + int(b["unclustered"]["doc_count"]),
        )
        for b in buckets
    ]


class ElasticsearchQueries:
    """:class:`sinks.article_queries.ArticleQueries` on ``alias``."""

    def __init__(self, es: Elasticsearch, alias: str) -> None:
        self.es = es
        self.alias = alias

    def _search(self, query_string: str, **body: Any) -> Any:
        try:
            with transient_errors(f"searching {self.alias}"):
                return self.es.search(index=self.alias, ignore_unavailable=True, **body)
        except ApiError as exc:
            if not is_transient(exc) and exc.meta.status == 400:
                raise InvalidQuery(query_string, refusal_message(exc.body, str(exc))) from exc
            raise

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored (``mget`` without sources, through the alias)."""
        found: set[str] = set()
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            try:
                with transient_errors(f"reading {self.alias}"):
                    response = self.es.mget(index=self.alias, ids=chunk, source=False)
            except NotFoundError:  # no index yet: nothing is stored
                return found
            found.update(str(d["_id"]) for d in response["docs"] if d.get("found"))
        return found

    def export(
        self, since: datetime | None, until: datetime | None, query: str | None = None
    ) -> Iterator[Article]:
        """Articles dated in [since, until) (matching ``query``), oldest first, a page at a
        time (``search_after`` on dated, id)."""
        window = Window(since or FAR_PAST, until or FAR_FUTURE)
        must = [es_query(query)] if query else [{"match_all": {}}]
        after: list[Any] | None = None
        while True:
            page: dict[str, Any] = {"search_after": after} if after else {}
            response = self._search(
                query or "*",
                query={"bool": {"must": must, "filter": [window_filter(window)]}},
                sort=OLDEST_FIRST,
                size=EXPORT_PAGE,
                **page,
            )
            hits = response["hits"]["hits"]
            for hit in hits:
                yield from_document(hit["_source"])
            if len(hits) < EXPORT_PAGE:
                return
            after = hits[-1]["sort"]

    def search(self, query: str, since: datetime | None = None, limit: int = 20) -> SearchResult:
        """Newest matching articles first."""
        filters = [window_filter(Window(since, FAR_FUTURE))] if since else []
        response = self._search(
            query,
            query={"bool": {"must": [es_query(query)], "filter": filters}},
            sort=NEWEST_FIRST,
            size=limit,
            track_total_hits=True,
        )
        hits = response["hits"]
        return SearchResult(
            query=query,
            since=since,
            total=int(hits["total"]["value"]),
            hits=[SearchHit.of(from_document(h["_source"])) for h in hits["hits"]],
        )

    def stats(self, since: datetime, until: datetime, top: int = 20) -> Stats:
        """Terms aggregations on topics and source, each with its story count."""
        response = self._search(
            "*",
            query={"bool": {"filter": [window_filter(Window(since, until))]}},
            size=0,
            track_total_hits=True,
            aggs={
                **_stories(),
                "topics": {"terms": {"field": "topics", "size": top}, "aggs": _stories()},
                "sources": {"terms": {"field": "source", "size": top}, "aggs": _stories()},
                "page_text": {"filter": {"term": {"text_source": "page"}}},
                "page_failed": {"filter": {"prefix": {"flags": FULLTEXT_FLAG_PREFIX}}},
                "page_failures": {
                    "terms": {
                        "field": "flags",
                        "include": FULLTEXT_FLAG_PREFIX + ".*",
                        "size": 50,
                    }
                },
            },
        )
        aggs = response.get("aggregations")
        if aggs is None:  # no index behind the alias yet
            return Stats(since=since, until=until, articles=0, stories=0, topics=[], sources=[])
        articles = int(response["hits"]["total"]["value"])
        fetched = int(aggs["page_text"]["doc_count"])
        failed = int(aggs["page_failed"]["doc_count"])
        pages = PageCounts(
            fetched=fetched,
            failed=failed,
            skipped=articles - fetched - failed,
            failures={b["key"]: int(b["doc_count"]) for b in aggs["page_failures"]["buckets"]},
        )
        return Stats(
            pages=pages,
            since=since,
            until=until,
            articles=articles,
            stories=int(aggs["stories"]["value"]) + int(aggs["unclustered"]["doc_count"]),
            topics=_rows(aggs["topics"]["buckets"]),
            sources=_rows(aggs["sources"]["buckets"]),
        )

    def backtest(self, query: str, days: int, now: datetime, tz: str = "UTC") -> Backtest:
        """:func:`sinks.elasticsearch.backtest.backtest` on the alias."""
        return backtest(self.es, self.alias, query, days, now, tz)
