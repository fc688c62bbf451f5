"""The feeds table: what ``newsmon feeds status`` shows (state, last success, last error,
failures, articles) and each feed's health against its own history
(:func:`newsmon.feed_health.feed_health_rows`), from the state file of the data dir (both
modes)."""

from datetime import datetime
from typing import Any

from ingest import load_feeds
from newsmon.feed_health import feed_health_rows
from newsmon.settings import Settings


def feed_rows(settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """One row per feed: the feeds file's feeds in order when it is set, else every feed polled
    so far; each row's ``bars`` is its articles per day scaled for the sparkline (0-100)."""
    feeds = load_feeds(settings.feeds) if settings.feeds is not None else None
    rows = feed_health_rows(settings, feeds, now)
    for row in rows:
        peak = max([count for _, count in row["per_day"]] + [row["usual_per_day"], 1])
        row["bars"] = [(day, count, round(100 * count / peak)) for day, count in row["per_day"]]
        row["usual_pct"] = round(100 * row["usual_per_day"] / peak)
    return rows
