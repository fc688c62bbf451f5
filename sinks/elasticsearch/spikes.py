"""Spike checks on Elasticsearch: a subscription's stories in the last window against the same
window on past days (the rule and the alert are :mod:`sinks.spikes`).

One search request per check: a ``filters`` aggregation with a bucket for the current window
(``current``) and one for the same window at the same time of day on each previous day (``d1``
is 24 h earlier, ``d2`` 48 h, ...), each counting articles (``doc_count``) and stories (the
cardinality of ``story_id``, plus the articles without one: each is a story of its own). The
alert id is the subscription and the window start floored to the window size, so however often
a spike is checked it alerts once per window; the alert index's create-if-absent decides which
check was first.
"""

import functools
from datetime import UTC, datetime
from typing import Any

from elasticsearch import ApiError, ConnectionError, Elasticsearch, TransportError

from contract import Alert, Article, InvalidQuery, Subscription, TransientError
from sinks.documents import from_document
from sinks.elasticsearch.errors import is_transient
from sinks.elasticsearch.subscriptions import es_query
from sinks.spikes import (
    SAMPLE_STORIES,
    SpikeCheck,
    Window,
    fires,
    spike_alert,
    spike_numbers,
    windows,
)

PRECISION_THRESHOLD = 40_000
"""Elasticsearch's maximum: below it the story count is (near) exact, not an HLL estimate."""
_HAS_PUBLISHED = {"exists": {"field": "published"}}
_SOURCE = {"excludes": ["entity_details", "topic_details"]}
NEWEST: dict[str, Any] = {
    # Without scripts (not every cluster has painless): the newest article by ``published``,
    # and the newest of those without one by ``fetched_at``; _newest() takes the later.
    "by_published": {
        "top_hits": {
            "size": 1,
            "sort": [{"published": {"order": "desc", "missing": "_last"}}],
            "_source": _SOURCE,
        }
    },
    "unpublished": {
        "filter": {"bool": {"must_not": _HAS_PUBLISHED}},
        "aggs": {
            "by_fetched": {
                "top_hits": {"size": 1, "sort": [{"fetched_at": "desc"}], "_source": _SOURCE}
            }
        },
    },
}


def window_filter(window: Window) -> dict[str, Any]:
    """Articles dated in ``window``: by ``published``, or by ``fetched_at`` where the feed gave
    no publication date. Indexed fields, no script: each bucket is a range lookup, and clusters
    without painless (the server-only build) run it too."""
    dates = {"gte": window.start.isoformat(), "lt": window.end.isoformat()}
    return {
        "bool": {
            "should": [
                {"range": {"published": dates}},
                {
                    "bool": {
                        "must_not": _HAS_PUBLISHED,
                        "filter": {"range": {"fetched_at": dates}},
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def spike_request(query: str, spans: dict[str, Window]) -> dict[str, Any]:
    """The search body: counts per window, the newest article and the top stories of ``current``."""
    return {
        "size": 0,
        "track_total_hits": False,
        "query": {
            "bool": {
                "must": [es_query(query)],
                "filter": [
                    {
                        "bool": {
                            "should": [window_filter(w) for w in spans.values()],
                            "minimum_should_match": 1,
                        }
                    }
                ],
            }
        },
        "aggs": {
            "windows": {
                "filters": {"filters": {k: window_filter(w) for k, w in spans.items()}},
                "aggs": {
                    "stories": {
                        "cardinality": {
                            "field": "story_id",
                            "precision_threshold": PRECISION_THRESHOLD,
                        }
                    },
                    # an article not clustered into a story is a story of its own
                    "unclustered": {"missing": {"field": "story_id"}},
                },
            },
            "current": {
                "filter": window_filter(spans["current"]),
                "aggs": {
                    **NEWEST,
                    "top_stories": {
                        "terms": {"field": "story_id", "size": SAMPLE_STORIES},
                        "aggs": NEWEST,
                    },
                },
            },
        },
    }


def _reason(exc: ApiError) -> str:
    """Elasticsearch's root cause (``Cannot parse ...``), else the whole error."""
    body = exc.body if isinstance(exc.body, dict) else {}
    causes = body.get("error", {}).get("root_cause", []) if body else []
    return str(causes[0].get("reason", exc)) if causes else str(exc)


def _search(es: Elasticsearch, alias: str, subscription: Subscription, body: dict[str, Any]) -> Any:
    try:
        response = es.search(index=alias, ignore_unavailable=True, **body)
    except ApiError as exc:
        if is_transient(exc):
            raise TransientError(f"spike check of {subscription.id}: {exc}") from exc
        if exc.meta.status == 400:
            raise InvalidQuery(subscription.query, _reason(exc)) from exc
        raise
    except (ConnectionError, TransportError) as exc:
        raise TransientError(f"spike check of {subscription.id}: {exc}") from exc
    if response["_shards"].get("failed"):
        # Counts from some shards only would invent or hide a spike: try again later.
        raise TransientError(
            f"spike check of {subscription.id}: shard failures {response['_shards']}"
        )
    return response


def check_spike(
    es: Elasticsearch, alias: str, subscription: Subscription, now: datetime
) -> Alert | None:
    """The spike alert for ``subscription`` at ``now``, or None when it does not fire.

    An article's date is ``published``, or ``fetched_at`` where it has none. A missing ``alias``
    (no article indexed yet) counts as no articles.

    Args:
        es: client of the article cluster.
        alias: the article index alias.
        subscription: a ``kind: spike`` subscription.
        now: the end of the current window (timezone-aware).

    Raises:
        ValueError: the subscription has no spike settings.
        TransientError: the cluster is unreachable, overloaded, or some shards failed.
        InvalidQuery: Elasticsearch refused the query (400).
    """
    spike = subscription.spike
    if spike is None:
        raise ValueError(f"subscription {subscription.id} is not a spike subscription")
    now = now.astimezone(UTC)
    spans = windows(now, spike)
    response = _search(es, alias, subscription, spike_request(subscription.query, spans))
    aggs = response.get("aggregations")
    if aggs is None:  # no index behind the alias yet
        return None
    buckets = aggs["windows"]["buckets"]
    stories = {
        key: int(b["stories"]["value"]) + int(b["unclustered"]["doc_count"])
        for key, b in buckets.items()
    }
    numbers = spike_numbers(
        spike,
        spans["current"],
        stories=stories["current"],
        articles=int(buckets["current"]["doc_count"]),
        baseline=[stories[f"d{day}"] for day in range(1, spike.baseline_days + 1)],
    )
    if not fires(numbers):
        return None
    current = aggs["current"]
    sampled = [a for b in current["top_stories"]["buckets"] if (a := _newest(b)) is not None]
    return spike_alert(subscription, now, numbers, _newest(current), sampled)


def _newest(bucket: dict[str, Any]) -> Article | None:
    """The newest article of a bucket holding the NEWEST aggregations."""
    found = [
        from_document(hits[0]["_source"])
        for agg in (bucket["by_published"], bucket["unpublished"]["by_fetched"])
        if (hits := agg["hits"]["hits"])
    ]
    return max(found, key=lambda a: a.published or a.fetched_at, default=None)


def es_spike_check(es: Elasticsearch, alias: str) -> SpikeCheck:
    """:func:`check_spike` on the article alias of ``es``."""
    return functools.partial(check_spike, es, alias)
