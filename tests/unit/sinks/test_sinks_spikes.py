"""Spike checks: window arithmetic, the decision rule, and how responses and errors are read.

A tiny stand-in for the client's ``search`` covers the error routes and the response shape;
tests/integration/test_integration_spikes.py runs the real request against Elasticsearch.
"""

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from elasticsearch import ConnectionError as ESConnectionError
from es_responses import api_error

from contract import InvalidQuery, KafkaChannel, Spike, Subscription, TransientError, alert_id
from sinks.documents import to_document
from sinks.elasticsearch.spikes import (
    PRECISION_THRESHOLD,
    check_spike,
    es_spike_check,
    spike_request,
)
from sinks.spikes import SpikeWatcher, Window, fires, floor_window, spike_numbers, windows

NOW = datetime(2025, 3, 10, 12, 20, 30, tzinfo=UTC)
SPIKE = Spike(window_minutes=60, baseline_days=3, factor=3.0, min_count=5)


def _subscription(spike: Spike = SPIKE) -> Subscription:
    return Subscription(
        id="ceasefire-spike",
        name="Ceasefire spike",
        owner="desk",
        query="topics:ceasefire",
        kind="spike",
        spike=spike,
        channels=[KafkaChannel(topic="alerts")],
    )


def _numbers(stories: int, baseline: list[int], spike: Spike = SPIKE) -> Any:
    window = Window(NOW - timedelta(hours=1), NOW)
    return spike_numbers(spike, window, stories=stories, articles=stories, baseline=baseline)


# --- windows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (60, datetime(2025, 3, 10, 12, 0, tzinfo=UTC)),
        (15, datetime(2025, 3, 10, 12, 15, tzinfo=UTC)),
        (5, datetime(2025, 3, 10, 12, 20, tzinfo=UTC)),
        (24 * 60, datetime(2025, 3, 10, 0, 0, tzinfo=UTC)),
    ],
)
def test_floor_window(minutes: int, expected: datetime) -> None:
    assert floor_window(NOW, minutes) == expected


def test_floor_window_is_the_same_for_every_check_in_one_window() -> None:
    slot = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    checks = [slot + timedelta(seconds=s) for s in (0, 1, 1799, 3599)]
    assert {floor_window(c, 60) for c in checks} == {slot}
    assert floor_window(slot + timedelta(hours=1), 60) == slot + timedelta(hours=1)


def test_floor_window_of_another_time_zone_is_the_same_instant() -> None:
    kolkata = NOW.astimezone(ZoneInfo("Asia/Kolkata"))  # UTC+05:30: local hours differ
    assert floor_window(kolkata, 60) == floor_window(NOW, 60)


def test_windows_are_the_current_hour_and_the_same_hour_on_previous_days() -> None:
    spans = windows(NOW, SPIKE)
    assert list(spans) == ["current", "d1", "d2", "d3"]
    assert spans["current"] == Window(NOW - timedelta(hours=1), NOW)
    assert spans["d2"] == Window(NOW - timedelta(days=2, hours=1), NOW - timedelta(days=2))


# --- the decision rule ---------------------------------------------------------------------


def test_baseline_mean_and_factor() -> None:
    numbers = _numbers(9, [1, 2, 3])
    assert numbers.baseline_mean == 2.0
    assert numbers.factor == 4.5
    assert fires(numbers)


def test_zero_baseline_gives_an_infinite_factor_and_fires_on_min_count() -> None:
    numbers = _numbers(5, [0, 0, 0])
    assert numbers.baseline_mean == 0.0
    assert math.isinf(numbers.factor)
    assert fires(numbers)
    assert not fires(_numbers(4, [0, 0, 0]))


def test_zeros_in_the_baseline_count_in_the_mean() -> None:
    numbers = _numbers(6, [0, 0, 6])
    assert numbers.baseline_mean == 2.0
    assert fires(numbers)  # 6 >= 3 x 2
    assert not fires(_numbers(5, [0, 0, 6]))


def test_below_min_count_never_fires() -> None:
    assert not fires(_numbers(4, [0, 0, 1]))


def test_exactly_at_the_factor_fires_despite_float_rounding() -> None:
    # mean 10/3 is not exact in binary; 10 stories is exactly 3 x the mean.
    assert fires(_numbers(10, [3, 3, 4]))
    assert not fires(_numbers(9, [3, 3, 4]))


# --- the request ---------------------------------------------------------------------------


