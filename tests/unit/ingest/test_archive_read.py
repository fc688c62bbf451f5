"""Archive files as other readers see them (warcio, FastWARC, ``warcio check``/``index``), and
newsmon's own streaming summary, which notes a file cut short instead of failing."""

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator

from ingest.archive import Exchange, WarcArchive
from ingest.archive_files import ArchiveName, archive_files
from ingest.archive_read import summarize

DAY = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
BODIES = {
    "https://feeds.example/rss": b"<rss version='2.0'><channel/></rss>",
    "https://www.example.org/world/story?id=1": "<p>Kyiv — café</p>".encode() * 200,
    "https://www.example.org/big": os.urandom(300_000),  # several read chunks, incompressible
    "https://feeds.example/atom": b"<feed xmlns='http://www.w3.org/2005/Atom'/>",
}


def exchange(url: str, body: bytes, when: datetime, version: str = "HTTP/1.1") -> Exchange:
    return Exchange(
        url=url,
        method="GET",
        request_headers=[("Host", url.split("/")[2]), ("Accept-Encoding", "gzip, br")],
        status=200,
        reason="OK",
        http_version=version,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Encoding", "br"),
            ("Set-Cookie", "id=caf\xe9; Path=/"),  # a latin-1 byte from the wire
        ],
        body=body,
        fetched_at=when,
        ip_address="2001:db8::1",
    )


@pytest.fixture
def warc(tmp_path: Path) -> tuple[Path, ArchiveName]:
    """A finished file of four exchanges over ten minutes, HTTP/1.1 and HTTP/2."""
    with WarcArchive(tmp_path, kind="pages", instance="t", clock=lambda: DAY) as archive:
        for n, (url, body) in enumerate(BODIES.items()):
            version = "HTTP/2" if n % 2 else "HTTP/1.1"
            archive.write(exchange(url, body, DAY + timedelta(minutes=3 * n), version))
    [(path, name)] = archive_files(tmp_path)
    return path, name


