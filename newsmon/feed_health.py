"""Every feed's health as rows: ``feeds status`` and the web view show these.

The row of :func:`newsmon.feed_report.feed_report` (the latest state) plus what the poll
history says (:func:`ingest.feed_health.evaluate`): ``health``, ``why``, ``per_day`` and
``usual_per_day``. Reads the state database of the data dir; no server needed, either mode.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from contract import FeedPoll
from ingest import FeedSpec, FeedState, FeedStateStore
from ingest.feed_health import FeedHealth, HealthRules, evaluate
from ingest.poll_history import PollHistory
from newsmon.feed_report import feed_report
from newsmon.settings import Settings


def health_rules(settings: Settings) -> HealthRules:
    """The thresholds of feed health from the settings."""
    return HealthRules(
        failing_after=timedelta(seconds=settings.feed_failing_after),
        quiet_factor=settings.feed_quiet_factor,
        quiet_min_days=settings.feed_quiet_min_days,
        quiet_min_usual=settings.feed_quiet_min_usual,
        days=settings.feed_health_days,
    )


def evaluate_feeds(
    settings: Settings, feeds: Sequence[tuple[str, str | None]] | None, now: datetime
) -> list[tuple[str, str | None, FeedState | None, FeedHealth]]:
    """(url, name, state, health) of each feed: ``feeds`` (url, name) in order, or else every
    feed in the state database by URL."""
    rules = health_rules(settings)
    states: dict[str, FeedState] = {}
    polls: dict[str, list[FeedPoll]] = {}
    first: dict[str, datetime] = {}
    if settings.state_db.exists():  # nothing polled yet: every feed is "never", no file made
        with (
            FeedStateStore(settings.state_db) as store,
            PollHistory(settings.state_db) as history,
        ):
            states = store.all()
            # A day more than shown: the usual day needs full 24-hour windows.
            polls = history.since(now - timedelta(days=rules.days + 1), eventful=True)
            first = history.first_polls()
    listed = feeds if feeds is not None else [(url, None) for url in sorted(states)]
    return [
        (
            url,
            name,
            states.get(url),
            evaluate(states.get(url), polls.get(url, []), now, rules, first.get(url)),
        )
        for url, name in listed
    ]


def feed_health_rows(
    settings: Settings, feeds: list[FeedSpec] | None, now: datetime
) -> list[dict[str, Any]]:
    """One dict per feed: :func:`feed_report`'s keys plus ``health`` (ok, quiet, failing,
    disabled, never), ``why`` (one line), ``per_day`` ([ISO date, articles], oldest first) and
    ``usual_per_day``.

    Args:
        feeds: the feeds file's feeds, in order (a feed never polled is listed as ``never``);
            None lists every feed in the state database, by URL.
        now: the time to judge at (aware).
    """
    listed = None if feeds is None else [(f.url, f.name) for f in feeds]
    rows = []
    for url, name, state, health in evaluate_feeds(settings, listed, now):
        row = feed_report(url, name, state)
        row["health"] = health.health
        row["why"] = health.why
        row["per_day"] = [[day.isoformat(), count] for day, count in health.per_day]
        row["usual_per_day"] = health.usual_per_day
        rows.append(row)
    return rows
