"""The WARC writer: records as stored, rotation by size and by UTC day, unique names, threads."""

import gzip
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from feedserver import FeedServer
from warcio.archiveiterator import ArchiveIterator

from ingest.archive import Exchange, WarcArchive
from ingest.archive_files import archive_files
from ingest.archive_records import stored_response_headers

FETCHED = datetime(2026, 11, 20, 23, 59, 30, 250_000, tzinfo=UTC)


def build_exchange(**overrides: Any) -> Exchange:
    """A gzip-encoded HTTP/1.1 200 for ``https://news.example/rss?page=2``; any field can be
    overridden."""
    fields: dict[str, Any] = {
        "url": "https://news.example/rss?page=2",
        "method": "GET",
        "request_headers": [
            ("Host", "news.example"),
            ("User-Agent", "newsmon/0.1"),
            ("Accept-Encoding", "gzip, deflate"),
        ],
        "status": 200,
        "reason": "OK",
        "http_version": "HTTP/1.1",
        "response_headers": [
            ("Content-Type", "application/rss+xml; charset=utf-8"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "57"),
            ("ETag", '"v1"'),
        ],
        "body": b"<rss version='2.0'><channel><title>News</title></channel></rss>",
        "fetched_at": FETCHED,
        "ip_address": "203.0.113.7",
    }
    fields.update(overrides)
    return Exchange(**fields)


@pytest.fixture
def make_exchange() -> Callable[..., Exchange]:
    """Factory: ``make_exchange(url=..., body=...)`` -> an :class:`Exchange`."""
    return build_exchange


