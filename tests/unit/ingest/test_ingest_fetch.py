"""Fetching: conditional GET, status codes, the size cap, local files."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from contract import FeedError
from ingest import FeedSpec, FetchResult, fetch_feed

if TYPE_CHECKING:
    from feedserver import FeedServer


def fetch(feed: FeedSpec, **kwargs: object) -> FetchResult:
    async def go() -> FetchResult:
        async with httpx.AsyncClient() as client:
            return await fetch_feed(client, feed, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_conditional_get_with_etag(feed_server: FeedServer) -> None:
    url = feed_server.add(
        "/rss", b"<rss/>", etag='"v1"', last_modified="Fri, 01 Mar 2024 10:00:00 GMT"
    )
    feed = FeedSpec("srv", url)
    first = fetch(feed)
    assert (first.status, first.body, first.etag) == (200, b"<rss/>", '"v1"')
    assert first.last_modified == "Fri, 01 Mar 2024 10:00:00 GMT"
    second = fetch(feed, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.body is None
    assert second.etag == '"v1"'
    sent = feed_server.request_headers["/rss"][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Fri, 01 Mar 2024 10:00:00 GMT"


def test_conditional_get_with_last_modified_only(feed_server: FeedServer) -> None:
    stamp = "Fri, 01 Mar 2024 10:00:00 GMT"
    feed = FeedSpec("srv", feed_server.add("/lm", b"<rss/>", last_modified=stamp))
    first = fetch(feed)
    assert first.etag is None
    assert fetch(feed, last_modified=first.last_modified).not_modified


def test_follows_redirects(feed_server: FeedServer) -> None:
    target = feed_server.add("/new", b"<rss>moved</rss>")
    feed = FeedSpec("srv", feed_server.add("/old", b"", status=301, headers={"Location": target}))
    assert fetch(feed).body == b"<rss>moved</rss>"


@pytest.mark.parametrize(
    ("status", "transient"),
    [(500, True), (503, True), (429, True), (404, False), (410, False), (403, False)],
)
def test_http_errors(feed_server: FeedServer, status: int, transient: bool) -> None:
    feed = FeedSpec("broken", feed_server.add("/x", b"oops", status=status))
    with pytest.raises(FeedError) as info:
        fetch(feed)
    assert info.value.transient is transient
    assert info.value.feed == "broken"
    assert f"HTTP {status}" in str(info.value)


def test_size_cap(feed_server: FeedServer) -> None:
    feed = FeedSpec("big", feed_server.add("/big", b"x" * 10_000))
    assert fetch(feed, max_bytes=10_000).body == b"x" * 10_000
    with pytest.raises(FeedError, match="larger than 9999 bytes") as info:
        fetch(feed, max_bytes=9_999)
    assert info.value.transient is False


def test_connection_refused_is_transient() -> None:
    feed = FeedSpec("gone", "http://127.0.0.1:9/feed")
    with pytest.raises(FeedError) as info:
        fetch(feed, timeout=5.0)
    assert info.value.transient is True
    assert "'gone'" in str(info.value)


def test_timeout_is_transient(feed_server: FeedServer) -> None:
    feed = FeedSpec("slow", feed_server.add("/slow", b"<rss/>"))

    async def go() -> None:
        async def hang(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(5)
            return httpx.Response(200)

        async with httpx.AsyncClient(transport=httpx.MockTransport(hang)) as client:
            await fetch_feed(client, feed, timeout=0.1)

    with pytest.raises(FeedError, match="timed out") as info:
        asyncio.run(go())
    assert info.value.transient is True


def test_local_path_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "my feed.xml"
    path.write_bytes(b"<rss>local</rss>")
    for url in (str(path), path.as_uri()):
        feed = FeedSpec("local", url)
        first = fetch(feed)
        assert (first.status, first.body) == (200, b"<rss>local</rss>")
        again = fetch(feed, etag=first.etag, last_modified=first.last_modified)
        assert again.not_modified and again.body is None
        assert fetch(feed, last_modified=first.last_modified).not_modified


def test_local_file_changed_is_refetched(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"<rss>v1</rss>")
    feed = FeedSpec("local", str(path))
    first = fetch(feed)
    path.write_bytes(b"<rss>version 2</rss>")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = fetch(feed, etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.body) == (200, b"<rss>version 2</rss>")


def test_local_size_cap_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"y" * 100)
    with pytest.raises(FeedError, match="larger than 99 bytes"):
        fetch(FeedSpec("local", str(path)), max_bytes=99)
    with pytest.raises(FeedError, match="cannot read") as info:
        fetch(FeedSpec("missing", str(tmp_path / "nope.xml")))
    assert info.value.feed == "missing"
