"""When digests fall due, when quiet hours hold alerts, and where a subscriber's day starts.

Pure functions over aware datetimes and IANA zones (``zoneinfo``). Wall-clock times are
resolved per calendar day, never by adding 24 hours, so a daily 08:00 digest stays at 08:00
local time across daylight-saving changes. A wall-clock time that does not exist that day (inside
a spring-forward gap) resolves to the same reading in the old offset, i.e. shifted forward by the
gap (01:30 on the London change day -> 02:30 BST); an ambiguous one (fall-back) resolves to its
first occurrence. Every result is returned in UTC.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contract import Digest, QuietHours
from contract.subscription import parse_hhmm


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("schedule functions need an aware datetime (tzinfo set)")
    return at


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``tz`` (see the module docstring)."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def next_digest_due(digest: Digest, after: datetime) -> datetime:
    """The first digest time strictly after ``after``: hourly at minute MM, or daily at HH:MM."""
    tz = ZoneInfo(digest.tz)
    at = parse_hhmm(digest.at)
    after = _aware(after).astimezone(UTC)
    local = after.astimezone(tz)
    if digest.every == "hourly":
        candidate = local.replace(minute=at.minute, second=0, microsecond=0).astimezone(UTC)
        while candidate <= after:
            candidate += timedelta(hours=1)
        return candidate
    return next_local_instant(at, tz, after)


def next_local_instant(wall: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after ``after`` when the clock in ``tz`` reads ``wall``."""
    day = after.astimezone(tz).date()
    candidate = local_instant(day, wall, tz)
    while candidate <= after:
        day += timedelta(days=1)
        candidate = local_instant(day, wall, tz)
    return candidate


def in_quiet_hours(quiet: QuietHours, at: datetime) -> bool:
    """Whether ``at`` falls in ``[start, end)`` local time; ``end < start`` spans midnight.

    ``start == end`` is an empty range (never quiet).
    """
    now = _aware(at).astimezone(ZoneInfo(quiet.tz)).time().replace(tzinfo=None)
    start, end = parse_hhmm(quiet.start), parse_hhmm(quiet.end)
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def quiet_hours_end(quiet: QuietHours, at: datetime) -> datetime:
    """The first end of quiet hours strictly after ``at`` (when held alerts go out)."""
    return next_local_instant(parse_hhmm(quiet.end), ZoneInfo(quiet.tz), _aware(at))


def day_start(tz: str, at: datetime) -> datetime:
    """Local midnight of the day ``at`` falls on in ``tz`` (for per-day caps), in UTC."""
    zone = ZoneInfo(tz)
    return local_instant(_aware(at).astimezone(zone).date(), time(0, 0), zone)