def test_one_request_with_a_filters_bucket_per_window() -> None:
    body = spike_request("topics:ceasefire", windows(NOW, SPIKE))
    windows_agg = body["aggs"]["windows"]
    assert list(windows_agg["filters"]["filters"]) == ["current", "d1", "d2", "d3"]
    stories = windows_agg["aggs"]["stories"]["cardinality"]
    assert stories == {"field": "story_id", "precision_threshold": PRECISION_THRESHOLD}
    assert body["query"]["bool"]["must"][0]["query_string"]["query"] == "topics:ceasefire"


def test_window_filter_uses_published_else_fetched_at() -> None:
    body = spike_request("x", windows(NOW, SPIKE))
    current = body["aggs"]["windows"]["filters"]["filters"]["current"]["bool"]["should"]
    dates = {"gte": (NOW - timedelta(hours=1)).isoformat(), "lt": NOW.isoformat()}
    assert current[0] == {"range": {"published": dates}}
    assert current[1]["bool"]["must_not"] == {"exists": {"field": "published"}}
    assert current[1]["bool"]["filter"] == {"range": {"fetched_at": dates}}


# --- reading the response, and errors ------------------------------------------------------


def _bucket(stories: int, unclustered: int = 0, docs: int = 0) -> dict[str, Any]:
    return {
        "doc_count": docs,
        "stories": {"value": stories},
        "unclustered": {"doc_count": unclustered},
    }


def _hits(*docs: dict[str, Any]) -> dict[str, Any]:
    return {"hits": {"hits": [{"_source": d} for d in docs]}}


def _newest(published: dict[str, Any] | None, unpublished: dict[str, Any] | None) -> Any:
    return {
        "by_published": _hits(*([published] if published else [])),
        "unpublished": {"by_fetched": _hits(*([unpublished] if unpublished else []))},
    }


class FakeSearch:
    """Answers ``search`` with a canned response, or raises."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def search(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _response(make_article: Any, current: dict[str, Any], baseline: list[int]) -> dict[str, Any]:
    older = make_article(
        url="https://example.com/older", published=NOW - timedelta(minutes=30), story_id="s1"
    )
    newer = make_article(
        url="https://example.com/newer",
        published=None,
        fetched_at=NOW - timedelta(minutes=2),
        story_id="s2",
        source="Wire",
    )
    a, b = to_document(older, ""), to_document(newer, "")
    buckets = {"current": current} | {f"d{i}": _bucket(n) for i, n in enumerate(baseline, start=1)}
    return {
        "_shards": {"total": 1, "successful": 1, "failed": 0},
        "aggregations": {
            "windows": {"buckets": buckets},
            "current": {
                **_newest(a, b),
                "top_stories": {
                    "buckets": [
                        {"key": "s1", "doc_count": 3, **_newest(a, None)},
                        {"key": "s2", "doc_count": 1, **_newest(None, b)},
                    ]
                },
            },
        },
    }


def test_alert_from_a_response(make_article: Any) -> None:
    client = FakeSearch(_response(make_article, _bucket(5, unclustered=1, docs=9), [1, 2, 0]))
    alert = check_spike(client, "news", _subscription(), NOW)  # type: ignore[arg-type]
    assert alert is not None
    assert alert.kind == "spike"
    assert alert.story_id is None
    assert alert.alert_id == alert_id(
        "ceasefire-spike", f"spike:{datetime(2025, 3, 10, 12, 0, tzinfo=UTC).isoformat()}"
    )
    assert alert.spike is not None
    assert (alert.spike.stories, alert.spike.articles) == (6, 9)  # 5 stories + 1 unclustered
    assert alert.spike.baseline == [1, 2, 0]
    assert alert.spike.factor == 6.0
    assert alert.spike.window_start == NOW - timedelta(hours=1)
    assert alert.article is not None and alert.article.url == "https://example.com/newer"
    assert len(alert.article_ids) == 2
    assert alert.sources == ["Example News", "Wire"]
    assert (alert.subscription_name, alert.owner, alert.query) == (
        "Ceasefire spike",
        "desk",
        "topics:ceasefire",
    )
    assert client.calls[0]["index"] == "news"


def test_no_alert_below_the_factor(make_article: Any) -> None:
    client = FakeSearch(_response(make_article, _bucket(5, docs=5), [2, 2, 2]))
    assert check_spike(client, "news", _subscription(), NOW) is None  # type: ignore[arg-type]


def test_missing_alias_is_no_articles() -> None:
    client = FakeSearch({"_shards": {"total": 0, "successful": 0, "failed": 0}, "hits": {}})
    assert check_spike(client, "news", _subscription(), NOW) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "error",
    [api_error(429), api_error(503), ESConnectionError("refused")],
    ids=["429", "503", "connection"],
)
def test_transient_errors(error: Exception) -> None:
    with pytest.raises(TransientError):
        check_spike(FakeSearch(error), "news", _subscription(), NOW)  # type: ignore[arg-type]


def test_bad_request_is_an_invalid_query_with_the_root_cause() -> None:
    body = {"error": {"root_cause": [{"reason": "Cannot parse 'topics:(': EOF"}]}}
    with pytest.raises(InvalidQuery) as caught:
        check_spike(FakeSearch(api_error(400, body)), "news", _subscription(), NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "Cannot parse 'topics:(': EOF"


def test_shard_failures_are_transient(make_article: Any) -> None:
    response = _response(make_article, _bucket(9), [0, 0, 0])
    response["_shards"] = {"total": 2, "successful": 1, "failed": 1}
    with pytest.raises(TransientError):
        check_spike(FakeSearch(response), "news", _subscription(), NOW)  # type: ignore[arg-type]


def test_a_match_subscription_is_refused() -> None:
    match = Subscription(
        id="m", name="m", owner="o", query="x", channels=[KafkaChannel(topic="alerts")]
    )
    with pytest.raises(ValueError, match="not a spike subscription"):
        check_spike(FakeSearch({}), "news", match, NOW)  # type: ignore[arg-type]


# --- the watcher ---------------------------------------------------------------------------


class FakeSubscriptions:
    def __init__(self, subs: list[Subscription]) -> None:
        self.subs = subs

    def list(self, owner: str | None = None, kind: str | None = None) -> list[Subscription]:
        return [s for s in self.subs if s.kind == kind]


class FakeAlerts:
    """``create`` is create-if-absent, as in Elasticsearch."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def create(self, alert: Any) -> bool:
        new = alert.alert_id not in self.ids
        self.ids.add(alert.alert_id)
        return new

    def get(self, alert_id: str) -> Any:
        return alert_id if alert_id in self.ids else None


