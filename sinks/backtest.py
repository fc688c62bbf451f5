"""Backtest: what a subscription query would have matched over the last N days of articles.

The backend-neutral part: the result (per day, the matching articles and stories, the totals
and a few sample headlines) and its window. The Elasticsearch search that answers it is
:mod:`sinks.elasticsearch.backtest`; the SQLite article store counts it itself.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

from sinks.spikes import Window

PRECISION_THRESHOLD = 40_000
"""Elasticsearch's maximum ``precision_threshold``: story counts are exact below it."""
MAX_DAYS = 366
SAMPLES = 5


class BacktestDay(BaseModel):
    """One calendar day of the backtest."""

    day: date
    articles: int = Field(description="matching articles dated that day")
    stories: int = Field(description="distinct stories among them (alerts of a per-story sub)")


class BacktestSample(BaseModel):
    """A matching article, one per story, newest first."""

    id: str
    title: str = ""
    url: str = ""
    source: str = ""
    published: datetime | None = None
    fetched_at: datetime | None = None
    story_id: str | None = None


class Backtest(BaseModel):
    """What the query matched in [start, end), day by day."""

    query: str
    tz: str = Field(description="time zone of the days")
    start: datetime = Field(description="midnight starting the first day")
    end: datetime = Field(description="when the backtest ran (the last day is partial)")
    per_day: list[BacktestDay]
    articles: int = Field(description="matching articles in the window")
    stories: int = Field(description="distinct matching stories in the window")
    stories_exact: bool = Field(
        description=f"False when more than {PRECISION_THRESHOLD} stories (counts approximate)"
    )
    samples: list[BacktestSample]


def window(now: datetime, days: int, tz: str = "UTC") -> tuple[Window, list[date]]:
    """The backtest window: from midnight ``days - 1`` days before today (in ``tz``) to ``now``.

    So ``days=7`` is today (so far) and the six days before it: seven rows.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, not {days}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r} (use an IANA name, e.g. Europe/Paris)") from exc
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=zone)
    return Window(start, now), [first + timedelta(days=i) for i in range(days)]
