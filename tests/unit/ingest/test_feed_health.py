"""Feed health from state + poll history: the edge cases (new, recovered, disabled, silent)."""

from datetime import UTC, date, datetime, timedelta

from contract import FeedPoll, PollStatus
from ingest.feed_health import HealthRules, evaluate, per_day
from ingest.state import FeedState

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
RULES = HealthRules(failing_after=timedelta(hours=3), quiet_factor=0.25, quiet_min_days=7)


def poll(at: datetime, articles: int = 0, status: PollStatus = "ok", error: str = "") -> FeedPoll:
    return FeedPoll(
        feed="wire", url="http://feeds.test/wire", polled_at=at, status=status,
        articles=articles, failures=1 if status == "failed" else 0, error=error,
    )  # fmt: skip


def hourly(days: int, per_hour: int, until: datetime) -> list[FeedPoll]:
    """A poll every hour from ``days`` days before ``until`` to ``until``, each giving
    ``per_hour``."""
    hours = days * 24
    return [poll(until - timedelta(hours=h), per_hour) for h in range(hours, -1, -1)]


def ok_state(at: datetime = NOW) -> FeedState:
    return FeedState(last_status="ok", last_poll=at.timestamp(), last_ok=at.timestamp())


def test_never_polled() -> None:
    health = evaluate(None, [], NOW, RULES)
    assert health.health == "never"
    assert health.why == "never polled"
    assert [count for _, count in health.per_day] == [0] * 14
    assert health.per_day[-1][0] == date(2026, 12, 7)


def test_steady_feed_is_ok_with_its_usual_day() -> None:
    polls = hourly(15, 1, NOW)
    health = evaluate(ok_state(), polls, NOW, RULES)
    assert health.health == "ok"
    assert health.usual_per_day == 24.0
    assert health.last_day == 24
    assert health.history_days == 14
    assert health.why == "ok: 24 articles in the last 24h, usually 24/day (14-day median)"


def test_quiet_feed_far_below_its_usual_day() -> None:
    polls = [*hourly(14, 2, NOW - timedelta(days=1)), poll(NOW - timedelta(hours=3), 2)]
    health = evaluate(ok_state(), polls, NOW, RULES)
    assert health.health == "quiet"
    assert health.why == "quiet: 2 articles in the last 24h, usually 48/day (14-day median)"


def test_new_feed_is_not_quiet() -> None:
    """Three days of history with a silent last day: not enough to judge."""
    polls = [*hourly(3, 2, NOW - timedelta(days=1)), poll(NOW - timedelta(hours=2), 0)]
    health = evaluate(ok_state(), polls, NOW, RULES)
    assert health.health == "ok"
    assert health.history_days == 3
    assert health.usual_per_day == 48


def test_first_poll_backlog_is_not_the_usual_day() -> None:
    """A feed's first poll gives its whole backlog: it must not set the usual rate."""
    first = NOW - timedelta(days=8, hours=1)
    polls = [poll(first, 500), *hourly(8, 0, NOW)]
    health = evaluate(ok_state(), polls, NOW, RULES)
    assert health.usual_per_day == 0
    assert health.health == "ok"


def test_feed_that_never_gave_articles_is_ok_not_quiet() -> None:
    health = evaluate(ok_state(), hourly(15, 0, NOW), NOW, RULES)
    assert health.health == "ok"
    assert health.why == "ok: no articles in 15 days"


def test_low_volume_feed_is_never_quiet() -> None:
    polls = [poll(NOW - timedelta(days=d, hours=1), 2) for d in range(14, 0, -1)]
    health = evaluate(ok_state(), [*polls, poll(NOW, 0)], NOW, RULES)
    assert health.usual_per_day == 2
    assert health.health == "ok"


def test_failing_longer_than_the_setting() -> None:
    since = NOW - timedelta(hours=7)
    polls = hourly(2, 1, since) + [
        poll(since + timedelta(hours=h), status="failed", error="HTTP 503") for h in range(7)
    ]
    state = FeedState(last_status="failed", failures=7, last_error="feed 'wire': HTTP 503",
                      last_poll=(NOW - timedelta(hours=1)).timestamp(),
                      last_ok=(since - timedelta(hours=1)).timestamp())  # fmt: skip
    health = evaluate(state, polls, NOW, RULES)
    assert health.health == "failing"
    assert health.since == since
    assert health.why == "failing for 7h (since 2026-12-07 01:00 UTC): feed 'wire': HTTP 503"