class Clock:
    """A settable UTC clock for the writer."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def records(path: Path) -> list[Any]:
    """Every record of ``path`` read by warcio, with its payload read into ``.payload``."""
    found = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            record.payload = record.content_stream().read()
            found.append(record)
    return found


def only_file(directory: Path) -> Path:
    (path, _), *rest = archive_files(directory)
    assert rest == []
    return path


def test_an_exchange_is_a_warcinfo_a_response_and_a_request(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    exchange = make_exchange()
    with WarcArchive(tmp_path, kind="feeds", instance="test") as archive:
        archive.write(exchange)
    info, response, request = records(only_file(tmp_path))

    assert [r.rec_type for r in (info, response, request)] == ["warcinfo", "response", "request"]
    assert b"software: newsmon/" in info.payload and b"format: WARC File Format 1.1" in info.payload
    for record in (response, request):
        headers = record.rec_headers
        assert headers.protocol == "WARC/1.1"
        assert headers.get_header("WARC-Target-URI") == exchange.url
        assert headers.get_header("WARC-Date") == "2026-11-20T23:59:30.250000Z"
        assert headers.get_header("WARC-IP-Address") == "203.0.113.7"
        assert headers.get_header("WARC-Protocol") == "http/1.1"
        assert headers.get_header("WARC-Warcinfo-ID") == info.rec_headers.get_header(
            "WARC-Record-ID"
        )
        assert headers.get_header("WARC-Block-Digest").startswith("sha1:")
        assert headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert request.rec_headers.get_header("WARC-Concurrent-To") == response.rec_headers.get_header(
        "WARC-Record-ID"
    )
    assert (response.http_headers.protocol, response.http_headers.statusline) == (
        "HTTP/1.1",
        "200 OK",
    )
    assert response.payload == exchange.body
    assert response.http_headers.get_header("ETag") == '"v1"'
    assert (request.http_headers.protocol, request.http_headers.statusline) == (
        "GET",
        "/rss?page=2 HTTP/1.1",
    )
    assert request.http_headers.headers == exchange.request_headers
    assert request.payload == b""


def test_decoded_payload_gets_common_crawls_headers(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    exchange = make_exchange(
        response_headers=[
            ("Content-Type", "text/html"),
            ("Content-Encoding", "br"),
            ("Transfer-Encoding", "chunked"),
        ]
    )
    with WarcArchive(tmp_path, kind="pages") as archive:
        archive.write(exchange)
    response = records(only_file(tmp_path))[1]

    assert response.http_headers.headers == [
        ("Content-Type", "text/html"),
        ("X-Crawler-Content-Encoding", "br"),
        ("X-Crawler-Transfer-Encoding", "chunked"),
        ("Content-Length", str(len(exchange.body))),
    ]
    # warcio's content_stream() honours Content-Encoding: nothing is left to decode
    assert response.payload == exchange.body


def test_content_length_is_masked_when_wrong_and_kept_when_right() -> None:
    assert stored_response_headers(
        [("content-encoding", "gzip"), ("content-length", "57"), ("date", "x")], 120
    ) == [
        ("X-Crawler-Content-Encoding", "gzip"),
        ("X-Crawler-Content-Length", "57"),
        ("Content-Length", "120"),
        ("date", "x"),
    ]
    kept = [("Content-Type", "text/xml"), ("Content-Length", "120")]
    assert stored_response_headers(kept, 120) == kept
    # two Content-Length headers: one stored, the originals kept aside
    twice = [("Content-Length", "120"), ("Content-Length", "120")]
    assert stored_response_headers(twice, 120) == [
        ("X-Crawler-Content-Length", "120"),
        ("Content-Length", "120"),
        ("X-Crawler-Content-Length", "120"),
    ]


def test_http2_is_stored_in_http11_syntax_with_warc_protocol(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    exchange = make_exchange(
        http_version="HTTP/2",
        reason="",
        request_headers=[("host", "news.example"), ("accept", "*/*")],
        response_headers=[("content-type", "text/xml")],
    )
    with WarcArchive(tmp_path, kind="feeds") as archive:
        archive.write(exchange)
    _, response, request = records(only_file(tmp_path))

    assert response.http_headers.protocol == "HTTP/1.1"
    assert response.http_headers.statusline == "200 OK"  # the standard phrase, h2 has none
    assert request.http_headers.statusline == "/rss?page=2 HTTP/1.1"
    assert response.rec_headers.get_header("WARC-Protocol") == "h2"


def test_headers_are_stored_byte_for_byte_and_cannot_break_the_record(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    raw = b"attachment; filename=caf\xe9.xml"
    exchange = make_exchange(
        response_headers=[
            ("Content-Disposition", raw.decode("latin-1")),
            ("X-Evil", "a\r\nContent-Length: 0\r\n\r\n"),
        ]
    )
    with WarcArchive(tmp_path, kind="feeds") as archive:
        archive.write(exchange)
    path = only_file(tmp_path)
    response = records(path)[1]

    assert response.payload == exchange.body
    assert response.http_headers.get_header("X-Evil") == "a  Content-Length: 0"
    assert response.http_headers.get_header("Content-Length") == str(len(exchange.body))
    stored = gzip.decompress(path.read_bytes())
    assert b"\r\nContent-Disposition: " + raw + b"\r\n" in stored


def test_a_url_with_spaces_and_non_ascii_is_percent_encoded(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    exchange = make_exchange(url="https://news.example/a b/é?q=1")
    with WarcArchive(tmp_path, kind="pages") as archive:
        archive.write(exchange)
    _, response, request = records(only_file(tmp_path))
    assert response.rec_headers.get_header("WARC-Target-URI") == (
        "https://news.example/a%20b/%C3%A9?q=1"
    )
    assert request.http_headers.statusline == "/a%20b/%C3%A9?q=1 HTTP/1.1"


def test_an_exchange_that_cannot_be_stored_is_refused_and_leaves_the_file_clean(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    with WarcArchive(tmp_path, kind="feeds") as archive:
        with pytest.raises(ValueError, match="no time zone"):
            archive.write(make_exchange(fetched_at=datetime(2026, 11, 20, 12)))
        with pytest.raises(ValueError, match="HTTP version"):
            archive.write(make_exchange(http_version="SPDY/3"))
        archive.write(make_exchange())
    assert [r.rec_type for r in records(only_file(tmp_path))] == [
        "warcinfo",
        "response",
        "request",
    ]


def test_a_failed_write_is_cut_off_the_file(
    tmp_path: Path, make_exchange: Callable[..., Exchange], monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = WarcArchive(tmp_path, kind="feeds")
    archive.write(make_exchange(url="https://news.example/1"))
    writer = archive._writer

    def half_then_fail(request: Any, response: Any) -> None:
        writer.out.write(b"\x1f\x8b\x08\x00half a member")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write_request_response_pair", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        archive.write(make_exchange(url="https://news.example/2"))
    monkeypatch.undo()
    archive.write(make_exchange(url="https://news.example/3"))
    archive.close()

    uris = [
        r.rec_headers.get_header("WARC-Target-URI")
        for r in records(only_file(tmp_path))
        if r.rec_type == "response"
    ]
    assert uris == ["https://news.example/1", "https://news.example/3"]


def test_the_file_is_open_while_written_and_finished_on_close(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    archive = WarcArchive(tmp_path, kind="feeds", instance="host-1", clock=Clock(FETCHED))
    assert archive.current_file is None
    archive.write(make_exchange())
    current = archive.current_file
    assert current is not None and current.name.endswith(".warc.gz.open") and current.exists()
    assert current.name == "newsmon-feeds-20261120-235930-host-1-00000.warc.gz.open"
    archive.close()
    archive.close()
    assert archive.current_file is None and not current.exists()
    assert only_file(tmp_path).name == "newsmon-feeds-20261120-235930-host-1-00000.warc.gz"
    with pytest.raises(RuntimeError, match="closed"):
        archive.write(make_exchange())


def test_files_rotate_past_the_size_limit(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    with WarcArchive(tmp_path, kind="pages", max_file_bytes=2_000) as archive:
        for n in range(6):
            archive.write(
                make_exchange(url=f"https://news.example/{n}", body=bytes(range(256)) * 8)
            )
    files = archive_files(tmp_path)

    assert len(files) >= 3 and not any(name.open for _, name in files)
    assert [name.seq for _, name in files] == list(range(len(files)))
    uris = []
    for path, _ in files:
        read = records(path)
        assert read[0].rec_type == "warcinfo"
        assert read[0].rec_headers.get_header("WARC-Filename") == path.name
        uris += [r.rec_headers.get_header("WARC-Target-URI") for r in read[1::2]]
    assert uris == [f"https://news.example/{n}" for n in range(6)]
    # a file is finished once past the limit: all but the last hold more than it
    assert all(path.stat().st_size >= 2_000 for path, _ in files[:-1])


def test_files_rotate_when_the_utc_day_changes(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    clock = Clock(datetime(2026, 11, 20, 23, 59, 59, tzinfo=UTC))
    with WarcArchive(tmp_path, kind="feeds", instance="a", clock=clock) as archive:
        archive.write(make_exchange(url="https://news.example/before"))
        # fetched before midnight, written after: the new day's file, its own WARC-Date
        clock.now = datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC)
        archive.write(make_exchange(url="https://news.example/straddles"))
        # 03:00 at +02:00 is 01:00 UTC: the same UTC day, the same file
        clock.now = datetime(2026, 11, 21, 3, 0, 0, tzinfo=timezone(timedelta(hours=2)))
        archive.write(make_exchange(url="https://news.example/same-utc-day"))
    names = [path.name for path, _ in archive_files(tmp_path)]

    assert names == [
        "newsmon-feeds-20261120-235959-a-00000.warc.gz",
        "newsmon-feeds-20261121-000001-a-00001.warc.gz",
    ]
    assert len(records(tmp_path / names[1])) == 5
    straddles = records(tmp_path / names[1])[1]
    assert straddles.rec_headers.get_header("WARC-Date") == "2026-11-20T23:59:30.250000Z"


def test_writers_side_by_side_never_share_a_name(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    clock = Clock(FETCHED)
    same = [WarcArchive(tmp_path, kind="feeds", instance="host-1", clock=clock) for _ in range(3)]
    other = WarcArchive(tmp_path, kind="feeds", clock=clock)  # host-pid by default
    for archive in [*same, other]:
        archive.write(make_exchange())
    opened = {archive.current_file for archive in [*same, other]}
    for archive in [*same, other]:
        archive.close()

    assert len(opened) == 4
    assert len(archive_files(tmp_path)) == 4
    assert other.instance.endswith(f"-{os.getpid()}")


def test_threads_writing_at_once_lose_and_mix_nothing(
    tmp_path: Path, make_exchange: Callable[..., Exchange]
) -> None:
    threads, each = 8, 25
    archive = WarcArchive(tmp_path, kind="pages", max_file_bytes=20_000)

    def work(worker: int) -> None:
        for n in range(each):
            body = f"<p>{worker}/{n}</p>".encode() * 50
            archive.write(make_exchange(url=f"https://t{worker}.example/{n}", body=body))

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    archive.close()

    seen = set()
    files = archive_files(tmp_path)
    assert len(files) > 1
    for path, _ in files:
        read = records(path)
        assert read[0].rec_type == "warcinfo"
        for response, request in zip(read[1::2], read[2::2], strict=True):
            assert (response.rec_type, request.rec_type) == ("response", "request")
            assert request.rec_headers.get_header(
                "WARC-Concurrent-To"
            ) == response.rec_headers.get_header("WARC-Record-ID")
            uri = response.rec_headers.get_header("WARC-Target-URI")
            worker, n = uri.removeprefix("https://t").split(".example/")
            assert response.payload == f"<p>{worker}/{n}</p>".encode() * 50
            seen.add(uri)
    assert len(seen) == threads * each


def test_a_real_gzip_response_over_loopback_is_stored_decoded_and_consistent(
    tmp_path: Path, feed_server: FeedServer, make_rss: Callable[..., bytes]
) -> None:
    body = make_rss([{"title": "Ceasefire talks", "link": "https://news.example/1"}])
    wire = gzip.compress(body)
    url = feed_server.add("/rss", wire, headers={"Content-Encoding": "gzip"}, etag='"e1"')
    with httpx.Client() as client:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
    latin1 = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
    sent = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.request.headers.raw]
    exchange = Exchange(
        url=str(response.request.url),
        method=response.request.method,
        request_headers=sent,
        status=response.status_code,
        reason=response.reason_phrase,
        http_version=response.http_version,
        response_headers=latin1,
        body=response.content,
        fetched_at=datetime.now(UTC),
        ip_address="127.0.0.1",
    )
    with WarcArchive(tmp_path, kind="feeds") as archive:
        archive.write(exchange)
    _, stored, request = records(only_file(tmp_path))

    assert stored.payload == body
    assert stored.http_headers.get_header("Content-Length") == str(len(body))
    assert stored.http_headers.get_header("X-Crawler-Content-Length") == str(len(wire))
    assert stored.http_headers.get_header("X-Crawler-Content-Encoding") == "gzip"
    assert stored.http_headers.get_header("Content-Encoding") is None
    assert stored.http_headers.get_header("ETag") == '"e1"'
    assert request.http_headers.statusline == "/rss HTTP/1.1"
    assert request.http_headers.get_header("Accept-Encoding") == "gzip"
    assert feed_server.request_headers["/rss"][0]["Accept-Encoding"] == "gzip"
    # BaseHTTPRequestHandler answers in HTTP/1.0; httpx asked in HTTP/1.1
    assert (stored.http_headers.protocol, exchange.http_version) == ("HTTP/1.0", "HTTP/1.0")
    assert stored.rec_headers.get_header("WARC-Protocol") == "http/1.0"
    assert request.rec_headers.get_header("WARC-Protocol") == "http/1.1"
