"""What the page shows of the stored articles: the newest, their top entities, and articles
per topic per day. Read through :class:`sinks.article_queries.ArticleQueries`, so both modes
(SQLite and Elasticsearch) answer with the same code."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from newsmon.web.chart import Chart, volume_chart
from sinks.article_queries import ArticleQueries, SearchHit, SearchResult

LATEST = 10
ENTITY_SAMPLE = 200
"""Top entities are counted over this many of the newest articles (the stores aggregate no
entities): each article counts once per entity among its eight most mentioned."""
TOP_ENTITIES = 15
CHART_DAYS = 14


@dataclass(frozen=True)
class Latest:
    """The newest articles, and the entities most of the newest ``sampled`` mention."""

    total: int
    hits: list[SearchHit]
    entities: list[tuple[str, int]]
    sampled: int


def latest(articles: ArticleQueries) -> Latest:
    """The newest articles and their top entities (one search)."""
    result: SearchResult = articles.search("*", None, ENTITY_SAMPLE)
    counts = Counter(name for hit in result.hits for name in set(hit.entities))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ENTITIES]
    return Latest(result.total, result.hits[:LATEST], top, len(result.hits))


def topic_volume(articles: ArticleQueries, now: datetime, days: int = CHART_DAYS) -> Chart:
    """Articles per topic for each UTC day of the last ``days`` days (today so far included)."""
    today = now.astimezone(UTC).date()
    day_list: list[date] = [today - timedelta(days=days - 1 - i) for i in range(days)]
    series: dict[str, list[int]] = {}
    for i, day in enumerate(day_list):
        start = datetime.combine(day, time(0), tzinfo=UTC)
        stats = articles.stats(start, start + timedelta(days=1), top=50)
        for row in stats.topics:
            series.setdefault(row.name, [0] * days)[i] = row.articles
    return volume_chart(day_list, series)