def test_failing_briefly_is_not_reported_yet() -> None:
    polls = [
        *hourly(2, 1, NOW - timedelta(hours=1)),
        poll(NOW - timedelta(minutes=30), status="failed", error="timeout"),
    ]
    state = FeedState(last_status="failed", failures=1, last_error="timeout",
                      last_poll=polls[-1].polled_at.timestamp())  # fmt: skip
    health = evaluate(state, polls, NOW, RULES)
    assert health.health == "ok"
    assert health.why == "failed for 30m (failing after 3h): timeout"


def test_failing_without_history_counts_from_the_last_success() -> None:
    """Polls from before the history was kept: the state's last success dates the episode."""
    state = FeedState(last_status="failed", failures=9, last_error="HTTP 404",
                      last_ok=(NOW - timedelta(days=2)).timestamp(),
                      last_poll=(NOW - timedelta(hours=1)).timestamp())  # fmt: skip
    health = evaluate(state, [], NOW, RULES)
    assert health.health == "failing"
    assert health.why.startswith("failing for 2d (since 2026-12-05 08:00 UTC): HTTP 404")


def test_recovered_feed_is_ok() -> None:
    polls = (
        hourly(10, 1, NOW - timedelta(hours=10))
        + [poll(NOW - timedelta(hours=h), status="failed", error="x") for h in range(10, 1, -1)]
        + [poll(NOW - timedelta(hours=1), 30)]
    )
    health = evaluate(ok_state(NOW - timedelta(hours=1)), polls, NOW, RULES)
    assert health.health == "ok"
    assert health.since is None


def test_disabled() -> None:
    state = FeedState(disabled="HTTP 410 Gone since 2026-12-01 10:00 UTC", last_status="disabled",
                      last_poll=NOW.timestamp())  # fmt: skip
    health = evaluate(state, [], NOW, RULES)
    assert health.health == "disabled"
    assert health.why == "disabled: HTTP 410 Gone since 2026-12-01 10:00 UTC"


def test_per_day_buckets_by_utc_date_oldest_first() -> None:
    polls = [poll(datetime(2026, 12, 5, 23, 59, tzinfo=UTC), 3),
             poll(datetime(2026, 12, 6, 0, 1, tzinfo=UTC), 4),
             poll(datetime(2026, 12, 7, 7, 0, tzinfo=UTC), 5),
             poll(datetime(2026, 11, 1, tzinfo=UTC), 99)]  # fmt: skip
    assert per_day(polls, NOW, 3) == [
        (date(2026, 12, 5), 3),
        (date(2026, 12, 6), 4),
        (date(2026, 12, 7), 5),
    ]


def test_history_older_than_the_polls_read_counts_in_full() -> None:
    """Only recent polls are read; the feed's first poll says where its history begins."""
    polls = hourly(15, 1, NOW)[5:]
    assert evaluate(ok_state(), polls, NOW, RULES).history_days == 13
    older = evaluate(ok_state(), polls, NOW, RULES, first_poll=NOW - timedelta(days=30))
    assert older.history_days == 14
    assert older.usual_per_day == 24


def test_a_good_poll_left_out_of_the_history_still_ends_a_failing_streak() -> None:
    """Only polls that gave articles or failed are read: the state's last success bounds it."""
    polls = [
        poll(NOW - timedelta(hours=9), status="failed", error="x"),
        poll(NOW - timedelta(hours=5), status="failed", error="x"),
    ]
    state = FeedState(last_status="failed", failures=1, last_error="x",
                      last_ok=(NOW - timedelta(hours=7)).timestamp(),
                      last_poll=(NOW - timedelta(hours=5)).timestamp())  # fmt: skip
    health = evaluate(state, polls, NOW, RULES)
    assert health.health == "failing"
    assert health.since == NOW - timedelta(hours=5)
