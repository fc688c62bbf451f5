"""Bad input is reported with its file and position, and the rest is still read."""

import gzip
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from feedserver import atom_xml, rss_xml
from replay_support import Response, reasons, write_warc

from contract import Article, article_id
from ingest.replay.items import FeedResponse, PageResponse, Skipped, StoredArticle
from ingest.replay.jsonl import read_jsonl
from ingest.replay.sources import read_file, read_sources, source_files
from ingest.replay.warc import read_warc

WHEN = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + os.urandom(200)


def three_pages(tmp_path: Path) -> Path:
    return write_warc(tmp_path / "three.warc.gz", [
        Response(f"https://site.example/{n}", f"<html><p>page {n}</p></html>".encode() * 40,
                 WHEN + timedelta(minutes=n))
        for n in range(3)
    ])  # fmt: skip


def offsets(path: Path) -> list[int]:
    return [int(i.where.rsplit("@", 1)[1]) for i in read_warc(path)]


def test_truncated_warc_gz(tmp_path: Path) -> None:
    path = three_pages(tmp_path)
    whole = list(read_warc(path))
    assert reasons(whole) == ["skip:warcinfo"] + ["PageResponse", "skip:request"] * 3
    third = offsets(path)[5]  # the third response
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[: third + 200])
    items = list(read_warc(cut))
    assert reasons(items) == [*reasons(whole[:5]), "skip:truncated"]
    assert [i.body for i in items[:5] if isinstance(i, PageResponse)] == [
        i.body for i in whole[:5] if isinstance(i, PageResponse)
    ]
    last = items[-1]
    assert isinstance(last, Skipped) and last.record
    assert last.where == f"{cut}@{third}"
    assert last.message.startswith(f"{cut}@{third}: ")


def test_every_cut_of_a_warc_is_reported(tmp_path: Path) -> None:
    """Cut anywhere: the whole records before the cut come back, then at most one
    truncated; never an exception, never a record that is not whole."""
    path = three_pages(tmp_path)
    data, whole = path.read_bytes(), reasons(read_warc(path))
    cut = tmp_path / "cut.warc.gz"
    for end in range(0, len(data), 7):
        cut.write_bytes(data[:end])
        got = reasons(read_warc(cut))
        good = got[:-1] if got and got[-1] == "skip:truncated" else got
        assert good == whole[: len(good)], end
        assert got == good or len(good) < len(whole), end


def test_corrupt_gzip_member(tmp_path: Path) -> None:
    path = three_pages(tmp_path)
    data = bytearray(path.read_bytes())
    second = offsets(path)[3]
    data[second + 30 : second + 60] = b"\xff" * 30  # inside the deflate data
    path.write_bytes(bytes(data))
    items = list(read_warc(path))
    assert reasons(items)[:3] == ["skip:warcinfo", "PageResponse", "skip:request"]
    assert reasons(items)[-1] == "skip:truncated"
    assert items[-1].where == f"{path}@{second}"


def test_not_warc_files(tmp_path: Path) -> None:
    png = tmp_path / "image.warc.gz"  # the name says WARC, the bytes do not
    png.write_bytes(PNG)
    gz = tmp_path / "notes.gz"
    gz.write_bytes(gzip.compress(b"just some notes"))
    text = tmp_path / "README"
    text.write_bytes(b"Not a WARC file.\n")
    for path, reason in ((png, "binary"), (gz, "not-warc"), (text, "not-warc")):
        [item] = read_file(path)
        assert isinstance(item, Skipped)
        assert (item.reason, item.record, item.where) == (reason, False, str(path))
        assert item.message.startswith(f"{path}: ")


def test_jsonl_lines(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"\n".join([
        orjson.dumps({"url": "https://a.example/story?utm_source=x", "title": "A",
                      "published": "2026-05-01T10:00:00Z"}),
        b"not json at all",
        b"[1, 2, 3]",
        orjson.dumps({"title": "no url"}),
        b"",
        orjson.dumps({"url": "javascript:x", "title": "bad"}),
    ]) + b"\n")  # fmt: skip
    items = list(read_jsonl(path))
    assert reasons(items) == ["StoredArticle", "skip:not-json", "skip:not-an-article",
                              "skip:not-an-article", "skip:not-an-article"]  # fmt: skip
    assert [i.where for i in items] == [f"{path}:{n}" for n in (1, 2, 3, 4, 6)]
    first = items[0]
    assert isinstance(first, StoredArticle)
    assert first.article.url == "https://a.example/story"
    assert first.article.id == article_id("https://a.example/story")
    assert first.article.lane == "replay" and first.article.source == "a.example"
    assert first.article.fetched_at == first.article.published
    messages = [i.message for i in items[1:] if isinstance(i, Skipped)]
    assert messages[0].startswith(f"{path}:2: not JSON")
    assert "list" in messages[1]
    assert "'url'" in messages[2] and "'url'" in messages[3]


