"""The pure parts of the backtest: its window and how a search response becomes a Backtest."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from sinks.backtest import PRECISION_THRESHOLD, window
from sinks.elasticsearch.backtest import backtest_request, parse_backtest, refusal_message

NOW = datetime(2024, 5, 24, 15, 0, tzinfo=UTC)


def test_window_is_today_and_the_days_before() -> None:
    span, days = window(NOW, 3)
    assert span.start == datetime(2024, 5, 22, tzinfo=UTC)
    assert span.end == NOW
    assert days == [date(2024, 5, 22), date(2024, 5, 23), date(2024, 5, 24)]


def test_window_counts_days_in_the_time_zone() -> None:
    late = datetime(2024, 5, 24, 23, 30, tzinfo=UTC)  # already the 25th in Tokyo
    span, days = window(late, 2, "Asia/Tokyo")
    assert days == [date(2024, 5, 24), date(2024, 5, 25)]
    assert span.start.astimezone(UTC) == datetime(2024, 5, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "tz", "message"),
    [
        (0, "UTC", "days must be"),
        (367, "UTC", "days must be"),
        (7, "Mars/Base", "unknown time zone"),
    ],
)
def test_window_refuses_bad_arguments(days: int, tz: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        window(NOW, days, tz)


def test_request_bounds_the_histogram_to_the_days() -> None:
    span, days = window(NOW, 7)
    body = backtest_request("topics:ceasefire", span, days, "UTC")
    histogram = body["aggs"]["dated"]["date_histogram"]
    assert histogram["extended_bounds"] == {"min": "2024-05-18", "max": "2024-05-24"}
    assert histogram["min_doc_count"] == 0
    assert body["aggs"]["stories"]["cardinality"]["precision_threshold"] == PRECISION_THRESHOLD
    assert "script" not in str(body)


def _bucket(day: str, articles: int, story_ids: int, unclustered: int) -> dict[str, Any]:
    return {
        "key_as_string": day,
        "doc_count": articles,
        "stories": {"value": story_ids},
        "unclustered": {"doc_count": unclustered},
    }


def test_parse_merges_dated_and_undated_days() -> None:
    span, days = window(NOW, 3)
    response = {
        "hits": {"total": {"value": 7}, "hits": []},
        "aggregations": {
            "stories": {"value": 3},
            "unclustered": {"doc_count": 1},
            "dated": {
                "buckets": [
                    _bucket("2024-05-22", 0, 0, 0),
                    _bucket("2024-05-23", 4, 2, 0),
                    _bucket("2024-05-24", 1, 0, 1),
                ]
            },
            "undated": {"days": {"buckets": [_bucket("2024-05-23", 2, 1, 0)]}},
        },
    }
    result = parse_backtest(response, "q", span, days, "UTC")
    assert [(r.day.isoformat(), r.articles, r.stories) for r in result.per_day] == [
        ("2024-05-22", 0, 0),
        ("2024-05-23", 6, 3),
        ("2024-05-24", 1, 1),
    ]
    assert (result.articles, result.stories, result.stories_exact) == (7, 4, True)


def test_parse_flags_story_counts_beyond_the_threshold() -> None:
    span, days = window(NOW, 1)
    response = {
        "hits": {"total": {"value": 50_000}, "hits": []},
        "aggregations": {"stories": {"value": 45_000}, "unclustered": {"doc_count": 0}},
    }
    assert parse_backtest(response, "q", span, days, "UTC").stories_exact is False


def test_parse_without_an_index_is_all_zeros() -> None:
    span, days = window(NOW, 2)
    result = parse_backtest({"hits": {"total": {"value": 0}, "hits": []}}, "q", span, days, "UTC")
    assert [(r.articles, r.stories) for r in result.per_day] == [(0, 0), (0, 0)]
    assert (result.articles, result.stories, result.samples) == (0, 0, [])


def test_samples_are_one_per_story() -> None:
    span, days = window(NOW, 1)
    hits = [
        {"_source": {"id": "a1", "title": "first", "story_id": "s1"}},
        {"_source": {"id": "a2", "title": "copy", "story_id": "s1"}},
        {"_source": {"id": "a3", "title": "alone"}},
    ]
    response = {"hits": {"total": {"value": 3}, "hits": hits}}
    samples = parse_backtest(response, "q", span, days, "UTC").samples
    assert [s.title for s in samples] == ["first", "alone"]


def test_refusal_message_is_lucenes() -> None:
    body = {
        "error": {
            "root_cause": [{"reason": "Failed to parse query [title:(a AND]"}],
            "failed_shards": [
                {
                    "reason": {
                        "reason": "Failed to parse query [title:(a AND]",
                        "caused_by": {
                            "reason": "Cannot parse 'title:(a AND': Encountered \"<EOF>\" at "
                            "line 1, column 12.\nWas expecting one of:\n    <NOT> ..."
                        },
                    }
                }
            ],
        }
    }
    assert refusal_message(body, "fallback") == (
        "Cannot parse 'title:(a AND': Encountered \"<EOF>\" at line 1, column 12"
    )
    assert refusal_message({"error": {"reason": "other"}}, "fallback") == "other"
    assert refusal_message("not json", "fallback") == "fallback"
