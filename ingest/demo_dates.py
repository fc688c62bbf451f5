"""Sample feeds that stay current: their dates move forward by whole days at every parse.

The bundled demo feeds (``examples/feeds/*.xml``) keep the dates they were written with, so the
files never change; their entries in ``examples/feeds.yaml`` say ``shift_dates_from:`` the
newest moment in them. Each parse moves every dated article forward by the whole days between
that moment and the fetch, so the newest falls within the last 24 hours and the others keep
their spacing and time of day: ``--since 30d`` and a 7-day backtest find them whenever the demo
runs. A replay given the same feeds file parses with the archived fetch time, so it gets the
dates the live run got. An item without a date keeps the one its page gives (not moved)."""

from datetime import UTC, date, datetime, timedelta

from contract import Article


def parse_anchor(value: object) -> datetime:
    """``shift_dates_from`` as YAML gives it (a timestamp, a date, or a string): an aware
    datetime (no zone: UTC; a date: its midnight).

    Raises:
        ValueError: none of those.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ValueError(f"{value!r} is not a date or date-time")


def shift_days(newest: datetime, now: datetime) -> timedelta:
    """The whole days that bring ``newest`` into the 24 hours before ``now`` (never back)."""
    return timedelta(days=max((now - newest).days, 0))


def shift_dates(articles: list[Article], newest: datetime, now: datetime) -> list[Article]:
    """``articles`` with their ``published`` moved by :func:`shift_days` (undated ones as is)."""
    delta = shift_days(newest, now)
    if not delta:
        return articles
    return [
        a if a.published is None else a.model_copy(update={"published": a.published + delta})
        for a in articles
    ]
