"""newsmon's own archive (ingest.archive.WarcArchive) read back: payloads stored decoded with
X-Crawler-Content-Encoding, feeds, pages and robots.txt side by side, an open file too."""

import asyncio
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedserver import atom_xml, rss_xml
from replay_support import reasons

from ingest.archive import Exchange, WarcArchive
from ingest.replay.items import FeedResponse, PageResponse, Skipped
from ingest.replay.page_index import PageIndex
from ingest.replay.sources import read_sources, source_files
from ingest.replay.warc import classify, read_warc

DAY = datetime(2026, 11, 20, 8, 0, 0, 250_000, tzinfo=UTC)
RDF = b"""<?xml version="1.0"?>
<!-- an RSS 1.0 feed -->
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://rdf.example/"><title>RDF</title></channel></rdf:RDF>"""
PAGE = "<!DOCTYPE html><html><body><p>Kyiv — café</p></body></html>".encode() * 50
ARTICLE = "https://news.example/world/story?id=1"


def exchange(url: str, body: bytes, when: datetime, content_type: str, status: int = 200,
             encoding: str = "gzip") -> Exchange:  # fmt: skip
    """An exchange as the fetch code hands it over: the body already decoded."""
    return Exchange(
        url=url,
        method="GET",
        request_headers=[("Host", url.split("/")[2]), ("Accept-Encoding", "gzip, br")],
        status=status,
        reason="",
        http_version="HTTP/2",
        response_headers=[
            ("Content-Type", content_type),
            ("Content-Encoding", encoding),
            ("Transfer-Encoding", "chunked"),
        ],
        body=body,
        fetched_at=when,
    )


@pytest.fixture
def archive_dir(tmp_path: Path) -> Path:
    """A feeds file (RSS, Atom, RDF) and a pages file (a page, robots.txt, a 404), finished,
    plus a page in a file left open."""
    feeds = [
        ("https://news.example/rss", rss_xml([{"title": "One", "link": ARTICLE}]),
         "application/rss+xml"),
        ("https://news.example/atom", atom_xml([{"title": "Two", "link": ARTICLE}]),
         "text/xml"),
        ("https://rdf.example/index.rdf", RDF, "application/rdf+xml"),
    ]  # fmt: skip
    with WarcArchive(tmp_path, kind="feeds", instance="t", clock=lambda: DAY) as archive:
        for n, (url, body, kind) in enumerate(feeds):
            archive.write(exchange(url, body, DAY + timedelta(seconds=n), kind))
    with WarcArchive(tmp_path, kind="pages", instance="t", clock=lambda: DAY) as archive:
        archive.write(exchange("https://news.example/robots.txt", b"User-agent: *\n",
                               DAY, "text/plain"))  # fmt: skip
        archive.write(
            exchange(ARTICLE, PAGE, DAY + timedelta(minutes=1), "text/html", encoding="br")
        )
        archive.write(exchange("https://news.example/gone", b"<html>gone</html>",
                               DAY, "text/html", status=404))  # fmt: skip
    newer = PAGE.replace(b"caf", b"CAF")
    with WarcArchive(tmp_path, kind="pages", instance="u", clock=lambda: DAY) as archive:
        archive.write(exchange(ARTICLE + "&utm_source=x", newer, DAY + timedelta(hours=1),
                               "text/html"))  # fmt: skip
        assert archive.current_file is not None
        opened = archive.current_file
    # as a writer that died leaves it: the .open suffix kept
    opened.with_name(opened.name.removesuffix(".open")).rename(opened)
    return tmp_path


