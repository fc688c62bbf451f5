"""The feeds table: what ``newsmon feeds status`` shows (state, last success, last error,
failures, articles) and each feed's health against its own history
(:func:`newsmon.feed_health.feed_health_rows`), from the state file of the data dir (both
modes).

Judging health reads the feeds' poll history (seconds for hundreds of feeds with weeks of
polls), and its thresholds are hours: the rows are kept for :data:`KEEP` seconds, so a page
reloaded, searched or posted to meanwhile does not read the history again.
"""

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from ingest import load_feeds
from newsmon.feed_health import feed_health_rows
from newsmon.settings import Settings

KEEP = 30.0
"""Seconds the feed rows of a data dir are reused."""

_kept: dict[tuple[Path, Path | None], tuple[float, list[dict[str, Any]]]] = {}
_lock = threading.Lock()


def feed_rows(settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """One row per feed: the feeds file's feeds in order when it is set, else every feed polled
    so far; each row's ``bars`` is its articles per day scaled for the sparkline (0-100)."""
    key = (settings.state_db, settings.feeds)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and time.monotonic() - kept[0] < KEEP:
            return kept[1]
        rows = _rows(settings, now)
        _kept[key] = (time.monotonic(), rows)
        return rows


def _rows(settings: Settings, now: datetime) -> list[dict[str, Any]]:
    feeds = load_feeds(settings.feeds) if settings.feeds is not None else None
    rows = feed_health_rows(settings, feeds, now)
    for row in rows:
        peak = max([count for _, count in row["per_day"]] + [row["usual_per_day"], 1])
        row["bars"] = [(day, count, round(100 * count / peak)) for day, count in row["per_day"]]
        row["usual_pct"] = round(100 * row["usual_per_day"] / peak)
    return rows
