"""Fetching: conditional GET, status codes, the size cap, local files."""

from __future__ import annotations

import asyncio
import gzip
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import brotli
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


def _gzip(data: bytes, layers: int = 1) -> bytes:
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=9)
    return data


@pytest.mark.parametrize(("encoding", "layers"), [("gzip", 1), ("gzip, gzip", 2), ("x-gzip", 1)])
def test_a_compression_bomb_stops_at_the_cap(
    feed_server: FeedServer, encoding: str, layers: int
) -> None:
    """200 MB of zeros in ~200 KB (or ~1 KB, twice gzipped): refused at 1 MB, decompressing
    never more than that (httpx would inflate a whole chunk of the outer layer at once)."""
    bomb = _gzip(b"\0" * 200_000_000, layers)
    url = feed_server.add("/bomb", bomb, headers={"Content-Encoding": encoding})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("bomb", url), max_bytes=1_000_000)
    assert caught.value.reason == "body larger than 1000000 bytes"


@pytest.mark.parametrize("raw", [False, True])
def test_gzip_and_deflate_bodies_are_decompressed(feed_server: FeedServer, raw: bool) -> None:
    body = b"<rss>" + b"x" * 10_000 + b"</rss>"
    engine = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    deflated = engine.compress(body) + engine.flush()
    url = feed_server.add("/d", deflated, headers={"Content-Encoding": "deflate"})
    assert fetch(FeedSpec("d", url)).body == body
    url = feed_server.add("/g", _gzip(body), headers={"Content-Encoding": "gzip"})
    assert fetch(FeedSpec("g", url)).body == body
    assert feed_server.request_headers["/g"][0]["Accept-Encoding"] == "gzip, deflate, br"


def test_brotli_bodies_are_decompressed_within_the_cap(feed_server: FeedServer) -> None:
    body = b"<rss>" + b"x" * 10_000 + b"</rss>"
    url = feed_server.add("/b", brotli.compress(body), headers={"Content-Encoding": "br"})
    assert fetch(FeedSpec("b", url)).body == body
    bomb = brotli.compress(b"\0" * 50_000_000)  # 50 MB in a few kB
    url = feed_server.add("/bomb", bomb, headers={"Content-Encoding": "br"})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("bomb", url))
    assert caught.value.kind == "too-large"


def test_an_unsupported_or_broken_encoding_fails_clearly(feed_server: FeedServer) -> None:
    url = feed_server.add("/zs", b"\x28\xb5\x2f\xfd", headers={"Content-Encoding": "zstd"})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("zs", url))
    assert caught.value.reason == f"unsupported Content-Encoding 'zstd' from {url}"
    url = feed_server.add("/br", b"not brotli at all", headers={"Content-Encoding": "br"})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("br", url))
    assert caught.value.reason.startswith(f"cannot decompress the br body from {url}: ")
    url = feed_server.add("/bad", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("bad", url))
    assert caught.value.reason.startswith(f"cannot decompress the gzip body from {url}: ")


def test_redirects_are_followed_hop_by_hop(feed_server: FeedServer) -> None:
    final = feed_server.add("/final", b"<rss/>")
    temporary = feed_server.add("/tmp", b"", status=302, headers={"Location": "/final"})
    moved = feed_server.add("/moved", b"", status=308, headers={"Location": temporary})
    start = feed_server.add("/start", b"", status=301, headers={"Location": moved})
    result = fetch(FeedSpec("hops", start))
    assert result.body == b"<rss/>"
    assert result.moved_to == temporary  # the 301 and 308 moved it; the 302 did not
    assert fetch(FeedSpec("direct", final)).moved_to is None


def test_redirect_limits_and_schemes(feed_server: FeedServer) -> None:
    loop = feed_server.add("/loop", b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("loop", loop), max_redirects=3)
    assert caught.value.reason == f"too many redirects (more than 3) from {loop}"
    assert feed_server.requests["/loop"] == 4
    for target in ("file:///etc/passwd", "ftp://example.com/feed", "gopher://127.0.0.1:70/x"):
        url = feed_server.add("/away", b"", status=302, headers={"Location": target})
        with pytest.raises(FeedError) as caught:
            fetch(FeedSpec("away", url))
        scheme = target.split(":")[0]
        assert caught.value.reason == f"unsupported URL scheme {scheme!r} in {target}"
        assert caught.value.transient is False
    url = feed_server.add("/js", b"", status=302, headers={"Location": "javascript:alert(1)"})
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("js", url))
    assert caught.value.reason.startswith(f"invalid redirect from {url}: ")


def test_the_status_line_is_the_standard_one(feed_server: FeedServer) -> None:
    """The server's own reason phrase is text from the internet: not repeated."""
    url = feed_server.add("/e", b"", status=500)
    feed_server.routes["/e"].headers = {}
    with pytest.raises(FeedError) as caught:
        fetch(FeedSpec("e", url))
    assert caught.value.reason == f"HTTP 500 Internal Server Error from {url}"
    assert caught.value.status == 500


def test_a_body_of_several_gzip_members_is_read_whole(feed_server: FeedServer) -> None:
    members = gzip.compress(b"<rss>first ") + gzip.compress(b"second</rss>")
    url = feed_server.add("/m", members, headers={"Content-Encoding": "gzip"})
    assert fetch(FeedSpec("m", url)).body == b"<rss>first second</rss>"


def test_an_archive_that_cannot_write_does_not_fail_the_fetch(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ingest.archive import Exchange, WarcArchive

    class FullDisk:
        def write(self, exchange: Exchange) -> None:
            raise OSError(28, "No space left on device")

    url = feed_server.add("/f", b"<rss/>")
    assert fetch(FeedSpec("f", url), archive=FullDisk()).body == b"<rss/>"
    assert "was not kept: [Errno 28] No space left on device" in caplog.text
    with WarcArchive(tmp_path, kind="feeds") as archive:
        assert fetch(FeedSpec("f", url), archive=archive).body == b"<rss/>"
    assert len(list(tmp_path.glob("*.warc.gz"))) == 1
    not_modified = feed_server.add("/nm", b"<rss/>", etag='"v1"')
    with WarcArchive(tmp_path / "nm", kind="feeds") as archive:
        assert fetch(FeedSpec("nm", not_modified), etag='"v1"', archive=archive).not_modified
        assert archive.current_file is None  # a 304 is not archived
