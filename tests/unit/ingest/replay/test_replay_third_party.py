"""WARC and ARC files nobody here wrote (warcio's and resiliparse's test data): every record
is accounted for, and what each holds comes back as the crawler stored it."""

import gzip
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from replay_support import DATA, reasons
from warcio.archiveiterator import ArchiveIterator

from ingest.replay.items import PageResponse, Skipped
from ingest.replay.sources import read_file
from ingest.replay.warc import read_warc

THIRD_PARTY = sorted(
    path for path in DATA.glob("*/*") if path.name not in ("LICENSE", "NOTICE", "README.md")
)
# warcio refuses these gzip files (not one member per record); read whole, they hold this many.
STREAMED = {"example-bad-non-chunked.warc.gz", "example-bad.warc.gz.bad",
            "example-wrong-chunks.warc.gz"}  # fmt: skip
# Damaged: the last item says so, and stands for the rest of the file.
DAMAGED = {"clipped.warc.gz": "truncated", "example-space-in-url.arc": "truncated",
           "bad.arc": "corrupt"}  # fmt: skip


def warcio_count(path: Path) -> int:
    """Records as warcio counts them (through the decompressed stream where warcio refuses
    the file as it is)."""
    with path.open("rb") as handle:
        stream = gzip.GzipFile(fileobj=handle) if path.name in STREAMED else handle
        return sum(1 for _ in ArchiveIterator(stream, arc2warc=True))


def test_the_third_party_files_are_there() -> None:
    names = {path.name for path in THIRD_PARTY}
    assert {"example.warc.gz", "example-iana.org-chunked.warc", "warcfile.warc.gz"} <= names
    assert len(THIRD_PARTY) >= 20


@pytest.mark.parametrize("path", THIRD_PARTY, ids=lambda path: path.name)
def test_every_record_is_one_item(path: Path) -> None:
    items = list(read_file(path))
    records = warcio_count(path)
    if path.name in DAMAGED:
        last = items[-1]
        assert isinstance(last, Skipped)
        assert last.reason == DAMAGED[path.name]
        assert str(path) in last.message and "@" in last.where
        assert len(items) <= records
    else:
        assert len(items) == records
        assert not any(isinstance(i, Skipped) and i.reason in ("truncated", "corrupt")
                       for i in items)  # fmt: skip
    for item in items:
        assert item.where.startswith(f"{path}@")
        if isinstance(item, Skipped):
            assert item.message.startswith(item.where)
            assert "\n" not in item.message


def test_example_warc_gz() -> None:
    items = list(read_warc(DATA / "warcio" / "example.warc.gz"))
    assert reasons(items) == ["skip:warcinfo", "skip:warcinfo", "PageResponse", "skip:request",
                              "skip:revisit", "skip:request"]  # fmt: skip
    page = items[2]
    assert isinstance(page, PageResponse)
    assert page.url == "http://example.com/"
    assert page.fetched_at == datetime(2017, 3, 6, 4, 2, 6, tzinfo=UTC)
    assert page.content_type == "text/html"
    assert page.where.endswith("example.warc.gz@784")
    # stored gzip-encoded, as the server sent it: decoded here
    assert page.body.startswith(b"<!doctype html>")
    assert b"<title>Example Domain</title>" in page.body
    assert b"illustrative examples" in page.body
    assert len(page.body) == 1270


def test_plain_and_gzip_files_agree() -> None:
    plain = list(read_warc(DATA / "warcio" / "example.warc"))
    packed = list(read_warc(DATA / "warcio" / "example.warc.gz"))
    assert reasons(plain) == reasons(packed)
    assert plain[2].body == packed[2].body  # type: ignore[union-attr]


def test_chunked_payload_is_dechunked() -> None:
    items = list(read_warc(DATA / "warcio" / "example-iana.org-chunked.warc"))
    assert reasons(items) == ["skip:warcinfo", "PageResponse", "skip:request"]
    page = items[1]
    assert isinstance(page, PageResponse)
    assert page.url == "http://www.iana.org/"
    assert page.body.startswith(b"<!doctype html>")
    assert page.body.rstrip().endswith(b"</html>")
    assert b"Internet Assigned Numbers Authority" in page.body
    assert b"\r\n0\r\n" not in page.body


def test_gzip_not_one_member_per_record_is_read_whole() -> None:
    items = list(read_warc(DATA / "warcio" / "example-bad-non-chunked.warc.gz"))
    assert reasons(items) == reasons(read_warc(DATA / "warcio" / "example.warc"))
    # a response whose record spans two gzip members
    spanning = list(read_warc(DATA / "warcio" / "example-wrong-chunks.warc.gz"))
    assert reasons(spanning) == ["PageResponse", "skip:request"]
    assert isinstance(spanning[0], PageResponse)
    assert spanning[0].body.rstrip().endswith(b"</html>")


def test_wget_warc() -> None:
    items = list(read_warc(DATA / "warcio" / "example-wget-bad-target-uri.warc.gz"))
    assert Counter(reasons(items)) == Counter({"skip:resource": 2, "skip:warcinfo": 1,
        "skip:request": 1, "PageResponse": 1, "skip:metadata": 1})  # fmt: skip
    page = next(i for i in items if isinstance(i, PageResponse))
    assert page.url == "http://example.com/"  # wget's <...> around the URI dropped


def test_arc_files() -> None:
    for name in ("example.arc", "example.arc.gz"):
        items = list(read_file(DATA / "warcio" / name))
        assert reasons(items) == ["skip:warcinfo", "PageResponse"]
        assert items[1].fetched_at == datetime(2014, 2, 16, 5, 2, 21, tzinfo=UTC)  # type: ignore[union-attr]


def test_json_responses_are_neither_feed_nor_page() -> None:
    items = list(read_warc(DATA / "warcio" / "post-test.warc.gz"))
    assert Counter(reasons(items)) == {"skip:not-a-feed-or-page": 3, "skip:request": 3}
    assert "application/json" in items[0].message  # type: ignore[union-attr]


def test_resiliparse_warcfile() -> None:
    items = list(read_warc(DATA / "resiliparse" / "warcfile.warc.gz"))
    assert Counter(reasons(items)) == {"skip:warcinfo": 1, "skip:request": 17,
                                       "PageResponse": 16, "skip:metadata": 16}  # fmt: skip
    pages = [i for i in items if isinstance(i, PageResponse)]
    assert pages[0].url == "http://003338.cn/l41/481397.html"
    assert all(p.fetched_at.tzinfo is UTC and p.fetched_at.year == 2020 for p in pages)


def test_clipped_and_quirky_files() -> None:
    clipped = list(read_warc(DATA / "resiliparse" / "clipped.warc.gz"))
    assert reasons(clipped) == ["skip:truncated"]
    assert "clipped.warc.gz@0" in clipped[0].message  # type: ignore[union-attr]
    # ClueWeb09: WARC/0.18, dates like 2008-10-294T05:21:46-0700 that are no dates
    quirky = list(read_warc(DATA / "resiliparse" / "clueweb-quirk.warc.gz"))
    assert Counter(reasons(quirky)) == {"skip:warcinfo": 1, "skip:bad-date": 29}
    assert "2008-10-294T05:21:46-0700" in quirky[1].message  # type: ignore[union-attr]