def sha1(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def test_warcio_and_fastwarc_read_the_same_records_and_digests(
    warc: tuple[Path, ArchiveName],
) -> None:
    path, _ = warc
    with path.open("rb") as handle:
        ours = [
            (r.rec_type, r.rec_headers.get_header("WARC-Payload-Digest"), r.raw_stream.read())
            for r in ArchiveIterator(handle)
        ]
    theirs = []
    # the block digest is checked before the HTTP headers are parsed (parsing consumes them)
    for record in FastIterator(str(path), parse_http=False):
        assert record.verify_block_digest(), record.record_id
        if str(record.record_type) != "warcinfo":
            record.parse_http()
            assert record.verify_payload_digest(), record.record_id
        theirs.append((str(record.record_type), record.headers.get("WARC-Payload-Digest")))

    assert [(kind, digest) for kind, digest, _ in ours] == theirs
    assert len(theirs) == 1 + 2 * len(BODIES)
    payloads = [payload for kind, _, payload in ours if kind == "response"]
    assert payloads == list(BODIES.values())
    # the digests are of the payload bytes themselves (SHA-1, base32), not of something else
    assert [digest for kind, digest, _ in ours if kind == "response"] == [
        sha1(body) for body in BODIES.values()
    ]
    assert all(digest == sha1(b"") for kind, digest, _ in ours if kind == "request")


def warcio_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_warcio_check_passes_every_digest(warc: tuple[Path, ArchiveName]) -> None:
    checked = warcio_cli("check", "-v", str(warc[0]))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stderr == ""
    assert checked.stdout.count("digest pass") == 1 + 2 * len(BODIES)
    assert "fail" not in checked.stdout and "not checked" not in checked.stdout


def test_warcio_index_lists_every_record(warc: tuple[Path, ArchiveName]) -> None:
    fields = "offset,length,warc-type,warc-target-uri,http:status,http:content-length"
    indexed = warcio_cli("index", "-f", fields, str(warc[0]))
    assert indexed.returncode == 0 and indexed.stderr == "", indexed.stderr
    rows = [json.loads(line) for line in indexed.stdout.splitlines()]

    assert [row["warc-type"] for row in rows] == ["warcinfo"] + ["response", "request"] * 4
    responses = [row for row in rows if row["warc-type"] == "response"]
    assert [row["warc-target-uri"] for row in responses] == list(BODIES)
    assert {row["http:status"] for row in responses} == {"200"}
    assert [int(row["http:content-length"]) for row in responses] == [
        len(body) for body in BODIES.values()
    ]
    # offsets and lengths tile the file: every record is its own gzip member, none overlap
    assert [int(row["offset"]) for row in rows[1:]] == [
        int(row["offset"]) + int(row["length"]) for row in rows[:-1]
    ]
    last = rows[-1]
    assert int(last["offset"]) + int(last["length"]) == warc[0].stat().st_size


def test_a_summary_counts_responses_hosts_dates_and_payload(
    warc: tuple[Path, ArchiveName],
) -> None:
    path, name = warc
    summary = summarize(path, name)

    assert (summary.records, summary.responses, summary.requests) == (9, 4, 4)
    assert summary.size == path.stat().st_size
    assert summary.payload_bytes == sum(len(body) for body in BODIES.values())
    assert (summary.first, summary.last) == (DAY, DAY + timedelta(minutes=9))
    assert summary.hosts == Counter({"feeds.example": 2, "www.example.org": 2})
    assert summary.problem is None and summary.note is None

    later = summarize(path, name, since=DAY + timedelta(minutes=5))
    assert (later.records, later.responses, later.requests) == (9, 2, 2)
    assert later.first == DAY + timedelta(minutes=6)


def test_a_file_cut_anywhere_is_noted_never_raised(warc: tuple[Path, ArchiveName]) -> None:
    path, name = warc
    data = path.read_bytes()
    cut = path.with_name(path.name + ".open")
    boundaries = set()
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        for _ in records:
            boundaries.add(records.get_record_offset())
    boundaries.add(len(data))

    # a spread of cuts, and cuts next to every member's end: in its trailer, just after it
    near = [b + d for b in boundaries for d in (-9, -4, -1, 1, 30) if 0 <= b + d < len(data)]
    for size in sorted({*range(0, len(data), len(data) // 300), *near}):
        cut.write_bytes(data[:size])
        summary = summarize(cut, name)
        whole = sum(1 for b in boundaries if 0 < b <= size)
        if size in boundaries:
            assert summary.problem is None and summary.records == whole, size
        else:
            assert summary.problem == f"truncated after {plural(whole)}", size
            assert summary.records == whole
            assert summary.note == f"{cut.name}: truncated after {plural(whole)}"


def plural(records: int) -> str:
    return f"{records} record{'' if records == 1 else 's'}"


def test_bytes_no_reader_can_read_are_noted(warc: tuple[Path, ArchiveName]) -> None:
    path, name = warc
    size = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b"\0" * 4096)  # e.g. a file system that crashed mid-append
    summary = summarize(path, name)
    assert summary.records == 9
    assert summary.problem == f"unreadable after 9 records (4096 bytes at offset {size})"


def test_an_unreadable_file_is_noted(tmp_path: Path, warc: tuple[Path, ArchiveName]) -> None:
    missing = tmp_path / "gone.warc.gz"
    summary = summarize(missing, warc[1])
    assert summary.problem is not None and summary.problem.startswith("unreadable: ")


def test_summaries_do_not_echo_file_bytes_to_stderr(
    warc: tuple[Path, ArchiveName], capfd: pytest.CaptureFixture[str]
) -> None:
    path, name = warc
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x1b[2J" * 100)
    summarize(path, name)
    assert "\x1b" not in capfd.readouterr().err
