"""Digest times, quiet hours and day starts, including daylight-saving changes in London."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contract import Digest, QuietHours
from sinks.notify.schedule import day_start, in_quiet_hours, next_digest_due, quiet_hours_end

LONDON = ZoneInfo("Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_daily_digest_stays_at_local_time_across_spring_forward() -> None:
    digest = Digest(every="daily", at="08:00", tz="Europe/London")
    saturday = next_digest_due(digest, utc(2024, 3, 30, 0, 0))
    sunday = next_digest_due(digest, saturday)
    assert saturday == utc(2024, 3, 30, 8, 0)  # 08:00 GMT
    assert sunday == utc(2024, 3, 31, 7, 0)  # 08:00 BST
    assert sunday - saturday == timedelta(hours=23)
    assert sunday.astimezone(LONDON).hour == 8


def test_daily_digest_stays_at_local_time_across_fall_back() -> None:
    digest = Digest(every="daily", at="08:00", tz="Europe/London")
    due = next_digest_due(digest, utc(2024, 10, 26, 7, 0))  # exactly 08:00 BST: strictly after
    assert due == utc(2024, 10, 27, 8, 0)  # 08:00 GMT
    assert due - utc(2024, 10, 26, 7, 0) == timedelta(hours=25)


def test_daily_digest_in_the_spring_gap_goes_out_once_shifted_forward() -> None:
    digest = Digest(every="daily", at="01:30", tz="Europe/London")
    due = next_digest_due(digest, utc(2024, 3, 30, 12, 0))
    assert due == utc(2024, 3, 31, 1, 30)  # 01:30 does not exist that day: 02:30 BST
    assert next_digest_due(digest, due) == utc(2024, 4, 1, 0, 30)  # 01:30 BST


def test_daily_digest_later_today_when_not_yet_due() -> None:
    digest = Digest(every="daily", at="18:45", tz="UTC")
    assert next_digest_due(digest, utc(2024, 5, 24, 10, 0)) == utc(2024, 5, 24, 18, 45)


def test_hourly_digest_at_minute() -> None:
    digest = Digest(every="hourly", at="00:15", tz="UTC")
    assert next_digest_due(digest, utc(2024, 5, 24, 10, 0)) == utc(2024, 5, 24, 10, 15)
    assert next_digest_due(digest, utc(2024, 5, 24, 10, 15)) == utc(2024, 5, 24, 11, 15)
    assert next_digest_due(digest, utc(2024, 5, 24, 23, 59)) == utc(2024, 5, 25, 0, 15)


def test_hourly_digest_uses_local_minutes_in_a_half_hour_zone() -> None:
    digest = Digest(every="hourly", at="00:15", tz="Asia/Kolkata")  # UTC+05:30
    due = next_digest_due(digest, utc(2024, 5, 24, 10, 0))
    assert due == utc(2024, 5, 24, 10, 45)
    assert due.astimezone(ZoneInfo("Asia/Kolkata")).minute == 15


def test_hourly_digest_across_spring_forward() -> None:
    digest = Digest(every="hourly", at="00:15", tz="Europe/London")
    first = next_digest_due(digest, utc(2024, 3, 31, 0, 30))  # 00:30 GMT
    assert first == utc(2024, 3, 31, 1, 15)  # 02:15 BST (01:15 never happens)
    assert next_digest_due(digest, first) - first == timedelta(hours=1)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (london(2024, 5, 24, 21, 59), False),
        (london(2024, 5, 24, 22, 0), True),
        (london(2024, 5, 24, 23, 30), True),
        (london(2024, 5, 25, 3, 0), True),
        (london(2024, 5, 25, 6, 59), True),
        (london(2024, 5, 25, 7, 0), False),
        (london(2024, 5, 25, 12, 0), False),
    ],
)
def test_overnight_quiet_hours(local: datetime, quiet: bool) -> None:
    hours = QuietHours(start="22:00", end="07:00", tz="Europe/London")
    assert in_quiet_hours(hours, local.astimezone(UTC)) is quiet


def test_daytime_quiet_hours_and_empty_range() -> None:
    lunch = QuietHours(start="12:00", end="13:00", tz="UTC")
    assert in_quiet_hours(lunch, utc(2024, 5, 24, 12, 30))
    assert not in_quiet_hours(lunch, utc(2024, 5, 24, 13, 0))
    assert not in_quiet_hours(lunch, utc(2024, 5, 24, 11, 59))
    never = QuietHours(start="09:00", end="09:00", tz="UTC")
    assert not in_quiet_hours(never, utc(2024, 5, 24, 9, 0))


def test_quiet_hours_end_overnight() -> None:
    hours = QuietHours(start="22:00", end="07:00", tz="Europe/London")
    before_midnight = london(2024, 5, 24, 23, 0).astimezone(UTC)
    after_midnight = london(2024, 5, 25, 3, 0).astimezone(UTC)
    assert quiet_hours_end(hours, before_midnight) == london(2024, 5, 25, 7, 0)
    assert quiet_hours_end(hours, after_midnight) == london(2024, 5, 25, 7, 0)


def test_quiet_hours_end_on_the_spring_forward_night() -> None:
    hours = QuietHours(start="22:00", end="07:00", tz="Europe/London")
    assert quiet_hours_end(hours, utc(2024, 3, 30, 23, 0)) == utc(2024, 3, 31, 6, 0)


def test_day_start_in_the_subscribers_zone() -> None:
    assert day_start("Europe/London", utc(2024, 7, 1, 0, 30)) == utc(2024, 6, 30, 23, 0)
    assert day_start("Europe/London", utc(2024, 1, 15, 0, 30)) == utc(2024, 1, 15, 0, 0)
    assert day_start("UTC", utc(2024, 7, 1, 23, 59)) == utc(2024, 7, 1, 0, 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_digest_due(Digest(), datetime(2024, 5, 24, 10, 0))
