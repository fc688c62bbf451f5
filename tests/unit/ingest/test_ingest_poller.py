"""The poller end to end over loopback HTTP and local files, with a real SQLite store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest import FeedBatch, FeedSpec, FeedStateStore, Poller

if TYPE_CHECKING:
    from feedserver import FeedServer

Factory = Callable[..., bytes]
ITEMS = [
    {"title": "One", "link": "https://example.com/1", "description": "first"},
    {
        "title": "Two",
        "link": "https://example.com/2?utm_source=x",
        "description": "second",
    },
]


def poll(poller: Poller, *, commit: bool = True, due_only: bool = False) -> dict[str, FeedBatch]:
    """Poll once; commit every batch (as the caller does after the broker acknowledged)."""

    async def go() -> dict[str, FeedBatch]:
        batches = {}
        async for batch in poller.poll_once(due_only=due_only):
            batches[batch.feed.name] = batch
            if commit:
                poller.commit(batch)
        return batches

    return asyncio.run(go())


def titles(batch: FeedBatch) -> list[str]:
    return sorted(a.title for a in batch.articles)


def test_conditional_get_second_poll_not_modified(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("ex", feed_server.add("/rss", make_rss(ITEMS), etag='"v1"'), interval=60)
    poller = Poller([feed], store)
    first = poll(poller)["ex"]
    assert first.status == "ok"
    assert titles(first) == ["One", "Two"]
    assert first.state.etag == '"v1"'
    assert first.articles[0].source == "ex"
    second = poll(poller)["ex"]
    assert (second.status, second.articles) == ("not_modified", [])
    assert feed_server.request_headers["/rss"][1]["If-None-Match"] == '"v1"'
    assert feed_server.request_headers["/rss"][0]["User-Agent"].startswith("newsmon/")


def test_seen_ids_survive_restart(
    feed_server: FeedServer, store_path: Path, make_rss: Factory
) -> None:
    url = feed_server.add("/rss", make_rss(ITEMS))  # no validators: always a full 200
    feed = FeedSpec("ex", url)
    with FeedStateStore(store_path) as store:
        assert titles(poll(Poller([feed], store))["ex"]) == ["One", "Two"]
    feed_server.add("/rss", make_rss([*ITEMS, {"title": "Three", "link": "https://example.com/3"}]))
    with FeedStateStore(store_path) as restarted:
        batch = poll(Poller([feed], restarted))["ex"]
    assert batch.status == "ok"
    assert titles(batch) == ["Three"]
    assert feed_server.requests["/rss"] == 2


def test_without_commit_articles_are_re_emitted_and_validators_not_advanced(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("ex", feed_server.add("/rss", make_rss(ITEMS), etag='"v1"'))
    poller = Poller([feed], store)
    first = poll(poller, commit=False)["ex"]  # the broker was down: nothing committed
    second = poll(poller, commit=False)["ex"]
    assert "If-None-Match" not in feed_server.request_headers["/rss"][1]
    assert second.status == "ok"
    assert [a.id for a in second.articles] == [a.id for a in first.articles]
    assert len(second.articles) == 2
    poller.commit(second)  # the broker is back
    third = poll(poller)["ex"]
    assert third.status == "not_modified"


def test_failure_backoff_recorded_and_other_feeds_go_on(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    good = FeedSpec("good", feed_server.add("/good", make_rss(ITEMS)), interval=100)
    bad = FeedSpec("bad", feed_server.add("/bad", b"down", status=500), interval=100)
    missing = FeedSpec("missing", feed_server.url("/nowhere"), interval=100)
    poller = Poller([bad, good, missing], store, max_backoff=350)
    before = time.time()
    batches = poll(poller)
    assert batches["good"].status == "ok"
    assert len(batches["good"].articles) == 2
    failed = batches["bad"]
    assert failed.status == "failed"
    assert failed.error is not None and "'bad'" in failed.error and "HTTP 500" in failed.error
    state = store.get(bad.url)
    assert state.failures == 1
    assert state.last_error == failed.error
    assert before + 200 <= state.next_due <= time.time() + 200
    assert store.get(missing.url).failures == 1

    poll(poller)  # fails again: 100 * 2**2 = 400, capped at 350
    state = store.get(bad.url)
    assert state.failures == 2
    assert state.next_due == pytest.approx(time.time() + 350, abs=5)
    assert store.get(good.url).failures == 0


def test_due_only_skips_feeds_not_yet_due(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("ex", feed_server.add("/rss", make_rss(ITEMS)), interval=3600)
    poller = Poller([feed], store)
    assert poller.next_due() == 0.0
    assert set(poll(poller, due_only=True)) == {"ex"}
    assert poll(poller, due_only=True) == {}
    assert poller.next_due() > time.time() + 3500
    # A restarted poller reads the committed schedule.
    assert poll(Poller([feed], store), due_only=True) == {}


def test_size_cap_fails_the_feed(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("big", feed_server.add("/rss", make_rss(ITEMS * 50)))
    batch = poll(Poller([feed], store, max_bytes=1_000))["big"]
    assert batch.status == "failed"
    assert batch.error is not None and "larger than 1000 bytes" in batch.error


def test_non_feed_body_fails_the_feed(feed_server: FeedServer, store: FeedStateStore) -> None:
    feed = FeedSpec("html", feed_server.add("/page", b"<html><body>Hi</body></html>"))
    batch = poll(Poller([feed], store))["html"]
    assert batch.status == "failed"
    assert batch.error is not None and "not a parseable feed" in batch.error


def test_entry_errors_are_reported(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    body = make_rss([{"title": "No link"}, ITEMS[0]])
    batch = poll(Poller([FeedSpec("ex", feed_server.add("/rss", body))], store))["ex"]
    assert titles(batch) == ["One"]
    assert len(batch.entry_errors) == 1 and "No link" in batch.entry_errors[0]


def test_file_url_and_plain_path_feeds(
    tmp_path: Path, store: FeedStateStore, make_atom: Factory
) -> None:
    one = tmp_path / "one.xml"
    two = tmp_path / "two.xml"
    one.write_bytes(make_atom([{"title": "A", "link": "https://a.example/1"}]))
    two.write_bytes(make_atom([{"title": "B", "link": "https://b.example/1"}]))
    feeds = [FeedSpec("one", one.as_uri()), FeedSpec("two", str(two))]
    poller = Poller(feeds, store)
    batches = poll(poller)
    assert {name: titles(b) for name, b in batches.items()} == {
        "one": ["A"],
        "two": ["B"],
    }
    assert batches["two"].articles[0].feed_url == str(two)
    again = poll(poller)
    assert {b.status for b in again.values()} == {"not_modified"}


def test_run_once_polls_all_and_returns(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feeds = [FeedSpec(f"f{i}", feed_server.add(f"/f{i}", make_rss(ITEMS))) for i in range(5)]
    poller = Poller(feeds, store, concurrency=2)

    async def go() -> list[str]:
        return [batch.feed.name async for batch in poller.run(once=True)]

    assert sorted(asyncio.run(go())) == [f"f{i}" for i in range(5)]


def test_run_loops_until_stopped(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("fast", feed_server.add("/rss", make_rss(ITEMS), etag='"v"'), interval=0.05)
    poller = Poller([feed], store)

    async def go() -> list[str]:
        stop = asyncio.Event()
        statuses: list[str] = []
        async for batch in poller.run(stop=stop):
            poller.commit(batch)
            statuses.append(batch.status)
            if len(statuses) == 3:
                stop.set()
        return statuses

    assert asyncio.run(asyncio.wait_for(go(), timeout=5)) == [
        "ok",
        "not_modified",
        "not_modified",
    ]
