"""The live status line of ``newsmon run``."""

import time

from ingest import FeedBatch
from ingest.feeds_file import FeedSpec
from ingest.state import FeedState
from newsmon.runners.status import RunStatus


def _batch(url: str, status: str, due_in: float) -> FeedBatch:
    state = FeedState(next_due=time.time() + due_in)
    return FeedBatch(FeedSpec(url, url), status, [], state)  # type: ignore[arg-type]


def test_feeds_due_ok_and_failing() -> None:
    status = RunStatus(feeds=4)
    status.feed_polled(_batch("a", "ok", 600), 3)
    status.feed_polled(_batch("b", "not_modified", -1), 0)
    status.feed_polled(_batch("c", "failed", 60), 0)
    # d was never polled: due; b is due again; a and c are not
    assert status.feed_counts(time.time()) == (2, 2, 1)
    line = status.line()
    assert "feeds 4: 2 due, 2 ok, 1 failing" in line
    assert "articles 3 new" in line


def test_articles_per_minute_since_start() -> None:
    status = RunStatus(feeds=1, started=time.monotonic() - 120)
    status.indexed(30)
    assert 14.0 <= status.per_minute() <= 15.1
    status.note("loading the model")
    assert status.line().endswith("loading the model")


def test_the_rate_is_the_last_minutes_not_the_average_since_start() -> None:
    start = 1000.0
    status = RunStatus(feeds=1, started=start)
    status.indexed(600, now=start + 60)  # a burst in the first minute
    assert status.per_minute(now=start + 120) == 300.0  # 600 in 2 minutes, still "since start"
    # Twenty minutes later nothing more was stored: the average since start would be 30/min.
    assert status.per_minute(now=start + 1200) == 0.0
    # Then a steady 10 per minute for the last five minutes.
    for minute in range(1, 6):
        status.indexed(600 + 10 * minute, now=start + 1200 + 60 * minute)
    assert status.per_minute(now=start + 1500) == 10.0


def test_no_article_yet_is_zero_per_minute() -> None:
    assert RunStatus().per_minute() == 0.0


def test_a_restart_starts_from_the_stored_states() -> None:
    status = RunStatus(feeds=2)
    status.feed_known("a", FeedState(next_due=time.time() + 600))
    status.feed_known("b", FeedState(next_due=time.time() + 60, failures=2))
    assert status.feed_counts(time.time()) == (0, 1, 1)
