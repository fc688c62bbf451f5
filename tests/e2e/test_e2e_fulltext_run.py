"""Whole articles end to end, embedded mode, loopback only: ``newsmon run --once`` on a teaser
feed whose items link to real pages and to every kind of failing page. Each article is stored
once, with its page's text or its feed's text and the flag saying why; search and stats see
the flags; the WARC archive is read back by warcio and by FastWARC with the same records and
digests. Then the full-text stage is killed mid-batch and restarted: nothing lost or doubled."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecordType
from feedserver import FeedServer, rss_xml
from fulltext_support import corpus, normalised
from local_stack import AppConfig
from run_support import NEWSMON, embedded_env, newsmon, stored_docs
from warcio.archiveiterator import ArchiveIterator

from contract import article_id

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[2] / "examples" / "pages" / "harbour-post"
CONSENT_PAGE = DEMO / "world" / "africa" / "sudan-kadugli-aid-cut-off.html"
REAL_PAGES = [p for p in corpus() if p.file.endswith(".html")][:10]


def teaser_feed(server: FeedServer, links: dict[str, str]) -> bytes:
    """A teaser feed: one sentence per item, as BBC or Reuters feeds carry."""
    items = [
        {"title": f"Story {name}", "link": link, "description": f"One sentence about {name}.",
         "date": "Mon, 23 Nov 2026 10:00:00 GMT"}
        for name, link in links.items()
    ]  # fmt: skip
    return rss_xml(items, title="Teaser Wire")


def warc_records(archive: Path) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(type, target URI, payload digest) of every request/response record, read by warcio and
    by FastWARC."""
    by_warcio, by_fastwarc = [], []
    for path in sorted(archive.glob("*.warc.gz*")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("request", "response"):
                    by_warcio.append((
                        record.rec_type,
                        record.rec_headers.get_header("WARC-Target-URI"),
                        record.rec_headers.get_header("WARC-Payload-Digest") or "",
                    ))  # fmt: skip
        with path.open("rb") as stream:
            wanted = WarcRecordType.request | WarcRecordType.response
            for fast in FastIterator(stream, record_types=wanted, parse_http=False):
                assert fast.verify_block_digest(), f"{path.name}: block digest of {fast.record_id}"
                fast.parse_http()
                if fast.record_type == WarcRecordType.response:
                    assert fast.verify_payload_digest(), f"{path.name}: {fast.record_id}"
                by_fastwarc.append((
                    "request" if fast.record_type == WarcRecordType.request else "response",
                    fast.headers.get("WARC-Target-URI"),
                    fast.headers.get("WARC-Payload-Digest") or "",
                ))  # fmt: skip
    return by_warcio, by_fastwarc


def scenario(
    env: dict[str, str],
    stored: Callable[[], list[dict[str, Any]]],
    tmp_path: Path,
    server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run once over the teaser feed; check the store, search, stats and the archive; run
    again: nothing doubled."""
    server.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    links = {p.file: server.add(f"/real/{n}", p.body, content_type="text/html")
             for n, p in enumerate(REAL_PAGES)}  # fmt: skip
    failing = {
        "missing": (server.url("/gone"), "fulltext-failed:http-404"),
        "private": (server.add("/private/a", b"<html>x</html>", content_type="text/html"),
                    "fulltext-robots"),
        "slow": (server.add("/slow", b"<html>late</html>", content_type="text/html", delay=3),
                 "fulltext-failed:timeout"),
        "pdf": (server.add("/doc", b"%PDF-1.7 ...", content_type="application/pdf"),
                "fulltext-failed:not-html"),
        "consent": (server.add("/consent", CONSENT_PAGE.read_bytes(), content_type="text/html"),
                    "fulltext-failed:consent-wall"),
        "big": (server.add("/big", b"<html><p>" + b"word " * 60_000 + b"</p></html>",
                           content_type="text/html"), "fulltext-failed:too-large"),
        "busy": (server.add("/busy", b"try later", status=503), "fulltext-failed:http-503"),
    }  # fmt: skip
    all_links = {**links, **{name: url for name, (url, _) in failing.items()}}
    feed_url = server.add("/teasers.xml", teaser_feed(server, all_links))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: Teaser Wire\n  url: {feed_url}\n  fulltext: always\n")
    data = Path(env["NEWSMON_DATA_DIR"])
    first = newsmon(env, "run", "--once", "--feeds", str(feeds))
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"pages {len(links)} fetched, {len(failing)} failed, 0 skipped" in first.stdout

    docs = {d["id"]: d for d in stored()}
    assert len(docs) == len(all_links) == len(stored())  # each stored once
    for page in REAL_PAGES:
        doc = docs[article_id(links[page.file])]
        assert doc["text_source"] == "page", (page.file, doc["flags"])
        assert normalised(page.expected[0]) in normalised(doc["text"])
        assert doc["summary"] == f"One sentence about {page.file}."
        assert not [f for f in doc["flags"] if f.startswith("fulltext")]
    for name, (url, flag) in failing.items():
        doc = docs[article_id(url)]
        assert flag in doc["flags"], (name, doc["flags"])
        assert doc["text"] == f"One sentence about {name}." and doc["text_source"] == "feed"
    assert server.requests["/private/a"] == 0
    assert server.requests["/busy"] == 2  # one retry of a transient error

    for query, expected in (
        ("flags:fulltext-robots", [failing["private"][0]]),
        ('flags:"fulltext-failed:timeout"', [failing["slow"][0]]),
        ("flags:fulltext-failed*", [url for url, _ in failing.values() if "/private/" not in url]),
        ("text_source:page", list(links.values())),
    ):
        found = newsmon(env, "search", query, "--json", "--limit", "50")
        assert found.returncode == 0, found.stderr
        assert sorted(h["url"] for h in json.loads(found.stdout)["hits"]) == sorted(expected)

    stats = json.loads(newsmon(env, "stats", "--since", "3650d", "--json").stdout)
    assert stats["pages"]["fetched"] == len(links)
    assert stats["pages"]["failed"] == len(failing)
    assert stats["pages"]["failures"]["fulltext-failed:http-404"] == 1

    # The archive: the feed, robots.txt and every page answered 200 with a body.
    archive = data / "archive"
    by_warcio, by_fastwarc = warc_records(archive)
    assert by_warcio == by_fastwarc
    responses = sorted(uri for kind, uri, _ in by_warcio if kind == "response")
    archived = [feed_url, server.url("/robots.txt"), *links.values(),
                failing["pdf"][0], failing["consent"][0]]  # fmt: skip
    assert responses == sorted(archived)
    assert all(digest.startswith("sha1:") for _, _, digest in by_warcio)
    summary = json.loads(newsmon(env, "archive", "stats", "--json").stdout)
    assert summary["responses"] == len(archived)
    assert summary["responses_per_kind"] == {"feeds": 1, "pages": len(archived) - 1}
    with capsys.disabled():
        size = sum(p.stat().st_size for p in archive.iterdir())
        print(f"\narchive: {len(archived)} responses, {size} bytes on disk, "
              f"{size / len(all_links):.0f} bytes per article")  # fmt: skip

    again = newsmon(env, "run", "--once", "--feeds", str(feeds))
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(stored()) == len(all_links)


PAGE_SETTINGS = {
    "NEWSMON_PAGE_TIMEOUT": "1",
    "NEWSMON_HOST_DELAY": "0",
    "NEWSMON_PAGE_MAX_BYTES": "200000",
    "NEWSMON_PAGE_RETRIES": "1",
    "NEWSMON_PAGE_BACKOFF": "0.1",
}


def test_run_reads_whole_articles_flags_every_failure_and_archives_every_response(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    env = embedded_env(data, **PAGE_SETTINGS)
    scenario(env, lambda: stored_docs(data), tmp_path, feed_server, capsys)


def test_the_same_on_the_cluster(
    app_config: Callable[..., AppConfig],
    es: Elasticsearch,
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = app_config(**{k[len("NEWSMON_") :].lower(): v for k, v in PAGE_SETTINGS.items()})
    env = {**os.environ, **config.env}
    alias = config.env["NEWSMON_INDEX_ALIAS"]

    def stored() -> list[dict[str, Any]]:
        es.indices.refresh(index=alias)
        found = es.search(index=alias, size=1000, query={"match_all": {}})
        return [hit["_source"] for hit in found["hits"]["hits"]]

    scenario(env, stored, tmp_path, feed_server, capsys)
    assert not (Path(config.env["NEWSMON_DATA_DIR"]) / "articles.sqlite3").exists()


def test_the_full_text_stage_killed_mid_batch_loses_and_doubles_nothing(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    server = feed_server
    pages = corpus()
    count = 40
    links = {
        f"k{n}": server.add(f"/k/{n}", pages[n % len(pages)].body, content_type="text/html",
                            delay=0.2)
        for n in range(count)
    }  # fmt: skip
    feed_url = server.add("/teasers.xml", teaser_feed(server, links))
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: Teaser Wire\n  url: {feed_url}\n  fulltext: always\n")
    data = tmp_path / "data"
    env = embedded_env(data, NEWSMON_HOST_DELAY="0.1", NEWSMON_HOST_CONCURRENCY="2",
                       NEWSMON_FULLTEXT_BATCH_SIZE="16", NEWSMON_PAGE_MIN_WORDS="1")  # fmt: skip
    log = tmp_path / "run.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [NEWSMON, "run", "--feeds", str(feeds)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while sum(n for path, n in server.requests.items() if path.startswith("/k/")) < 20:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "no pages fetched within 120 s"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    fetched_at_kill = sum(n for path, n in server.requests.items() if path.startswith("/k/"))
    stored_at_kill = len(stored_docs(data))
    assert stored_at_kill < count, "the kill did not land before the end"

    again = newsmon(env, "run", "--once", "--feeds", str(feeds))
    assert again.returncode == 0, again.stdout + again.stderr
    docs = stored_docs(data)
    assert sorted(d["id"] for d in docs) == sorted(article_id(u) for u in links.values())
    assert all(d["text_source"] == "page" for d in docs), [d["flags"] for d in docs]
    refetched = sum(n for path, n in server.requests.items() if path.startswith("/k/")) - count
    assert refetched >= 1, "the kill did not land in the middle of a batch"
    print(f"killed with {fetched_at_kill} pages fetched, {stored_at_kill} stored; "
          f"{refetched} page(s) fetched again after the restart")  # fmt: skip
