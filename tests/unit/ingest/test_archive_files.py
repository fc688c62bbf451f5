"""Archive file names (parsed back, sorted, kept apart) and retention."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingest.archive_files import (
    ArchiveName,
    archive_files,
    check_kind,
    parse_name,
    prune,
    safe_instance,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def put(directory: Path, name: ArchiveName, written: datetime) -> Path:
    """An (empty) archive file named ``name``, last modified at ``written``."""
    path = directory / name.name
    path.write_bytes(b"")
    os.utime(path, (written.timestamp(), written.timestamp()))
    return path


def started(days_ago: float) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(microsecond=0)


def test_a_name_parses_back_even_with_hyphens_in_the_instance() -> None:
    name = ArchiveName("pages", datetime(2026, 11, 20, 9, 5, 1, tzinfo=UTC), "web-2.lan-4242", 7)
    assert name.name == "newsmon-pages-20261120-090501-web-2.lan-4242-00007.warc.gz"
    assert parse_name(name.name) == name
    opened = ArchiveName(name.kind, name.started, name.instance, name.seq, open=True)
    assert opened.name == name.name + ".open"
    assert parse_name(opened.name) == opened
    assert parse_name("newsmon-pages-20261120-090501-h-123456.warc.gz") is not None  # seq > 99999


@pytest.mark.parametrize(
    "name",
    [
        "CC-NEWS-20261120090501-00001.warc.gz",
        "newsmon-pages-20261120-090501-h-00001.warc",
        "newsmon-pages-20261399-090501-h-00001.warc.gz",  # no 99th of a 13th month
        "newsmon-pages-20261120-090501-h-00001.warc.gz.tmp",
        "newsmon-Pages-20261120-090501-h-00001.warc.gz",
    ],
)
def test_other_files_are_not_archive_files(name: str) -> None:
    assert parse_name(name) is None


def test_kinds_and_instances_stay_plain() -> None:
    assert check_kind("feeds") == "feeds"
    with pytest.raises(ValueError, match="lower-case"):
        check_kind("full-text")
    assert safe_instance("host name/1 [x]") == "host_name_1_x_"
    assert safe_instance("") == "_"


def test_listing_sorts_by_kind_then_start_and_skips_other_files(tmp_path: Path) -> None:
    late = put(tmp_path, ArchiveName("feeds", started(1), "b", 0), NOW)
    early = put(tmp_path, ArchiveName("feeds", started(2), "a", 3, open=True), NOW)
    page = put(tmp_path, ArchiveName("pages", started(3), "a", 0), NOW)
    (tmp_path / "notes.txt").write_text("not an archive")
    (tmp_path / ArchiveName("feeds", started(0), "c", 0).name).mkdir()

    assert [path for path, _ in archive_files(tmp_path)] == [early, late, page]
    assert archive_files(tmp_path / "missing") == []


def test_retention_deletes_old_finished_files_only(tmp_path: Path) -> None:
    old = put(tmp_path, ArchiveName("feeds", started(10), "a", 0), started(10))
    old_open = put(tmp_path, ArchiveName("feeds", started(10), "a", 1, open=True), started(10))
    young = put(tmp_path, ArchiveName("feeds", started(2), "a", 2), started(2))
    # copied yesterday, so modified yesterday: its name says when its records were written
    copied = put(tmp_path, ArchiveName("pages", started(10), "b", 0), started(1))
    # started and last written 6.9 days ago: younger than the retention
    edge = put(tmp_path, ArchiveName("pages", started(6.9), "b", 1), started(6.9))
    other = tmp_path / "old.warc.gz"
    other.write_bytes(b"")
    os.utime(other, (started(30).timestamp(),) * 2)

    assert prune(tmp_path, 0, NOW) == []
    assert prune(tmp_path, 7, NOW) == [old, copied]
    assert sorted(tmp_path.iterdir()) == sorted([old_open, young, edge, other])
    assert prune(tmp_path, 7, NOW) == []


def test_retention_day_edge_is_the_end_of_the_named_day(tmp_path: Path) -> None:
    day = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    path = put(tmp_path, ArchiveName("feeds", day, "a", 0), datetime(2026, 11, 29, tzinfo=UTC))
    # modified after its day ended (copied): the day's end, 2026-11-23 00:00, counts
    assert prune(tmp_path, 7, datetime(2026, 11, 29, 23, 59, tzinfo=UTC)) == []
    assert prune(tmp_path, 7, datetime(2026, 11, 30, 0, 1, tzinfo=UTC)) == [path]
