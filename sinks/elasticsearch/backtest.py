"""Backtest on Elasticsearch (the result and its window are :mod:`sinks.backtest`).

One search request over the article alias answers it: per day, the matching articles
(``doc_count``) and stories (what a per-story subscription would have alerted on), the totals,
and a few sample headlines.

Dates. An article's date is ``published``, or ``fetched_at`` where the feed gave none. The window
filter is a bool/should of two range queries on indexed fields (the same filter as spike
windows, :func:`sinks.elasticsearch.spikes.window_filter`) rather than a runtime field, because the
article cluster may have no scripting module (the server-only build has no Painless) and a range
query on an indexed date is a cheap BKD lookup. For the same reason the days are two script-free
``date_histogram`` aggregations merged here: one on ``published`` and one on ``fetched_at`` under
a ``missing: published`` bucket. The price: a story with both a dated and an undated copy on the
same day counts once in each part, so twice in that day's row (the totals are counted once).

Stories. An article's story is its ``story_id``, or the article itself when it was not clustered
(the alert key of :func:`sinks.alerts.build_key`). Script-free again: the
``cardinality`` of ``story_id`` plus the number of articles that have none. Cardinality is
HyperLogLog++: exact up to its ``precision_threshold`` (barring 64-bit hash collisions), approximate
beyond; the default threshold is 3000, we ask for Elasticsearch's maximum, 40,000, and say when a
count exceeds it.
"""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from elasticsearch import ApiError, ConnectionError, Elasticsearch, TransportError

from contract import InvalidQuery, TransientError
from sinks.backtest import (
    PRECISION_THRESHOLD,
    SAMPLES,
    Backtest,
    BacktestDay,
    BacktestSample,
    window,
)
from sinks.elasticsearch.errors import is_transient
from sinks.elasticsearch.spikes import window_filter
from sinks.elasticsearch.subscriptions import es_query, parser_message
from sinks.spikes import Window

_SAMPLE_POOL = 50  # newest hits looked at to find SAMPLES distinct stories
_DAY = "yyyy-MM-dd"
_SAMPLE_FIELDS = ["id", "title", "url", "source", "published", "fetched_at", "story_id"]


def _per_day(field: str, tz: str, bounds: dict[str, str] | None) -> dict[str, Any]:
    histogram: dict[str, Any] = {
        "field": field,
        "calendar_interval": "day",
        "time_zone": tz,
        "format": _DAY,
        "min_doc_count": 0,
    }
    if bounds is not None:
        histogram["extended_bounds"] = bounds
    return {"date_histogram": histogram, "aggs": _story_aggs()}


def _story_aggs() -> dict[str, Any]:
    return {
        "stories": {
            "cardinality": {"field": "story_id", "precision_threshold": PRECISION_THRESHOLD}
        },
        "unclustered": {"missing": {"field": "story_id"}},
    }


def backtest_request(query: str, span: Window, days: list[date], tz: str) -> dict[str, Any]:
    """The search body (see the module docstring for the choices)."""
    bounds = {"min": days[0].isoformat(), "max": days[-1].isoformat()}
    return {
        "size": _SAMPLE_POOL,
        "track_total_hits": True,
        "query": {"bool": {"must": [es_query(query)], "filter": [window_filter(span)]}},
        "sort": [
            {"published": {"order": "desc", "missing": "_last"}},
            {"fetched_at": {"order": "desc"}},
        ],
        "_source": _SAMPLE_FIELDS,
        "aggs": {
            **_story_aggs(),
            "dated": _per_day("published", tz, bounds),
            "undated": {
                "missing": {"field": "published"},
                "aggs": {"days": _per_day("fetched_at", tz, None)},
            },
        },
    }


def _stories(bucket: dict[str, Any]) -> int:
    return int(bucket["stories"]["value"]) + int(bucket["unclustered"]["doc_count"])


def _buckets(aggs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from aggs.get("dated", {}).get("buckets", [])
    yield from aggs.get("undated", {}).get("days", {}).get("buckets", [])


def _samples(hits: list[dict[str, Any]]) -> list[BacktestSample]:
    seen: set[str] = set()
    samples: list[BacktestSample] = []
    for hit in hits:
        sample = BacktestSample.model_validate(hit["_source"])
        story = sample.story_id or sample.id
        if story not in seen and len(samples) < SAMPLES:
            seen.add(story)
            samples.append(sample)
    return samples


def parse_backtest(
    response: dict[str, Any], query: str, span: Window, days: list[date], tz: str
) -> Backtest:
    """The Backtest from the search response (an alias with no index yet gives zeros)."""
    aggs: dict[str, Any] = response.get("aggregations", {})
    counts = {d.isoformat(): [0, 0] for d in days}
    for bucket in _buckets(aggs):
        if bucket["key_as_string"] in counts:
            row = counts[bucket["key_as_string"]]
            row[0] += int(bucket["doc_count"])
            row[1] += _stories(bucket)
    stories = _stories(aggs) if aggs else 0
    return Backtest(
        query=query,
        tz=tz,
        start=span.start,
        end=span.end,
        per_day=[
            BacktestDay(day=d, articles=a, stories=s)
            for d, (a, s) in zip(days, counts.values(), strict=True)
        ],
        articles=int(response["hits"]["total"]["value"]),
        stories=stories,
        stories_exact=aggs.get("stories", {}).get("value", 0) <= PRECISION_THRESHOLD,
        samples=_samples(response["hits"]["hits"]),
    )


def _reasons(error: Any) -> Iterator[str]:
    """Every ``reason`` in an Elasticsearch error body, outermost first."""
    if isinstance(error, dict):
        if isinstance(error.get("reason"), str):
            yield error["reason"]
        for value in error.values():
            yield from _reasons(value)
    elif isinstance(error, list):
        for item in error:
            yield from _reasons(item)


def refusal_message(body: Any, fallback: str) -> str:
    """Lucene's ``Cannot parse ...`` message from a 400, else the innermost reason given."""
    reasons = list(_reasons(body))
    parse = next((r for r in reasons if "Cannot parse" in r), None)
    if parse is not None:
        return parser_message(parse)
    return reasons[-1] if reasons else fallback


def backtest(
    es: Elasticsearch, alias: str, query: str, days: int, now: datetime, tz: str = "UTC"
) -> Backtest:
    """Run ``query`` (as :func:`sinks.elasticsearch.subscriptions.es_query`) over the last
    ``days`` days.

    Args:
        es: client of the article cluster.
        alias: the article index alias.
        query: the subscription query (Lucene query-string syntax).
        days: calendar days, today included (1-366).
        now: the end of the window (timezone-aware).
        tz: IANA time zone the days are counted in.

    Raises:
        InvalidQuery: Elasticsearch refused the query (400), with the parser's message.
        TransientError: the cluster is unreachable or overloaded (429, 5xx).
        ValueError: ``days`` out of range, or an unknown time zone.
    """
    span, day_list = window(now, days, tz)
    try:
        response = es.search(
            index=alias, ignore_unavailable=True, body=backtest_request(query, span, day_list, tz)
        )
    except ApiError as exc:
        if is_transient(exc):
            raise TransientError(f"backtest on {alias}: {exc}") from exc
        if exc.meta.status == 400:
            raise InvalidQuery(query, refusal_message(exc.body, str(exc))) from exc
        raise
    except (ConnectionError, TransportError) as exc:
        raise TransientError(f"backtest on {alias}: {exc}") from exc
    return parse_backtest(dict(response), query, span, day_list, tz)
