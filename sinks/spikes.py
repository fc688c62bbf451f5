"""Spike alerts: a subscription's stories in the last window against the same window on past days.

One search request per check: a ``filters`` aggregation with a bucket for the current window
(``current``) and one for the same window at the same time of day on each previous day (``d1``
is 24 h earlier, ``d2`` 48 h, ...), each counting articles (``doc_count``) and stories (the
cardinality of ``story_id``, plus the articles without one: each is a story of its own). The
alert id is the subscription and the window start floored to the window size, so however often
a spike is checked it alerts once per window; the alert index's create-if-absent decides which
check was first.
"""

import functools
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from elasticsearch import ApiError, ConnectionError, Elasticsearch, TransportError

from contract import Alert, Article, InvalidQuery, Spike, SpikeNumbers, Subscription, TransientError
from contract import alert_id as make_alert_id
from sinks.elasticsearch.alerts import alert_article
from sinks.elasticsearch.errors import is_transient, transient_errors
from sinks.elasticsearch.mapping import from_document
from sinks.elasticsearch.subscriptions import es_query

log = logging.getLogger(__name__)

PRECISION_THRESHOLD = 40_000
"""Elasticsearch's maximum: below it the story count is (near) exact, not an HLL estimate."""
SAMPLE_STORIES = 5
"""Stories of the window named in the alert (the ones with the most articles)."""

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


@dataclass(frozen=True)
class Window:
    """A half-open time range [start, end)."""

    start: datetime
    end: datetime


def floor_window(now: datetime, minutes: int) -> datetime:
    """``now`` floored to a multiple of ``minutes`` since the Unix epoch (UTC).

    The alert key of a spike: every check within one such slot names the same alert.
    """
    size = minutes * 60
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % size, UTC)


def windows(now: datetime, spike: Spike) -> dict[str, Window]:
    """``current`` = [now - window, now), and ``d1``..``dN`` the same range 1..N days earlier.

    Days are 24 h in UTC, so across a daylight-saving change the baseline is an hour off in
    local time.
    """
    length = timedelta(minutes=spike.window_minutes)
    out = {"current": Window(now - length, now)}
    for day in range(1, spike.baseline_days + 1):
        back = timedelta(days=day)
        out[f"d{day}"] = Window(now - length - back, now - back)
    return out


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


def spike_numbers(
    spike: Spike, window: Window, stories: int, articles: int, baseline: Sequence[int]
) -> SpikeNumbers:
    """The numbers of one check; the factor is infinite when the baseline is all zeros."""
    mean = sum(baseline) / len(baseline) if baseline else 0.0
    return SpikeNumbers(
        window_start=window.start,
        window_end=window.end,
        stories=stories,
        articles=articles,
        baseline=list(baseline),
        baseline_mean=mean,
        factor=stories / mean if mean else math.inf,
        threshold_factor=spike.factor,
        min_count=spike.min_count,
    )


def fires(numbers: SpikeNumbers) -> bool:
    """At least ``min_count`` stories, and at least ``threshold_factor`` x the baseline mean.

    Compared as ``stories * days >= factor * sum(baseline)`` so a ratio landing exactly on the
    threshold is not lost to float rounding.
    """
    if numbers.stories < numbers.min_count:
        return False
    days = len(numbers.baseline)
    return numbers.stories * days >= numbers.threshold_factor * sum(numbers.baseline)


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


def spike_alert(
    subscription: Subscription,
    now: datetime,
    numbers: SpikeNumbers,
    newest: Article | None,
    sampled: Sequence[Article],
) -> Alert:
    """The alert of a spike that fired: once per window (its id is keyed by the window slot).

    Args:
        newest: the window's newest article.
        sampled: the newest article of each of the window's biggest stories.
    """
    spike = subscription.spike
    assert spike is not None
    key = f"spike:{floor_window(now.astimezone(UTC), spike.window_minutes).isoformat()}"
    return Alert(
        alert_id=make_alert_id(subscription.id, key),
        kind="spike",
        subscription_id=subscription.id,
        subscription_name=subscription.name,
        owner=subscription.owner,
        query=subscription.query,
        story_id=None,
        article=alert_article(newest) if newest else None,
        latest=alert_article(newest) if newest else None,
        article_ids=[a.id for a in sampled],
        sources=sorted({a.source for a in sampled}),
        spike=numbers,
        created_at=now,
        updated_at=now,
    )


def _newest(bucket: dict[str, Any]) -> Article | None:
    """The newest article of a bucket holding the NEWEST aggregations."""
    found = [
        from_document(hits[0]["_source"])
        for agg in (bucket["by_published"], bucket["unpublished"]["by_fetched"])
        if (hits := agg["hits"]["hits"])
    ]
    return max(found, key=lambda a: a.published or a.fetched_at, default=None)


SpikeCheck = Callable[[Subscription, datetime], Alert | None]
"""Checks one spike subscription at a time (:func:`check_spike` on a cluster)."""


def es_spike_check(es: Elasticsearch, alias: str) -> SpikeCheck:
    """:func:`check_spike` on the article alias of ``es``."""
    return functools.partial(check_spike, es, alias)


class SubscriptionList(Protocol):
    """The part of a subscription store the watcher reads."""

    def list(self, owner: str | None = None, kind: str | None = None) -> list[Subscription]:
        """Subscriptions of ``kind``."""


class AlertLookup(Protocol):
    """The part of an alert store the watcher uses."""

    def get(self, aid: str) -> Alert | None:
        """One alert by id."""

    def create(self, alert: Alert) -> bool:
        """Store an alert unless its id exists."""


class SpikeWatcher:
    """Checks every enabled spike subscription and keeps the alerts that are new.

    Args:
        subscriptions: where the subscriptions are stored.
        alerts: the alert store; a spike alert is created there once (create-if-absent).
        check_one: counts one subscription's window and baseline (:func:`es_spike_check`, or
            the embedded store's).
    """

    def __init__(
        self, subscriptions: SubscriptionList, alerts: AlertLookup, check_one: SpikeCheck
    ) -> None:
        self.subscriptions = subscriptions
        self.alerts = alerts
        self.check_one = check_one

    def check(self, now: datetime) -> list[Alert]:
        """The spike alerts that fired at ``now`` and were not alerted in this window before.

        Publish them, then :meth:`confirm` them: an alert is recorded only once it is on the
        topic, so a crash in between means it fires again (same id: the notifier drops the
        repeat), never that it is lost.

        One failing subscription does not hold up the others: an invalid query is logged and
        skipped; a transient failure is logged and that subscription is checked next time.
        Only when something failed transiently and nothing new fired is the TransientError
        raised, so the caller backs off without dropping an alert already stored.

        Raises:
            TransientError: a subscription could not be checked, and no alert is new.
        """
        fresh: list[Alert] = []
        failed: list[TransientError] = []
        with transient_errors("listing spike subscriptions"):
            subscriptions = self.subscriptions.list(kind="spike")
        for subscription in subscriptions:
            if not subscription.enabled:
                continue
            try:
                alert = self.check_one(subscription, now)
                if alert is not None and self.alerts.get(alert.alert_id) is None:
                    fresh.append(alert)
            except InvalidQuery as exc:
                log.warning("spike subscription %s skipped: %s", subscription.id, exc)
            except TransientError as exc:
                log.warning("spike subscription %s not checked: %s", subscription.id, exc)
                failed.append(exc)
        if failed and not fresh:
            raise failed[0]
        return fresh

    def confirm(self, alerts: list[Alert]) -> None:
        """Record published spike alerts, so later checks in the same window stay quiet."""
        for alert in alerts:
            self.alerts.create(alert)