def test_jsonl_shapes(tmp_path: Path) -> None:
    wire = Article(id=article_id("https://w.example/1"), url="https://w.example/1",
                   title="Wire", fetched_at=WHEN, source="Wire News")  # fmt: skip
    hit = {"id": "not-the-hash", "url": "https://h.example/2", "title": "Hit",
           "snippet": "a snippet", "published": None, "fetched_at": "2026-05-02T00:00:00Z",
           "source": "Hits"}  # fmt: skip
    search = {"query": "x", "total": 2, "hits": [hit, {"title": "no url"}]}
    newer = orjson.loads(wire.to_json()) | {"schema_version": 99}
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(b"\n".join([wire.to_json(), orjson.dumps(hit), orjson.dumps(search),
                                 orjson.dumps(newer)]))  # fmt: skip
    items = list(read_file(path))
    assert reasons(items) == ["StoredArticle"] * 3 + ["skip:not-an-article"] * 2
    stored = [i.article for i in items if isinstance(i, StoredArticle)]
    assert stored[0].id == wire.id and stored[0].source == "Wire News"
    assert stored[0].lane == "replay"
    assert stored[1].id == article_id("https://h.example/2")  # a wrong id is recomputed
    assert stored[1].summary == "a snippet" and stored[1].source == "Hits"
    assert stored[1].fetched_at == datetime(2026, 5, 2, tzinfo=UTC)
    assert items[2].where == items[3].where == f"{path}:3"
    assert "hits[1]" in items[3].message  # type: ignore[union-attr]
    assert items[4].where == f"{path}:4" and "schema_version" in items[4].message  # type: ignore[union-attr]


def test_a_date_less_line_takes_the_file_time(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl"
    path.write_bytes(orjson.dumps({"url": "http://b.example/"}))
    os.utime(path, (WHEN.timestamp(), WHEN.timestamp()))
    [item] = read_jsonl(path)
    assert isinstance(item, StoredArticle)
    assert item.article.fetched_at == WHEN and item.article.published is None


def test_a_directory_of_everything(tmp_path: Path) -> None:
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    rss = tmp_path / "a-feed.xml"
    rss.write_bytes(rss_xml([{"title": "One", "link": "https://a.example/1"}]))
    atom = tmp_path / "nested" / "deeper" / "feed.atom"
    atom.write_bytes(atom_xml([{"title": "Two", "link": "https://a.example/2"}]))
    (tmp_path / "nested" / "image.png").write_bytes(PNG)
    (tmp_path / "nested" / "empty.xml").write_bytes(b"")
    (tmp_path / "nested" / "page.html").write_bytes(b"<!doctype html><html></html>")
    (tmp_path / ".hidden" / "skip.xml").write_bytes(rss_xml([]))
    (tmp_path / ".DS_Store").write_bytes(PNG)
    missing = tmp_path / "no-such-file.warc.gz"
    items = list(read_sources([tmp_path, missing, rss]))
    assert [(i.where.removeprefix(f"{tmp_path}/"), reasons([i])[0]) for i in items] == [
        ("a-feed.xml", "FeedResponse"),
        ("nested/deeper/feed.atom", "FeedResponse"),
        ("nested/empty.xml", "skip:empty"),
        ("nested/image.png", "skip:binary"),
        ("nested/page.html", "skip:not-a-feed"),
        ("no-such-file.warc.gz", "skip:missing"),
    ]  # the feed named twice is read once
    feed = items[1]
    assert isinstance(feed, FeedResponse)
    assert feed.url == atom.resolve().as_uri() and feed.content_type is None
    assert feed.fetched_at == datetime.fromtimestamp(atom.stat().st_mtime, UTC)
    assert all(not i.record for i in items if isinstance(i, Skipped))
    # named explicitly, a hidden file is read
    assert [type(i) for i in read_sources([tmp_path / ".hidden" / "skip.xml"])] == [FeedResponse]
    assert next(iter(source_files([missing]))).reason == "missing"  # type: ignore[union-attr]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.warc.gz"
    path.write_bytes(b"WARC/1.1\r\n")
    real_open = Path.open

    def refuse(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:  # as chmod 0 would, for any user (root reads any file)
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    [item] = read_file(path)
    assert isinstance(item, Skipped) and item.reason == "unreadable" and not item.record
