"""The poller end to end over loopback HTTP and local files, with a real SQLite store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ingest import FeedBatch, FeedSpec, FeedStateStore, InlineParser, Poller, PollPolicy
from ingest.poller import DEFAULT_USER_AGENT

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


def new_poller(feeds: list[FeedSpec], store: FeedStateStore, **policy: float) -> Poller:
    """A poller with a plain HTTP client (these feeds are on loopback) parsing in-process."""
    return Poller(
        feeds,
        store,
        lambda: httpx.AsyncClient(headers={"User-Agent": DEFAULT_USER_AGENT}),
        InlineParser(),
        PollPolicy(**policy),  # type: ignore[arg-type]
    )


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
    poller = new_poller([feed], store)
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
        assert titles(poll(new_poller([feed], store))["ex"]) == ["One", "Two"]
    feed_server.add("/rss", make_rss([*ITEMS, {"title": "Three", "link": "https://example.com/3"}]))
    with FeedStateStore(store_path) as restarted:
        batch = poll(new_poller([feed], restarted))["ex"]
    assert batch.status == "ok"
    assert titles(batch) == ["Three"]
    assert feed_server.requests["/rss"] == 2


def test_without_commit_articles_are_re_emitted_and_validators_not_advanced(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("ex", feed_server.add("/rss", make_rss(ITEMS), etag='"v1"'))
    poller = new_poller([feed], store)
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
    poller = new_poller([bad, good, missing], store, max_backoff=350)
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
    poller = new_poller([feed], store)
    assert poller.next_due() == 0.0
    assert set(poll(poller, due_only=True)) == {"ex"}
    assert poll(poller, due_only=True) == {}
    assert poller.next_due() > time.time() + 3500
    # A restarted poller reads the committed schedule.
    assert poll(new_poller([feed], store), due_only=True) == {}


def test_size_cap_fails_the_feed(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("big", feed_server.add("/rss", make_rss(ITEMS * 50)))
    batch = poll(new_poller([feed], store, max_bytes=1_000))["big"]
    assert batch.status == "failed"
    assert batch.error is not None and "larger than 1000 bytes" in batch.error


def test_non_feed_body_fails_the_feed(feed_server: FeedServer, store: FeedStateStore) -> None:
    feed = FeedSpec("html", feed_server.add("/page", b"<html><body>Hi</body></html>"))
    batch = poll(new_poller([feed], store))["html"]
    assert batch.status == "failed"
    assert batch.error is not None and "not a feed: got an HTML page" in batch.error


def test_entry_errors_are_reported(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    body = make_rss([{"title": "No link"}, ITEMS[0]])
    batch = poll(new_poller([FeedSpec("ex", feed_server.add("/rss", body))], store))["ex"]
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
    poller = new_poller(feeds, store)
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
    poller = new_poller(feeds, store, concurrency=2)

    async def go() -> list[str]:
        return [batch.feed.name async for batch in poller.run(once=True)]

    assert sorted(asyncio.run(go())) == [f"f{i}" for i in range(5)]


def test_run_loops_until_stopped(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("fast", feed_server.add("/rss", make_rss(ITEMS), etag='"v"'), interval=0.05)
    poller = new_poller([feed], store)

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


def test_a_slow_feed_never_delays_the_others(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    """Each feed on its own schedule: while one feed takes 2 s to answer, a feed due every
    0.1 s is polled again and again."""
    slow = FeedSpec("slow", feed_server.add("/slow", make_rss(ITEMS), delay=2.0), interval=60)
    fast = FeedSpec("fast", feed_server.add("/fast", make_rss(ITEMS), etag='"f"'), interval=0.1)
    poller = new_poller([slow, fast], store)

    async def go() -> list[str]:
        stop = asyncio.Event()
        names: list[str] = []
        async for batch in poller.run(stop=stop):
            poller.commit(batch)
            names.append(batch.feed.name)
            if batch.feed.name == "slow":
                stop.set()
        return names

    names = asyncio.run(asyncio.wait_for(go(), timeout=10))
    assert "slow" in names
    assert names.count("fast") >= 5


def test_stop_abandons_a_poll_in_progress(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("stalled", feed_server.add("/rss", make_rss(ITEMS), delay=30.0))
    poller = new_poller([feed], store)

    async def go() -> float:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, stop.set)
        started = time.monotonic()
        async for _ in poller.run(stop=stop):
            pass
        return time.monotonic() - started

    assert asyncio.run(go()) < 2.0
    assert store.get(feed.url).last_poll is None  # nothing recorded: redone at the next start


def _error_feed(feed_server: FeedServer, status: int, **headers: str) -> FeedSpec:
    url = feed_server.add(f"/s{status}", b"no", status=status, headers=headers)
    return FeedSpec(f"s{status}", url, interval=60)


def test_lasting_errors_back_off_far_longer_than_transient_ones(
    feed_server: FeedServer, store: FeedStateStore
) -> None:
    feeds = [_error_feed(feed_server, status) for status in (500, 404, 403)]
    batches = poll(new_poller(feeds, store, max_backoff=3600, error_backoff=21600))
    now = time.time()
    assert store.get(feeds[0].url).next_due == pytest.approx(now + 120, abs=5)  # 2 x interval
    for feed in feeds[1:]:
        assert store.get(feed.url).next_due == pytest.approx(now + 21600, abs=5)
    assert batches["s404"].error == (f"feed 's404': HTTP 404 Not Found from {feeds[1].url}")


def test_retry_after_is_honoured_capped_and_holds_the_host(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    busy = _error_feed(feed_server, 429, **{"Retry-After": "7200"})
    neighbour = FeedSpec("neighbour", feed_server.add("/n", make_rss(ITEMS)), interval=60)
    unavailable = FeedSpec(
        "s503",
        feed_server.add("/s503", b"", status=503, headers={"Retry-After": "999999"}),
        interval=60,
    )
    poller = new_poller([busy], store, max_retry_after=3600)
    batches = poll(poller)
    assert batches["s429"].error == (
        f"feed 's429': HTTP 429 Too Many Requests from {busy.url}; retry after 3600s"
    )
    assert store.get(busy.url).next_due == pytest.approx(time.time() + 3600, abs=5)  # capped
    # the same host: a feed of it that was not polled yet waits as long
    poller.feeds.append(neighbour)
    poller._hold_host(busy, store.get(busy.url).next_due)
    assert poller.next_due() >= time.time() + 3590
    assert store.get(neighbour.url).next_due >= time.time() + 3590
    poll(new_poller([unavailable], store, max_retry_after=3600))
    assert store.get(unavailable.url).next_due == pytest.approx(time.time() + 3600, abs=5)


def test_410_disables_the_feed_until_enabled(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    gone = _error_feed(feed_server, 410)
    batch = poll(new_poller([gone], store))["s410"]
    assert batch.status == "disabled"
    assert batch.error == f"feed 's410': HTTP 410 Gone from {gone.url}; feed disabled"
    assert store.get(gone.url).disabled is not None
    again = poll(new_poller([gone], store))["s410"]  # not fetched while disabled
    assert again.status == "disabled"
    assert feed_server.requests["/s410"] == 1
    store.enable(gone.url)
    feed_server.add("/s410", make_rss(ITEMS))
    assert poll(new_poller([gone], store))["s410"].status == "ok"


def test_a_permanent_redirect_moves_the_feed(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    new_url = feed_server.add("/new", make_rss(ITEMS), etag='"n"')
    old = FeedSpec("moved", feed_server.add("/old", b"", status=301, headers={"Location": new_url}))
    first = poll(new_poller([old], store))["moved"]
    assert (first.status, len(first.articles)) == ("ok", 2)
    assert store.get(old.url).fetch_url == new_url
    second = poll(new_poller([old], store))["moved"]
    assert second.status == "not_modified"
    assert feed_server.requests["/old"] == 1  # polled at its new address since
    assert feed_server.requests["/new"] == 2


def test_a_corrected_item_is_a_new_version_not_a_drop(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    feed = FeedSpec("ex", feed_server.add("/rss", make_rss(ITEMS)))
    poller = new_poller([feed], store)
    first = {a.title: a.id for a in poll(poller)["ex"].articles}
    corrected = [{**ITEMS[0], "description": "first, corrected"}, ITEMS[1]]
    feed_server.add("/rss", make_rss(corrected))
    batch = poll(poller)["ex"]
    [version] = batch.articles
    assert (version.title, version.text) == ("One", "first, corrected")
    assert version.updated_at is not None
    assert version.id == first["One"]
    assert store.get(feed.url).articles == 3
    assert poll(poller)["ex"].articles == []  # unchanged since: nothing


def test_skipped_and_repaired_entries_are_counted(
    feed_server: FeedServer, store: FeedStateStore, make_rss: Factory
) -> None:
    body = make_rss(
        [
            {"title": "No link"},
            {"title": "Script link", "link": "javascript:alert(1)"},
            {**ITEMS[0], "date": "not a date"},
            {**ITEMS[0], "description": "a different text, same link"},
        ]
    )
    feed = FeedSpec("ex", feed_server.add("/rss", body))
    poller = new_poller([feed], store)
    batch = poll(poller)["ex"]
    assert titles(batch) == ["One"]
    assert dict(batch.issues) == {"no-link": 2, "duplicate-link": 1, "bad-date": 1}
    poll(poller)  # unchanged: the feed's latest content still has them, counted once
    assert dict(store.get(feed.url).issues) == {"no-link": 2, "duplicate-link": 1, "bad-date": 1}
