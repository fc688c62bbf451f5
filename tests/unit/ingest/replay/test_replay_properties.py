"""Whatever the bytes, reading them never raises and gives only replay items."""

import gzip
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from replay_support import Response, write_warc

from ingest.replay.items import FeedResponse, PageResponse, Skipped, StoredArticle
from ingest.replay.sources import read_file

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
ITEMS = (FeedResponse, PageResponse, StoredArticle, Skipped)
PREFIXES = [b"", b"WARC/1.1\r\n", b"WARC/1.0\r\nContent-Length: 5\r\n\r\n", b"{", b"<rss",
            b"\x1f\x8b", b"filedesc://", b"\xef\xbb\xbf<"]  # fmt: skip


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=400), gzipped=st.booleans())
def test_read_file_never_raises(tmp_path: Path, prefix: bytes, data: bytes, gzipped: bool) -> None:
    body = prefix + data
    path = tmp_path / "input"
    path.write_bytes(gzip.compress(body) if gzipped else body)
    items = list(read_file(path))
    assert items
    assert all(isinstance(item, ITEMS) for item in items)
    assert all(item.where.startswith(str(path)) for item in items)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_a_damaged_byte_in_a_warc_never_raises(tmp_path: Path, position: int, flip: int) -> None:
    source = tmp_path / "source.warc.gz"
    if not source.exists():
        write_warc(
            source,
            [Response(f"https://x.example/{n}", b"<html>%d</html>" % n, WHEN) for n in range(3)],
        )
    data = bytearray(source.read_bytes())
    data[position % len(data)] ^= flip
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(bytes(data))
    items = list(read_file(path))
    assert all(isinstance(item, ITEMS) for item in items)
