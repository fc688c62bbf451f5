"""A feed's health from its state and poll history: ok, quiet, failing, disabled or never.

A pure function of what the poller recorded and the time, so ``feeds status``, the web view
and the feed-health alerts all say the same thing. *Failing* is reported only once a feed has
failed for longer than a setting (a blip is not news); *quiet* compares the last 24 hours with
the feed's own usual day (the median of its past days), and only once there is enough history
that a new feed is not called quiet.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from contract import FeedPoll
from ingest.state import FeedState

Health = Literal["ok", "quiet", "failing", "disabled", "never"]
DAY = timedelta(days=1)


@dataclass(frozen=True)
class HealthRules:
    """When a feed is reported.

    Attributes:
        failing_after: how long a feed fails before it is reported as failing.
        quiet_factor: quiet when the last 24 h gave fewer than this times the usual day.
        quiet_min_days: full days of history needed before quiet can be judged.
        quiet_min_usual: a feed whose usual day has fewer articles is never called quiet
            (a feed with two posts a day has silent days).
        days: days of history shown (``per_day``) and behind the usual day.
    """

    failing_after: timedelta = timedelta(hours=3)
    quiet_factor: float = 0.25
    quiet_min_days: int = 7
    quiet_min_usual: float = 3.0
    days: int = 14


@dataclass(frozen=True)
class FeedHealth:
    """One feed's health.

    Attributes:
        health: ok, quiet, failing, disabled or never (never polled).
        why: one line saying why, with the numbers.
        per_day: articles per UTC day for the last ``days`` days, oldest first (today last).
        usual_per_day: the median of the feed's past 24-hour windows (0 without history).
        last_day: articles in the last 24 hours.
        history_days: full 24-hour windows of history behind ``usual_per_day``.
        since: when the current failing episode began (None unless failing or failed).
        error: the latest error while failing.
    """

    health: Health
    why: str
    per_day: list[tuple[date, int]]
    usual_per_day: float
    last_day: int = 0
    history_days: int = 0
    since: datetime | None = None
    error: str = ""


def _span(delta: timedelta) -> str:
    seconds = max(delta.total_seconds(), 0.0)
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def per_day(polls: Sequence[FeedPoll], now: datetime, days: int) -> list[tuple[date, int]]:
    """Articles per UTC day over the last ``days`` days (today included), oldest first."""
    today = now.astimezone(UTC).date()
    counts = {today - timedelta(days=back): 0 for back in range(days - 1, -1, -1)}
    for poll in polls:
        day = poll.polled_at.astimezone(UTC).date()
        if day in counts and poll.polled_at <= now:
            counts[day] += poll.articles
    return list(counts.items())


def _windows(
    polls: Sequence[FeedPoll], now: datetime, days: int, first: datetime
) -> tuple[int, list[int]]:
    """Articles in the last 24 h, and in each earlier full 24-hour window the history covers.

    A window counts only if it starts at or after the feed's first recorded poll (``first``),
    and holds what came after its start, so a new feed's first poll (its whole backlog at once)
    and the days before it never enter the usual day.
    """
    windows = [0] * (days + 1)  # [0] the last 24 h, [k] the 24 h ending k days ago
    for poll in polls:
        age = now - poll.polled_at  # window k holds ages in [k days, k + 1 days)
        back = age // DAY
        if age >= timedelta(0) and back <= days:
            windows[back] += poll.articles
    covered = 0
    while covered < days and now - (covered + 2) * DAY >= first:
        covered += 1
    return windows[0], windows[1 : covered + 1]


def _failing_since(state: FeedState, polls: Sequence[FeedPoll]) -> datetime | None:
    """The first failed poll after the last good one (from the history, else the state)."""
    since: datetime | None = None
    last_ok = state.last_ok or 0.0
    for poll in reversed(polls):
        if poll.status != "failed" or poll.polled_at.timestamp() <= last_ok:
            break
        since = poll.polled_at
    if since is None and state.last_poll is not None:
        since = datetime.fromtimestamp(state.last_ok or state.last_poll, UTC)
    return since


def evaluate(
    state: FeedState | None,
    polls: Sequence[FeedPoll],
    now: datetime,
    rules: HealthRules | None = None,
    first_poll: datetime | None = None,
) -> FeedHealth:
    """The health of one feed.

    Args:
        state: the feed's latest state (None if it was never polled).
        polls: its recorded polls (the last ``rules.days`` + 1 days suffice; those that gave
            no articles and did not fail may be left out, the state's ``last_ok`` bounds a
            failing streak).
        now: the time to judge at (aware).
        rules: the thresholds (settings).
        first_poll: the feed's oldest recorded poll, when ``polls`` are only the recent ones
            (default: the oldest of ``polls``).
    """
    rules = rules or HealthRules()
    state = state or FeedState()
    polls = sorted((p for p in polls if p.polled_at <= now), key=lambda p: p.polled_at)
    days = per_day(polls, now, rules.days)
    first = first_poll or (polls[0].polled_at if polls else now)
    last_day, past = _windows(polls, now, rules.days, first)
    usual = float(statistics.median(past)) if past else 0.0

    def health(
        kind: Health, why: str, since: datetime | None = None, error: str = ""
    ) -> FeedHealth:
        return FeedHealth(kind, why, days, usual, last_day, len(past), since, error)

    if state.disabled:
        return health("disabled", f"disabled: {state.disabled}")
    if state.last_poll is None and state.last_ok is None and not polls:
        return health("never", "never polled")
    failed = state.last_status == "failed" or (
        state.last_status is None and polls and polls[-1].status == "failed"
    )
    if failed:
        since = _failing_since(state, polls) or now
        error = state.last_error or (polls[-1].error if polls else "") or "unknown error"
        lasted = now - since
        if lasted >= rules.failing_after:
            why = f"failing for {_span(lasted)} (since {_when(since)}): {error}"
            return health("failing", why, since, error)
        # Not reported yet (a blip is not news), but not hidden either.
        why = f"failed for {_span(lasted)} (failing after {_span(rules.failing_after)}): {error}"
        return health("ok", why, since, error)
    median = f"{rules.days}-day median" if len(past) >= rules.days else f"{len(past)}-day median"
    if (
        len(past) >= rules.quiet_min_days
        and usual >= rules.quiet_min_usual
        and last_day < usual * rules.quiet_factor
    ):
        why = f"quiet: {last_day} articles in the last 24h, usually {usual:g}/day ({median})"
        return health("quiet", why)
    if not past:
        why = f"ok: {last_day} articles in the last 24h (no full day of history yet)"
    elif usual == 0 and last_day == 0:
        why = f"ok: no articles in {len(past) + 1} days"
    else:
        why = f"ok: {last_day} articles in the last 24h, usually {usual:g}/day ({median})"
    return health("ok", why)
