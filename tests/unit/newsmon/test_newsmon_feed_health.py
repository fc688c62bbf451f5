"""`feed_health_rows`: the feeds status rows plus health from the poll history in the data dir."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contract import FeedPoll
from ingest import FeedSpec, FeedState, FeedStateStore
from ingest.poll_history import PollHistory
from newsmon.cli import app
from newsmon.feed_health import feed_health_rows
from newsmon.settings import Settings

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
BUSY = "https://busy.example/rss"
BROKEN = "https://broken.example/rss"
NEW = "https://new.example/rss"


def _history(path: Path) -> None:
    """BUSY: 30 articles a day for 29 days, then 1 in the last day; BROKEN: failing for 5h."""
    polls = [
        FeedPoll(feed="Busy", url=BUSY, polled_at=NOW - timedelta(hours=h), status="ok",
                 articles=(5 if h >= 24 else 0) + (1 if h == 4 else 0))
        for h in range(30 * 24, -1, -4)  # older than the 15 days read: still a 14-day median
    ] + [
        FeedPoll(feed="Broken", url=BROKEN, polled_at=NOW - timedelta(hours=h), status="failed",
                 failures=6 - h, error="feed 'Broken': HTTP 503")
        for h in range(5, 0, -1)
    ]  # fmt: skip
    with PollHistory(path) as history:
        history.add(polls)
    with FeedStateStore(path) as store:
        store.commit(BUSY, FeedState(name="Busy", last_status="ok", last_poll=NOW.timestamp(),
                                     last_ok=NOW.timestamp(), articles=421), [])  # fmt: skip
        broken = FeedState(name="Broken", last_status="failed", failures=5,
                           last_error="feed 'Broken': HTTP 503",
                           last_poll=(NOW - timedelta(hours=1)).timestamp())  # fmt: skip
        store.commit(BROKEN, broken, [])


def test_rows_say_health_why_and_articles_per_day(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, feed_failing_after=3 * 3600)
    _history(settings.state_db)
    feeds = [FeedSpec(url=BUSY, name="Busy"), FeedSpec(url=BROKEN, name="Broken"),
             FeedSpec(url=NEW, name="New")]  # fmt: skip
    rows = {row["url"]: row for row in feed_health_rows(settings, feeds, NOW)}
    busy, broken, new = rows[BUSY], rows[BROKEN], rows[NEW]
    assert busy["health"] == "quiet"
    assert busy["why"] == "quiet: 1 articles in the last 24h, usually 30/day (14-day median)"
    assert busy["usual_per_day"] == 30.0
    assert busy["per_day"][-1] == ["2026-12-07", 1]
    assert len(busy["per_day"]) == 14
    assert busy["articles"] == 421 and busy["state"] == "ok"
    assert broken["health"] == "failing"
    assert broken["why"] == "failing for 5h (since 2026-12-07 03:00 UTC): feed 'Broken': HTTP 503"
    assert new["health"] == "never" and new["state"] == "never"


def test_no_state_db_lists_feeds_as_never_and_makes_no_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "none")
    rows = feed_health_rows(settings, [FeedSpec(url=NEW, name="New")], NOW)
    assert [(r["name"], r["health"]) for r in rows] == [("New", "never")]
    assert not settings.state_db.exists()


def test_poll_history_reads_since_prunes_and_knows_each_feeds_first_poll(tmp_path: Path) -> None:
    db = tmp_path / "feeds.sqlite3"
    polls = [
        FeedPoll(feed="Busy", url=BUSY, polled_at=NOW - timedelta(days=d), status="ok", articles=d)
        for d in (70, 10, 1)
    ] + [FeedPoll(feed="Broken", url=BROKEN, polled_at=NOW, status="failed", error="x")]
    with PollHistory(db) as history:
        history.add(polls)
        assert history.first_polls() == {BUSY: NOW - timedelta(days=70), BROKEN: NOW}
        recent = history.since(NOW - timedelta(days=15))
        assert [p.articles for p in recent[BUSY]] == [10, 1]
        assert recent[BROKEN] == [polls[-1]]
        assert set(history.since(NOW, urls=[BROKEN])) == {BROKEN}
        assert history.prune(NOW - timedelta(days=60)) == 1
        assert history.first_polls()[BUSY] == NOW - timedelta(days=10)


def test_feeds_status_shows_health_why_and_days_at_80_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    now = datetime.now(UTC)
    db = tmp_path / "feeds.sqlite3"
    with PollHistory(db) as history:
        history.add(
            [FeedPoll(feed="Busy", url=BUSY, polled_at=now - timedelta(days=d),
                      status="ok", articles=d) for d in range(1, 4)]
            + [FeedPoll(feed="Broken", url=BROKEN, polled_at=now - timedelta(hours=h),
                        status="failed", error="feed 'Broken': HTTP 503") for h in (5, 1)]
            + [FeedPoll(feed="New", url=NEW, polled_at=now - timedelta(minutes=10),
                        status="failed", error="feed 'New': timed out")]
        )  # fmt: skip
    with FeedStateStore(db) as store:
        busy = FeedState(name="Busy", last_status="ok", articles=6, last_poll=now.timestamp(),
                         last_ok=now.timestamp())  # fmt: skip
        store.commit(BUSY, busy, [])
        store.record_failure(BROKEN, "feed 'Broken': HTTP 503", now.timestamp(), name="Broken")
        store.record_failure(NEW, "feed 'New': timed out", now.timestamp(), name="New")
    result = CliRunner().invoke(app, ["feeds", "status"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines[:8]) <= 80
    row = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in lines if "│" in line}
    assert row == {"Broken": "failing", "Busy": "ok", "New": "failed"}
    assert "  failing for 5h (since " in result.output
    assert result.output.count("HTTP 503") == 1  # the why names the error: not repeated
    assert "  failed for 10m (failing after 3h): feed 'New': timed out" in result.output
    assert "  articles/day (last 7): 0 0 0 3 2 1 0 · usual 1.5" in result.output
