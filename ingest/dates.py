"""A feed entry's date, read strictly where the format is known.

feedparser reads dates leniently and quietly "repairs" impossible ones: February 30th became
March 1st, month 13 the next January, a ``+9999`` zone was accepted, a bare number became a year.
Stored, such a date puts an article on the wrong day of every chart and backtest. So the two
formats feeds use (RFC 822 in RSS, ISO 8601 / W3C-DTF in Atom and Dublin Core) are read here
and an impossible value is a bad date; feedparser's reading is used only for the other, rarer
formats it knows. A date without a zone is UTC; a leap second is the next second.
"""

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz

MAX_OFFSET = timedelta(hours=14)
"""The widest UTC offset in use (Kiribati, +14:00)."""

_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
    r"\s*(?:([Zz]|UTC|GMT|UT)|([+-])(\d{2}):?(\d{2}))?"
)
_RFC822_SHAPE = re.compile(r"[A-Za-z]{3}")  # a month or day name: RFC 822, not a bare number


class BadDate(ValueError):
    """The entry has a date, but not one that exists."""


def parse_date(raw: str, lenient: time.struct_time | None = None) -> datetime | None:
    """The UTC datetime ``raw`` names; None when it is empty.

    Args:
        raw: the date as the feed wrote it.
        lenient: feedparser's reading of it, used when the format is neither RFC 822 nor ISO.

    Raises:
        BadDate: the date is impossible (no such day, hour or zone) or unreadable.
    """
    raw = raw.strip()
    if not raw:
        return None
    if iso := _ISO.fullmatch(raw):
        return _from_iso(iso)
    if _RFC822_SHAPE.search(raw) and (parts := parsedate_tz(raw)) is not None:
        year, month, day, hour, minute, second = parts[:6]
        offset = parts[9] or 0
        return _build(year, month, day, hour, minute, second, timedelta(seconds=offset))
    if lenient is not None and not raw.isdigit():
        try:
            return datetime(*lenient[:6], tzinfo=UTC)
        except (TypeError, ValueError, OverflowError) as exc:
            raise BadDate(raw) from exc
    raise BadDate(raw)


def _from_iso(found: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, _, sign, zone_h, zone_m = found.groups()
    offset = timedelta()
    if sign:
        offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
        offset = -offset if sign == "-" else offset
    return _build(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
        offset,
    )  # fmt: skip


def _build(
    year: int, month: int, day: int, hour: int, minute: int, second: int, offset: timedelta
) -> datetime:
    if abs(offset) > MAX_OFFSET or int(offset.total_seconds()) % 60:
        raise BadDate(f"no such zone: {offset}")
    leap = second == 60
    try:
        when = datetime(year, month, day, hour, minute, 59 if leap else second, tzinfo=UTC)
        return when - offset + timedelta(seconds=1 if leap else 0)
    except (ValueError, OverflowError) as exc:
        raise BadDate(str(exc)) from exc
