"""Demo feeds kept current: dates moved forward by whole days, spacing kept, never back."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from contract import Article, ConfigError
from ingest import load_feeds
from ingest.demo_dates import parse_anchor, shift_dates, shift_days

NEWEST = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "days"),
    [
        (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), 0),  # the day it was written
        (datetime(2026, 11, 20, 12, 0, tzinfo=UTC), 0),  # before it: never moved back
        (datetime(2026, 11, 29, 8, 59, tzinfo=UTC), 0),  # still within 24 hours
        (datetime(2026, 11, 29, 9, 0, tzinfo=UTC), 1),
        (datetime(2027, 6, 15, 7, 0, tzinfo=UTC), 198),
    ],
)
def test_the_newest_lands_in_the_last_24_hours(now: datetime, days: int) -> None:
    assert shift_days(NEWEST, now) == timedelta(days=days)
    moved = NEWEST + shift_days(NEWEST, now)
    if now >= NEWEST:
        assert timedelta(0) <= now - moved < timedelta(days=1)


def test_every_dated_article_moves_by_the_same_days(
    make_article: Callable[..., Article],
) -> None:
    now = datetime(2027, 6, 15, 7, 0, tzinfo=UTC)
    articles = [
        make_article(url="https://a.example/1", published=NEWEST),
        make_article(url="https://a.example/2", published=NEWEST - timedelta(days=5, hours=3)),
        make_article(url="https://a.example/3", published=None),
    ]
    moved = shift_dates(articles, NEWEST, now)
    assert moved[0].published == datetime(2027, 6, 14, 9, 0, tzinfo=UTC)
    first, second = moved[0].published, moved[1].published
    assert first is not None and second is not None
    assert first - second == timedelta(days=5, hours=3)  # spacing kept
    assert moved[2].published is None
    assert [a.fetched_at for a in moved] == [a.fetched_at for a in articles]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-28T09:00:00Z", NEWEST),
        ("2026-11-28T09:00:00", NEWEST),
        (datetime(2026, 11, 28, 9, 0), NEWEST),
        (date(2026, 11, 28), NEWEST - timedelta(hours=9)),
    ],
)
def test_the_anchor_as_yaml_gives_it(value: object, expected: datetime) -> None:
    assert parse_anchor(value) == expected


def test_a_bad_anchor_names_the_field(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("- url: a.xml\n  shift_dates_from: soon\n")
    with pytest.raises(ConfigError, match="entry 0: field 'shift_dates_from'"):
        load_feeds(feeds)
