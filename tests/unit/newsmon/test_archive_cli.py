"""`newsmon archive ls|stats`: the WARC files and their totals, a truncated file noted."""

import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingest.archive import Exchange, WarcArchive
from ingest.archive_files import ArchiveName
from newsmon.archive_cli import archive_app

FEEDS_DAY = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
PAGES_DAY = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def write(archive_dir: Path, kind: str, day: datetime, urls: list[str]) -> Path:
    """A finished file of one exchange per URL, a minute apart from ``day``; its path."""
    with WarcArchive(archive_dir, kind=kind, instance="host-1", clock=lambda: day) as archive:
        for n, url in enumerate(urls):
            archive.write(
                Exchange(
                    url=url,
                    method="GET",
                    request_headers=[("Host", url.split("/")[2])],
                    status=200,
                    reason="OK",
                    http_version="HTTP/1.1",
                    response_headers=[("Content-Type", "text/html")],
                    body=f"<html>{url}</html>".encode() * 20,
                    fetched_at=day + timedelta(minutes=n),
                )
            )
        assert archive.current_file is not None
        path = archive.current_file
    return path.with_name(path.name.removesuffix(".open"))


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir whose archive holds a feeds file, a pages file, and a pages file cut short
    by a crash (still ``.open``)."""
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NEWSMON_ARCHIVE_DIR", raising=False)
    archive = tmp_path / "archive"
    write(archive, "feeds", FEEDS_DAY, ["https://a.example/rss", "https://a.example/atom"])
    pages = write(
        archive,
        "pages",
        PAGES_DAY,
        ["https://b.example/1", "https://b.example/2", "https://c.example/1"],
    )
    crashed = ArchiveName("pages", PAGES_DAY + timedelta(hours=1), "host-2", 0, open=True)
    whole = pages.read_bytes()
    (archive / crashed.name).write_bytes(whole[: len(whole) - 100])
    return tmp_path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(archive_app, list(args), env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ls_json_is_one_object_per_file(data: Path) -> None:
    rows = [json.loads(line) for line in invoke("ls", "--json").splitlines()]

    assert [(r["kind"], r["state"], r["responses"], r["requests"]) for r in rows] == [
        ("feeds", "finished", 2, 2),
        ("pages", "finished", 3, 3),
        ("pages", "open", 3, 2),  # cut in the last exchange's request
    ]
    feeds, _, crashed = rows
    assert feeds["name"] == "newsmon-feeds-20261120-060000-host-1-00000.warc.gz"
    assert feeds["bytes"] == (data / "archive" / feeds["name"]).stat().st_size
    assert (feeds["first"], feeds["last"]) == (
        "2026-11-20T06:00:00+00:00",
        "2026-11-20T06:01:00+00:00",
    )
    assert feeds["records"] == 5 and feeds["note"] is None
    assert crashed["name"] == "newsmon-pages-20261121-070000-host-2-00000.warc.gz.open"
    assert crashed["note"] == f"{crashed['name']}: truncated after 6 records"


def test_ls_prints_every_name_whole_and_the_note(data: Path) -> None:
    lines = invoke("ls").splitlines()
    rows = [line for line in lines if not line.startswith("note:")]

    for name in (
        "newsmon-feeds-20261120-060000-host-1-00000.warc.gz",
        "newsmon-pages-20261121-060000-host-1-00000.warc.gz",
        "newsmon-pages-20261121-070000-host-2-00000.warc.gz.open",
    ):
        [line] = [row for row in rows if name in row]  # one line a file, at 80 columns too
    assert "2026-11-21 06:00" in line and "open" in line
    assert lines[-1] == (
        "note: newsmon-pages-20261121-070000-host-2-00000.warc.gz.open: truncated after 6 records"
    )


def test_stats_json_totals_everything(data: Path) -> None:
    report = json.loads(invoke("stats", "--json"))
    archive = data / "archive"

    assert (report["files"], report["responses"], report["requests"]) == (3, 8, 7)
    assert report["bytes_on_disk"] == sum(p.stat().st_size for p in archive.iterdir())
    assert report["payload_bytes"] == 20 * sum(
        len(f"<html>{url}</html>")
        for url in [
            "https://a.example/rss",
            "https://a.example/atom",
            *["https://b.example/1", "https://b.example/2", "https://c.example/1"],
            *["https://b.example/1", "https://b.example/2", "https://c.example/1"],
        ]
    )
    assert (report["first"], report["last"]) == (
        "2026-11-20T06:00:00+00:00",
        "2026-11-21T06:02:00+00:00",
    )
    assert report["responses_per_kind"] == {"feeds": 2, "pages": 6}
    assert report["top_hosts"] == [
        {"host": "b.example", "responses": 4},
        {"host": "a.example", "responses": 2},
        {"host": "c.example", "responses": 2},
    ]
    assert report["disk_bytes_per_response"] == round(report["bytes_on_disk"] / 8)
    assert report["payload_bytes_per_response"] == round(report["payload_bytes"] / 8)
    assert report["notes"] == [
        "newsmon-pages-20261121-070000-host-2-00000.warc.gz.open: truncated after 6 records"
    ]
    assert report["since"] is None


def test_stats_since_counts_later_responses_only(data: Path) -> None:
    report = json.loads(invoke("stats", "--json", "--since", "2026-11-21T06:01:00"))

    assert (report["files"], report["responses"], report["requests"]) == (2, 4, 3)
    assert report["responses_per_kind"] == {"pages": 4}
    assert report["first"] == "2026-11-21T06:01:00+00:00"
    assert report["since"] == "2026-11-21T06:01:00+00:00"
    assert json.loads(invoke("stats", "--json", "--since", "24h"))["responses"] == 0


def test_stats_text_reads_as_a_report(data: Path) -> None:
    text = invoke("stats", "--top", "2")

    assert "3 file(s): 8 response(s), 7 request(s);" in text
    assert "dated 2026-11-20 06:00 to 2026-11-21 06:02 UTC" in text
    assert "responses per kind: feeds 2, pages 6" in text
    assert "b.example" in text and "a.example" in text and "c.example" not in text
    assert "truncated after 6 records" in text


def test_an_empty_archive_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_ARCHIVE_DIR", str(tmp_path))
    assert invoke("ls") == f"no archive files in {tmp_path}\n"
    assert invoke("ls", "--json") == ""
    report = json.loads(invoke("stats", "--json"))
    assert (report["files"], report["responses"], report["first"]) == (0, 0, None)
    assert invoke("stats").startswith("0 file(s): 0 response(s)")


def test_data_option_chooses_the_data_dir(
    data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copytree(data / "archive", elsewhere / "archive")
    (elsewhere / "archive" / "newsmon-feeds-20261120-060000-host-1-00000.warc.gz").unlink()
    rows = invoke("ls", "--json", "--data", str(elsewhere)).splitlines()
    assert len(rows) == 2


def test_no_archive_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSMON_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NEWSMON_ARCHIVE_DIR", raising=False)
    result = CliRunner().invoke(archive_app, ["stats"])
    assert result.exit_code == 1
    assert "no archive in" in result.stderr and str(tmp_path / "archive") in result.stderr


def test_hosts_from_the_web_print_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file written by another tool may hold any URI: its host is data, not terminal input."""
    monkeypatch.setenv("NEWSMON_ARCHIVE_DIR", str(tmp_path))
    name = ArchiveName("pages", PAGES_DAY, "other", 0)
    with (tmp_path / name.name).open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        record = writer.create_warc_record(
            "https://\u202eevil\x07.example/",
            "response",
            payload=io.BytesIO(b"x"),
            length=1,
            http_headers=StatusAndHeaders("200 OK", [], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2026-11-21T06:00:00Z"},
        )
        writer.write_record(record)
    text = invoke("stats")
    assert "evil" in text and "\u202e" not in text and "\x07" not in text
