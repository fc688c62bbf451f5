"""Entry dates read strictly: impossible ones are bad dates, not silently moved."""

import time
from datetime import UTC, datetime

import pytest

from ingest.dates import BadDate, parse_date


@pytest.mark.parametrize(
    ("raw", "when"),
    [
        ("Fri, 01 Mar 2024 10:00:00 GMT", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 10:00:00 +0200", datetime(2024, 3, 1, 8, 0, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 10:00:00 EST", datetime(2024, 3, 1, 15, 0, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 10:00:00 +1400", datetime(2024, 2, 29, 20, 0, tzinfo=UTC)),
        ("Fri, 01 Mar 2024 10:00:00", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),  # no zone: UTC
        ("1 Mar 24 10:00 UT", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("2024-03-01T10:00:00.123+05:30", datetime(2024, 3, 1, 4, 30, tzinfo=UTC)),
        ("2024-03-01 10:00:00 UTC", datetime(2024, 3, 1, 10, 0, tzinfo=UTC)),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),  # a leap second
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
        ("  ", None),
    ],
)
def test_dates_that_exist(raw: str, when: datetime | None) -> None:
    assert parse_date(raw) == when


@pytest.mark.parametrize(
    "raw",
    [
        "2024-02-30T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "Fri, 30 Feb 2024 10:00:00 GMT",
        "Fri, 01 Mar 2024 10:00:00 +9999",
        "2024-03-01T25:00:00Z",
        "1709287200",
        "yesterday",
        "Fri, 01 Jan 99999 00:00:00 GMT",
    ],
)
def test_impossible_or_unreadable_dates_are_bad(raw: str) -> None:
    with pytest.raises(BadDate):
        parse_date(raw)


def test_other_formats_use_feedparsers_reading() -> None:
    lenient = time.strptime("2024-03-01 10:00", "%Y-%m-%d %H:%M")
    assert parse_date("1 Mars 2024, 10h00", lenient) == datetime(2024, 3, 1, 10, tzinfo=UTC)
    with pytest.raises(BadDate):
        parse_date("1709287200", lenient)  # a bare number is not a date, whatever it reads
