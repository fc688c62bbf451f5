"""A CC-NEWS-shaped WARC of real pages (tests/data/pages): one response per article page,
WARC-Target-URI the article's URL, read back page for page."""

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fulltext_support import corpus
from replay_support import Response, reasons, write_warc
from warcio.archiveiterator import ArchiveIterator

from ingest.replay.items import PageResponse
from ingest.replay.page_index import PageIndex
from ingest.replay.sources import read_sources

START = datetime(2026, 3, 1, 0, 0, 0, 123_000, tzinfo=UTC)


def crawl(tmp_path: Path, *, compress: bool = True) -> tuple[Path, list[Response]]:
    """Every corpus page as a response, a minute apart; every fifth one gzip-encoded and
    chunked as a server sent it, the others plain."""
    responses = [
        Response(page.url, page.body, START + timedelta(minutes=n), gzip_chunked=n % 5 == 0)
        for n, page in enumerate(corpus())
    ]
    name = "CC-NEWS-20260301000000-00001.warc" + (".gz" if compress else "")
    return write_warc(tmp_path / name, responses, compress=compress), responses


def test_every_page_comes_back(tmp_path: Path) -> None:
    path, responses = crawl(tmp_path)
    assert len(responses) == 86
    items = list(read_sources([tmp_path]))
    assert reasons(items) == ["skip:warcinfo"] + ["PageResponse", "skip:request"] * 86
    pages = [i for i in items if isinstance(i, PageResponse)]
    for page, sent in zip(pages, responses, strict=True):
        assert page.url == sent.url
        assert page.fetched_at == sent.when
        assert page.body == sent.body
        assert page.content_type == "text/html"
        assert page.where.startswith(f"{path}@")
    # the archive stored some payloads gzip-encoded and chunked
    with path.open("rb") as handle:
        stored = [r.http_headers for r in ArchiveIterator(handle) if r.rec_type == "response"]
    assert stored[0].get_header("Content-Encoding") == "gzip"
    assert stored[0].get_header("Transfer-Encoding") == "chunked"


def test_uncompressed_warc_too(tmp_path: Path) -> None:
    _, responses = crawl(tmp_path, compress=False)
    pages = [i for i in read_sources([tmp_path]) if isinstance(i, PageResponse)]
    assert [p.body for p in pages] == [r.body for r in responses]


def test_page_index_reads_each_page_back(tmp_path: Path) -> None:
    _, responses = crawl(tmp_path)
    index = PageIndex.build([tmp_path])
    assert len(index) == 86
    for sent in responses[::7]:
        page = index.read(sent.url)
        assert page is not None
        assert page.body == sent.body
        assert page.fetched_at == sent.when


def test_gzip_payload_decoding_is_bounded(tmp_path: Path) -> None:
    bomb = b"<html><body>" + b" " * 30_000_000 + b"</body></html>"
    write_warc(tmp_path / "bomb.warc.gz", [
        Response("https://bomb.example/", bomb, START, gzip_chunked=True),
        Response("https://fine.example/", b"<html><p>fine</p></html>", START),
    ])  # fmt: skip
    assert len(gzip.compress(bomb)) < 100_000
    items = list(read_sources([tmp_path / "bomb.warc.gz"]))
    assert reasons(items) == ["skip:warcinfo", "skip:too-large", "skip:request",
                              "PageResponse", "skip:request"]  # fmt: skip
    assert "https://bomb.example/" in items[1].message  # type: ignore[union-attr]
