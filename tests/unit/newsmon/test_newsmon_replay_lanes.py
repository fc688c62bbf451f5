"""The replay lane: live articles go first, replayed ones never alert unless asked, and the
replay runner's gate and pacing."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contract import Article, Subscription
from newsmon.embedded.local_log import LocalLog
from newsmon.runners.alert import may_alert
from newsmon.runners.process import Lanes
from newsmon.runners.replay import Gate, Pacer, ReplayCounts, ReplayOptions, StoreCheck
from newsmon.settings import Settings
from sinks.alerts import build_alert
from sinks.matches import Match

SETTINGS = Settings(process_batch_size=20, replay_batch_size=3, process_batch_wait=0.05)


def fill(log: LocalLog, topic: str, n: int, prefix: str) -> None:
    log.producer().send_all(topic, [(f"{prefix}{i}".encode(), b"{}") for i in range(n)])


def test_a_live_batch_is_taken_before_the_replay_backlog(tmp_path: Path) -> None:
    log = LocalLog(tmp_path / "log.sqlite3", timedelta(days=1))
    lanes = Lanes(log.consumer(["raw", "replay"], "p"), "replay")
    fill(log, "replay", 10, "r")
    records = lanes.poll(SETTINGS)
    assert [r.key for r in records] == [b"r0", b"r1", b"r2"]  # small replay batches
    lanes.consumer.commit()
    fill(log, "raw", 2, "live")
    records = lanes.poll(SETTINGS)
    assert [r.key for r in records] == [b"live0", b"live1"]  # before the backlog
    lanes.consumer.commit()
    taken = []  # the replayed records polled with the live ones were rewound, not lost
    while records := lanes.poll(SETTINGS):
        assert len(records) <= SETTINGS.replay_batch_size
        taken += [r.key for r in records]
        lanes.consumer.commit()
    assert taken == [f"r{i}".encode() for i in range(3, 10)]
    assert lanes.caught_up()
    lanes.close()
    log.close()


def test_without_a_replay_topic_only_live_is_read(tmp_path: Path) -> None:
    log = LocalLog(tmp_path / "log.sqlite3", timedelta(days=1))
    lanes = Lanes(log.consumer("raw", "p"))
    fill(log, "replay", 2, "r")
    fill(log, "raw", 1, "live")
    assert [r.key for r in lanes.poll(SETTINGS)] == [b"live0"]
    lanes.close()
    log.close()


def test_replayed_articles_alert_only_when_asked(make_article: Callable[..., Article]) -> None:
    assert may_alert(make_article())
    assert not may_alert(make_article(lane="replay"))
    replayed = make_article(lane="replay", replay_alerts=True)
    assert may_alert(replayed)
    subscription = Subscription(
        id="s", name="S", owner="o", query="title:example", channels=[{"type": "console"}]
    )
    now = datetime.now(UTC)
    assert build_alert(Match(subscription, replayed, {}, {}), now).replayed
    assert not build_alert(Match(subscription, make_article(), {}, {}), now).replayed


def at(hours: int) -> datetime:
    return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=hours)


def test_the_gate_filters_range_feeds_and_seen(make_article: Callable[..., Article]) -> None:
    counts = ReplayCounts()
    options = ReplayOptions(since=at(0), until=at(10), feeds=frozenset({"A"}), alerts=True)
    gate = Gate(options, counts)
    batch = [
        make_article(url="https://x.test/1", published=at(1), source="A"),
        make_article(url="https://x.test/1", published=at(1), source="A"),  # again in the run
        make_article(url="https://x.test/2", published=at(11), source="A"),  # out of range
        make_article(url="https://x.test/3", published=at(2), source="B"),  # other feed
        make_article(url="https://x.test/4", published=None, fetched_at=at(4), source="A"),
    ]
    passed = gate.admit(batch)
    assert [a.url for a in passed] == ["https://x.test/1", "https://x.test/4"]
    assert all(a.replay_alerts for a in passed)
    assert (counts.seen, counts.out_of_range, counts.other_feeds) == (1, 1, 1)
    # a new version (other text) of an article already passed in this run is a new message
    edited = make_article(url="https://x.test/1", published=at(1), source="A", text="Edited.")
    assert gate.admit([edited]) == [edited.model_copy(update={"replay_alerts": True})]


def test_the_store_is_asked_once_per_batch_and_never_twice_per_id(
    make_article: Callable[..., Article],
) -> None:
    counts = ReplayCounts()
    asked: list[list[str]] = []
    stored = {make_article(url="https://x.test/stored").id}

    def known(ids: list[str]) -> set[str]:
        asked.append(ids)
        return stored & set(ids)

    check = StoreCheck(known, counts)
    first = [make_article(url=f"https://x.test/{n}") for n in ("1", "stored", "2")]
    assert [a.url for a in check.unstored(first)] == ["https://x.test/1", "https://x.test/2"]
    again = make_article(url="https://x.test/1", text="A corrected text.")
    assert check.unstored([again]) == [again]  # a new version of one this replay published
    assert len(asked) == 1 and counts.seen == 1


def test_pacing_follows_the_original_spacing_scaled() -> None:
    slept: list[float] = []
    pacer = Pacer(60.0, slept.append)
    pacer.wait(at(0))
    pacer.wait(at(0))  # same moment: no wait
    pacer.wait(at(1))  # an hour later at 60x: about a minute
    assert len(slept) == 1 and 59 < slept[0] <= 60
    fast = Pacer(None, slept.append)
    fast.wait(at(0))
    fast.wait(at(5))
    assert len(slept) == 1
