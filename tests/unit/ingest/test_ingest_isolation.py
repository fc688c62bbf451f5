"""Parsing in worker processes under a time and memory budget: a hostile feed fails alone."""

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import slow_parsers
from feedserver import rss_xml

from contract import FeedError
from ingest import FeedSpec, IsolatedParser, ParsedFeed

FEED = FeedSpec("hostile", "https://example.com/rss")
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def run(parser: IsolatedParser, *bodies: bytes) -> list[ParsedFeed | FeedError]:
    """Parse the bodies concurrently; each result, or the FeedError it raised."""

    async def one(body: bytes) -> ParsedFeed | FeedError:
        try:
            return await parser(body, FEED, NOW, None)
        except FeedError as exc:
            return exc

    async def go() -> list[ParsedFeed | FeedError]:
        return list(await asyncio.gather(*(one(b) for b in bodies)))

    return asyncio.run(go())


def isolated(parse: Callable[..., Any] | None = None, **kw: Any) -> IsolatedParser:
    return IsolatedParser(**kw) if parse is None else IsolatedParser(parse=parse, **kw)


def test_real_feeds_parse_in_workers() -> None:
    body = rss_xml([{"title": "Talks resume", "link": "https://example.com/a"}])
    with isolated(workers=2) as parser:
        [parsed] = run(parser, body)
    assert isinstance(parsed, ParsedFeed)
    assert [a.title for a in parsed.articles] == ["Talks resume"]


def test_a_parse_over_its_time_is_killed_and_the_others_go_on() -> None:
    with isolated(slow_parsers.sleeps, workers=2, seconds=1.0) as parser:
        started = time.monotonic()
        slow, quick = run(parser, b"60", b"0.01")
        took = time.monotonic() - started
        assert isinstance(slow, FeedError)
        assert slow.reason == "parsing took longer than the 1s budget"
        assert slow.transient is False
        assert isinstance(quick, ParsedFeed)
        assert took < 5
        assert isinstance(run(parser, b"0")[0], ParsedFeed)  # the killed worker was replaced


def test_a_parse_over_its_memory_fails_alone() -> None:
    with isolated(slow_parsers.hogs_memory, workers=1, memory=128 * 2**20) as parser:
        hog, small = run(parser, b"1024", b"16")
    assert isinstance(hog, FeedError)
    assert hog.reason == "parsing needed more than the 128 MiB memory budget"
    assert isinstance(small, ParsedFeed) and small.errors == [str(16 * 2**20)]


def test_a_worker_that_dies_fails_its_feed_only() -> None:
    with isolated(slow_parsers.dies, workers=1) as parser:
        [died] = run(parser, b"x")
    assert isinstance(died, FeedError)
    assert died.reason.startswith("the parser process died")


def test_closing_kills_a_parse_in_progress_at_once() -> None:
    parser = isolated(slow_parsers.sleeps, workers=1, seconds=60)

    async def go() -> float:
        task = asyncio.create_task(parser(b"60", FEED, NOW, None))
        await asyncio.sleep(0.5)
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        parser.close()
        return time.monotonic() - started

    assert asyncio.run(go()) < 3


def test_a_body_that_is_no_feed_fails_with_its_reason() -> None:
    """The worker's FeedError crosses back whole (and the pool stays usable)."""
    body = rss_xml([{"title": "Fine", "link": "https://example.com/f"}])
    with isolated(workers=1) as parser:
        html, fine = run(parser, b"<html><body>Hi</body></html>", body)
        assert isinstance(html, FeedError)
        assert str(html) == "feed 'hostile': not a feed: got an HTML page"
        assert isinstance(fine, ParsedFeed) and len(fine.articles) == 1