class PerSubscriptionSearch:
    """Answers by the subscription's query: a response, or an error to raise."""

    def __init__(self, answers: dict[str, dict[str, Any] | Exception]) -> None:
        self.answers = answers

    def search(self, **kwargs: Any) -> dict[str, Any]:
        answer = self.answers[kwargs["query"]["bool"]["must"][0]["query_string"]["query"]]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _watcher(answers: dict[str, dict[str, Any] | Exception]) -> SpikeWatcher:
    subs = [
        _subscription().model_copy(update={"id": f"s-{i}", "query": q})
        for i, q in enumerate(answers)
    ]
    return SpikeWatcher(
        FakeSubscriptions(subs),  # type: ignore[arg-type]
        FakeAlerts(),  # type: ignore[arg-type]
        es_spike_check(PerSubscriptionSearch(answers), "news"),  # type: ignore[arg-type]
    )


def test_watcher_returns_new_alerts_once(make_article: Any) -> None:
    spiking = _response(make_article, _bucket(9, docs=9), [0, 0, 0])
    watcher = _watcher({"a": spiking, "b": _response(make_article, _bucket(1), [0, 0, 0])})
    fired = watcher.check(NOW)
    assert [a.subscription_id for a in fired] == ["s-0"]
    assert len(watcher.check(NOW)) == 1  # not published yet: it fires again
    watcher.confirm(fired)
    assert watcher.check(NOW + timedelta(minutes=10)) == []  # same window slot
    later = watcher.check(NOW + timedelta(minutes=40))  # the next one
    assert len(later) == 1 and later[0].alert_id != fired[0].alert_id


def test_watcher_skips_failures_but_keeps_what_fired(make_article: Any) -> None:
    spiking = _response(make_article, _bucket(9, docs=9), [0, 0, 0])
    watcher = _watcher({"busy": api_error(503), "bad": api_error(400), "ok": spiking})
    assert [a.subscription_id for a in watcher.check(NOW)] == ["s-2"]


def test_watcher_raises_when_something_failed_and_nothing_is_new() -> None:
    watcher = _watcher({"busy": api_error(503), "bad": api_error(400)})
    with pytest.raises(TransientError):
        watcher.check(NOW)