def test_feeds_pages_and_the_rest(archive_dir: Path) -> None:
    files = [p for p in source_files([archive_dir]) if isinstance(p, Path)]
    assert [p.name.split("-")[1] for p in files] == ["feeds", "pages", "pages"]
    assert files[-1].name.endswith(".warc.gz.open")
    items = list(read_sources([archive_dir]))
    assert reasons(items) == (
        ["skip:warcinfo"] + ["FeedResponse", "skip:request"] * 3
        + ["skip:warcinfo", "skip:robots-txt", "skip:request", "PageResponse", "skip:request",
           "skip:http-404", "skip:request"]
        + ["skip:warcinfo", "PageResponse", "skip:request"]
    )  # fmt: skip
    feeds = [i for i in items if isinstance(i, FeedResponse)]
    assert [f.url for f in feeds] == ["https://news.example/rss", "https://news.example/atom",
                                      "https://rdf.example/index.rdf"]  # fmt: skip
    assert feeds[0].fetched_at == DAY
    assert feeds[2].body == RDF  # stored decoded: used as stored, never gunzipped again
    assert feeds[1].content_type == "text/xml"
    page = next(i for i in items if isinstance(i, PageResponse))
    assert page.url == ARTICLE and page.body == PAGE
    assert page.fetched_at == DAY + timedelta(minutes=1)
    robots = next(i for i in items if isinstance(i, Skipped) and i.reason == "robots-txt")
    assert "https://news.example/robots.txt" in robots.message
    assert "@" in robots.where and robots.record


def test_classify() -> None:
    assert classify(rss_xml([]), None) == "feed"
    assert classify(atom_xml([]), "text/html") == "feed"  # the body wins
    assert classify(RDF, None) == "feed"
    assert classify(b"\xef\xbb\xbf  <?xml version='1.0'?><!DOCTYPE rss [<!ENTITY a 'b'>]><rss/>",
                    None) == "feed"  # fmt: skip
    assert classify("<rss/>".encode("utf-16"), None) == "feed"
    assert classify(PAGE, None) == "page"
    assert classify(b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>",
                    "application/xhtml+xml") == "page"  # fmt: skip
    assert classify(b"<div>no doctype</div>", None) == "page"
    assert classify(b"junk first <p>then html", "text/html; charset=utf-8") == "page"
    assert classify(b"<html>", "application/rss+xml") == "page"
    assert classify(b"<urlset/>", "application/rss+xml") == "other"
    assert classify(b"<!-- not closed", "application/atom+xml") == "feed"
    assert classify(b'{"json": 1}', "text/html") == "other"
    assert classify(b"<svg/>", None) == "other"


def test_page_index(archive_dir: Path) -> None:
    index = PageIndex.build([archive_dir])
    assert len(index) == 1
    assert index.urls() == {"https://news.example/world/story?id=1"}
    assert ARTICLE in index
    assert ARTICLE + "&utm_source=rss&fbclid=1#top" in index
    assert "https://news.example/gone" not in index  # a 404 is no page
    assert "https://news.example/robots.txt" not in index
    page = index.read("https://NEWS.example:443/world/story?utm_medium=x&id=1")
    assert page is not None
    assert page.body == PAGE.replace(b"caf", b"CAF")  # the newest of the two
    assert page.where.endswith(".warc.gz.open@" + page.where.rsplit("@", 1)[1])
    assert index.read("https://news.example/other") is None


def test_archived_pages_fetch(archive_dir: Path) -> None:
    pages = PageIndex.build([archive_dir]).fetcher()
    found = asyncio.run(pages.fetch(ARTICLE + "&utm_campaign=feed"))
    assert found.failure is None and found.local and found.attempts == 0
    assert found.body == PAGE.replace(b"caf", b"CAF")
    assert found.content_type == "text/html"
    assert found.url == ARTICLE + "&utm_campaign=feed"
    missing = asyncio.run(pages.fetch("https://news.example/missing"))
    assert missing.failure == "not-archived" and missing.body is None
    assert missing.message == "page https://news.example/missing: not in the replayed archive"
    assert pages.used == {"https://news.example/world/story?id=1"}


def test_stored_payload_is_not_decoded_twice(tmp_path: Path) -> None:
    """A payload that looks gzip-encoded, stored by newsmon with X-Crawler-Content-Encoding:
    kept byte for byte (the page really was a gzip file)."""
    body = gzip.compress(b"<rss/>")
    with WarcArchive(tmp_path, kind="feeds", instance="t", clock=lambda: DAY) as archive:
        archive.write(exchange("https://x.example/feed", b"<rss>" + body + b"</rss>", DAY,
                               "application/rss+xml"))  # fmt: skip
    [path] = tmp_path.iterdir()
    [_, feed, _] = read_warc(path)
    assert isinstance(feed, FeedResponse)
    assert feed.body == b"<rss>" + body + b"</rss>"
