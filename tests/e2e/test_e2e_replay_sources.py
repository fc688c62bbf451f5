"""``newsmon replay`` end to end (embedded) on input nobody here shaped for it: warcio's and
resiliparse's test WARCs, a CC-NEWS-shaped WARC of trafilatura's real pages, bad input of every
kind, usage errors, a date range, and the ``newsmon export`` round trip.

The per-file numbers are what the readers give (established once by reading, then pinned): a
record is one WARC/ARC record, JSONL line or file that is not read as records; an HTML page
response no feed pointed to is an article by itself when its text has 30 words or more.
"""

import gzip
import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import orjson
import pytest
from feedserver import rss_xml
from fulltext_support import corpus, normalised
from replay_support import DATA, Response, write_warc
from run_support import embedded_env, newsmon, stored_docs
from warcio.archiveiterator import ArchiveIterator

from contract.ids import article_id, canonical_url
from ingest.replay.warc import warc_date

pytestmark = pytest.mark.e2e

SKIPPED_EXIT = 3
LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled" / "dev.jsonl"
CONSENT_PAGE = (
    Path(__file__).resolve().parents[2]
    / "examples/pages/harbour-post/world/africa/sudan-kadugli-aid-cut-off.html"
)
START = datetime(2026, 7, 1, tzinfo=UTC)  # after every page's own date


@dataclass(frozen=True)
class Expect:
    """What replaying one file gives: records read, articles made, records skipped per reason,
    and the exit code (3: the file is damaged or not what a replay reads)."""

    records: int
    articles: int
    skipped: dict[str, int] = field(default_factory=dict)
    exit: int = 0


TOO_LITTLE = "page-too-little-text"  # example.com's page: 28 words
THIRD_PARTY = {
    "README.md": Expect(1, 0, {"not-warc": 1}, SKIPPED_EXIT),
    "resiliparse/LICENSE": Expect(1, 0, {"not-warc": 1}, SKIPPED_EXIT),
    # record type "unknown": not one WARC 1.1 defines
    # a record type the WARC standard says readers must ignore: counted, no problem
    "resiliparse/block-sized-records.warc.gz": Expect(3, 0, {"unknown": 3}),
    "resiliparse/clipped.warc.gz": Expect(1, 0, {"truncated": 1}, SKIPPED_EXIT),
    # ClueWeb09: WARC-Date 2008-10-294T05:21:46-0700 is no date
    "resiliparse/clueweb-quirk.warc.gz": Expect(
        30, 0, {"bad-date": 29, "warcinfo": 1}, SKIPPED_EXIT
    ),
    "resiliparse/warcfile.warc.gz": Expect(
        50, 15, {"metadata": 16, TOO_LITTLE: 1, "request": 17, "warcinfo": 1}
    ),
    "warcio/LICENSE": Expect(1, 0, {"not-warc": 1}, SKIPPED_EXIT),
    "warcio/NOTICE": Expect(1, 0, {"not-warc": 1}, SKIPPED_EXIT),
    "warcio/bad.arc": Expect(1, 0, {"corrupt": 1}, SKIPPED_EXIT),
    "warcio/example-bad-non-chunked.warc.gz": Expect(
        6, 0, {TOO_LITTLE: 1, "request": 2, "revisit": 1, "warcinfo": 2}
    ),
    "warcio/example-bad.warc.gz.bad": Expect(
        6, 0, {"http-302": 1, TOO_LITTLE: 1, "request": 2, "revisit": 1, "warcinfo": 1}
    ),
    "warcio/example-digest.warc": Expect(4, 0, {"request": 4}),
    "warcio/example-iana.org-chunked.warc": Expect(3, 1, {"request": 1, "warcinfo": 1}),
    "warcio/example-resource.warc.gz": Expect(3, 0, {"resource": 1, "warcinfo": 2}),
    "warcio/example-space-in-target-uri.warc.gz": Expect(2, 0, {"resource": 1, "warcinfo": 1}),
    "warcio/example-space-in-url.arc": Expect(2, 0, {"truncated": 1, "warcinfo": 1}, SKIPPED_EXIT),
    # its Content-Length is short; warcio (and so the reader) finds the next record anyway
    "warcio/example-trunc.warc": Expect(4, 0, {TOO_LITTLE: 1, "request": 1, "warcinfo": 2}),
    "warcio/example-wget-bad-target-uri.warc.gz": Expect(
        6, 0, {"metadata": 1, TOO_LITTLE: 1, "request": 1, "resource": 2, "warcinfo": 1}
    ),
    "warcio/example-wrong-chunks.warc.gz": Expect(2, 0, {TOO_LITTLE: 1, "request": 1}),
    "warcio/example.arc": Expect(2, 0, {TOO_LITTLE: 1, "warcinfo": 1}),
    "warcio/example.arc.gz": Expect(2, 0, {TOO_LITTLE: 1, "warcinfo": 1}),
    "warcio/example.warc": Expect(6, 0, {TOO_LITTLE: 1, "request": 2, "revisit": 1, "warcinfo": 2}),
    "warcio/example.warc.gz": Expect(
        6, 0, {TOO_LITTLE: 1, "request": 2, "revisit": 1, "warcinfo": 2}
    ),
    # JSON answers to POSTs
    "warcio/post-test.warc.gz": Expect(6, 0, {"not-a-feed-or-page": 3, "request": 3}),
}
DAMAGED = {"truncated", "corrupt", "not-warc", "bad-date"}
"""The reasons that make a problem of a third-party file (exit code 3, a message)."""


def replay_json(data: Path, *args: str | Path) -> tuple[dict[str, Any], CompletedProcess[str]]:
    """``newsmon replay ... --json`` into ``data`` (created empty if need be): the summary."""
    data.mkdir(parents=True, exist_ok=True)
    done = newsmon(embedded_env(data), "replay", *map(str, args), "--json", "--data", str(data))
    assert done.returncode in (0, SKIPPED_EXIT), done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout), done


def row(name: str, summary: dict[str, Any], code: int) -> str:
    """One line of the printed table."""
    reasons = ", ".join(f"{k} {v}" for k, v in summary["skipped"]["records"].items())
    return f"{name:<46} {summary['records']:>7} {summary['articles']:>8}  exit {code}  {reasons}"


def table(title: str, rows: list[str]) -> str:
    head = f"{'file':<46} {'records':>7} {'articles':>8}  {'':6}  skipped (reason count)"
    return "\n".join(["", title, head, *rows])


def responses_by_url(paths: list[Path]) -> dict[str, datetime | None]:
    """WARC-Date of every 200 response, by canonical WARC-Target-URI, as warcio reads them."""
    found = {}
    for path in paths:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle, arc2warc=True):
                http = record.http_headers
                if record.rec_type == "response" and http and http.get_statuscode() == "200":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    found[canonical_url(url)] = warc_date(record.rec_headers["WARC-Date"])
    return found


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_third_party_warcs_replay_file_by_file_and_as_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    everything = sorted(p for p in DATA.rglob("*") if p.is_file())
    assert {str(p.relative_to(DATA)) for p in everything} == set(THIRD_PARTY)
    # one call each for the WARC/ARC files; the licences and README only in the directory
    files = [
        p for p in everything if "not-warc" not in THIRD_PARTY[str(p.relative_to(DATA))].skipped
    ]

    def dry(path: Path) -> tuple[dict[str, Any], CompletedProcess[str]]:
        return replay_json(tmp_path / f"dry-{files.index(path)}", path, "--dry-run")

    with ThreadPoolExecutor(4) as pool:
        results = dict(zip(files, pool.map(dry, files), strict=True))
    rows = []
    for path, (summary, done) in results.items():
        name = str(path.relative_to(DATA))
        want = THIRD_PARTY[name]
        rows.append(row(name, summary, done.returncode))
        got = (summary["records"], summary["articles"], summary["skipped"]["records"])
        assert got == (want.records, want.articles, want.skipped), name
        assert summary["published"] == want.articles  # a dry run counts what would go out
        assert done.returncode == want.exit, name
        problems = {k: v for k, v in want.skipped.items() if k in DAMAGED}
        assert summary["problems"] == problems, name
        assert len(summary["messages"]) == sum(problems.values())
        assert all(m.startswith(str(path)) for m in summary["messages"]), name
    totals = Counter[str]()
    for want in THIRD_PARTY.values():
        totals.update(want.skipped)

    # The directory in one call, into an empty data dir: the same records; example.com's page
    # (in nine files) is one page; the 16 articles are stored.
    data = tmp_path / "all"
    summary, done = replay_json(data, DATA)
    rows.append(row("(the directory, one call)", summary, done.returncode))
    with capsys.disabled():
        print(table("third-party WARC/ARC files (tests/data/warc)", rows))
    assert done.returncode == SKIPPED_EXIT
    assert summary["records"] == sum(e.records for e in THIRD_PARTY.values()) == 149
    assert summary["articles"] == summary["published"] == 16
    pages = {"page-too-little-text": 3}  # example.com/, example.com?example=1, 05925.net
    assert summary["skipped"]["records"] == {**totals, **pages}
    assert summary["problems"] == {k: v for k, v in totals.items() if k in DAMAGED}
    assert summary["pages"] == {"used": 16, "not_archived": 0}

    truth = responses_by_url([DATA / "resiliparse/warcfile.warc.gz",
                              DATA / "warcio/example-iana.org-chunked.warc"])  # fmt: skip
    docs = stored_docs(data)
    assert len(docs) == 16
    assert "http://www.iana.org/" in {d["url"] for d in docs}
    for doc in docs:
        assert doc["url"] in truth, doc["url"]  # the WARC-Target-URI
        assert moment(doc["fetched_at"]) == truth[doc["url"]]  # the WARC-Date
        assert doc["id"] == article_id(doc["url"])
        assert doc["text_source"] == "page" and doc["lane"] == "replay"
        assert len(doc["text"].split()) >= 30


def ccnews_warc(path: Path) -> tuple[Path, list[Response]]:
    """A CC-NEWS-shaped WARC.gz: a warcinfo, then a request and a response per page (no
    feeds), WARC-Dates 37 s apart. Every page of tests/data/pages; a seventh of the payloads
    gzip-encoded as sent, a seventh decoded as Common Crawl stores them (the encoding kept in
    X-Crawler-Content-Encoding); and what a news crawl also fetches: a section page with a few
    words, a cookie wall, a 404 and robots.txt."""
    responses = []
    for n, page in enumerate(corpus()):
        body, headers = page.body, []
        if n % 7 == 3:
            body, headers = gzip.compress(page.body), [("Content-Encoding", "gzip")]
        elif n % 7 == 5:
            headers = [("X-Crawler-Content-Encoding", "gzip")]
        responses.append(
            Response(page.url, body, START + timedelta(seconds=37 * n), headers=headers)
        )
    later = START + timedelta(hours=2)
    responses += [
        Response("https://news.example/world/", b"<html><body><h1>World</h1><p>Latest: "
                 b"<a href='/a'>Talks resume</a></p></body></html>", later),
        Response("https://harbour-post.example/consent", CONSENT_PAGE.read_bytes(), later),
        Response("https://news.example/gone", b"<html><p>Not found</p></html>", later,
                 status="404 Not Found"),
        Response("https://news.example/robots.txt", b"User-agent: *\nAllow: /\n", later,
                 content_type="text/plain"),
    ]  # fmt: skip
    return write_warc(path, responses), responses


def test_a_ccnews_shaped_warc_of_real_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warc, responses = ccnews_warc(tmp_path / "CC-NEWS-20260701000000-00000.warc.gz")
    pages = corpus()
    data = tmp_path / "data"
    summary, done = replay_json(data, warc)
    with capsys.disabled():
        print(table("CC-NEWS-shaped WARC of the real pages", [row(warc.name, summary, 0)]))
    assert done.returncode == 0, summary["messages"]  # no problem: nothing is damaged
    assert summary["records"] == 1 + 2 * len(responses)
    assert summary["articles"] == summary["published"] == len(pages) == 86
    assert summary["skipped"]["records"] == {
        "http-404": 1, "page-consent-wall": 1, TOO_LITTLE: 1, "request": 90,
        "robots-txt": 1, "warcinfo": 1,
    }  # fmt: skip
    assert summary["problems"] == {} and summary["messages"] == []
    assert summary["pages"] == {"used": 86, "not_archived": 0}

    docs = {d["id"]: d for d in stored_docs(data)}
    assert len(docs) == len(pages)
    snippets = dated = 0
    for n, page in enumerate(pages):
        doc = docs[article_id(page.url)]
        assert doc["url"] == canonical_url(page.url)  # the WARC-Target-URI
        assert moment(doc["fetched_at"]) == START + timedelta(seconds=37 * n)  # the WARC-Date
        assert doc["text_source"] == "page" and doc["lane"] == "replay"
        assert doc["source"] == (doc["site_name"] or canonical_url(page.url).split("/")[2])
        snippets += normalised(page.expected[0]) in normalised(doc["text"])
        if doc["published"]:
            dated += 1
            assert doc["published_source"].startswith("page:htmldate")
            assert moment(doc["published"]) < START
    # step 6's corpus test passes 74 of 86 with every snippet; the first snippet is in all
    assert snippets == len(pages)
    assert dated == 74  # htmldate finds a date on 74 pages
    known = docs[article_id(pages[0].url)]  # die-partei.net, 31 May 2012
    assert known["published"].startswith("2012-05-31")

    again, done = replay_json(data, warc)
    assert done.returncode == 0
    assert again["published"] == 0 and again["skipped"]["seen"] == len(pages)
    assert len(stored_docs(data)) == len(pages)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + os.urandom(300)


def bad_input(tmp_path: Path) -> tuple[list[Path], dict[str, str]]:
    """Four sources, each with one problem beside good input. Returns the sources and, per
    problem reason, the position its message must name."""
    whole = write_warc(tmp_path / "whole.warc.gz", [
        Response(p.url, p.body, START + timedelta(minutes=n)) for n, p in enumerate(corpus()[:3])
    ])  # fmt: skip
    with whole.open("rb") as handle:
        records = ArchiveIterator(handle)
        offsets = [records.get_record_offset() for r in records if r.rec_type == "response"]
    cut = tmp_path / "crawl.warc.gz"
    cut.write_bytes(whole.read_bytes()[: offsets[2] + 300])  # inside the third response
    whole.unlink()
    notes = tmp_path / "notes.txt"
    notes.write_text("Replay these on Monday.\n")
    jsonl = tmp_path / "articles.jsonl"
    good = {
        "url": "https://wire.example/good",
        "title": "Talks resume in Doha",
        "text": "Negotiators met again on Sunday.",
        "published": "2026-03-02T10:00:00Z",
    }
    not_an_article = {"title": "a headline and no url"}
    jsonl.write_bytes(orjson.dumps(good) + b"\n" + orjson.dumps(not_an_article) + b"\n")
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "chart.png").write_bytes(PNG)
    items = [{"title": f"Saved story {n}", "link": f"https://saved.example/{n}",
              "description": f"Story {n} as the feed carried it.",
              "date": "Mon, 02 Mar 2026 09:00:00 GMT"} for n in range(2)]  # fmt: skip
    (folder / "wire.xml").write_bytes(rss_xml(items, title="Saved Wire"))
    where = {
        "truncated": f"{cut}@{offsets[2]}:",
        "not-warc": f"{notes}:",
        "not-an-article": f"{jsonl}:2:",
        "binary": f"{folder / 'chart.png'}:",
    }
    return [cut, notes, jsonl, folder], where


def test_bad_input_is_reported_and_the_rest_replays(tmp_path: Path) -> None:
    sources, where = bad_input(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    done = newsmon(embedded_env(data), "replay", *map(str, sources), "--data", str(data))
    assert done.returncode == SKIPPED_EXIT, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("skipped: ")]
    assert len(lines) == len(where), done.stderr
    for reason, position in where.items():
        assert sum(line.startswith(f"skipped: {position}") for line in lines) == 1, reason
    urls = {d["url"] for d in stored_docs(data)}
    corpus_urls = {canonical_url(p.url) for p in corpus()[:2]}  # the two whole responses
    good = {"https://wire.example/good", "https://saved.example/0", "https://saved.example/1"}
    assert urls == corpus_urls | good

    summary, again = replay_json(tmp_path / "dry", *sources, "--dry-run")
    assert again.returncode == SKIPPED_EXIT
    assert summary["problems"] == dict.fromkeys(sorted(where), 1)
    assert sorted(summary["messages"]) == sorted(line.removeprefix("skipped: ") for line in lines)
    assert summary["articles"] == 5


def test_usage_errors_and_a_date_range(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = embedded_env(data)
    missing = tmp_path / "no-such.warc.gz"
    done = newsmon(env, "replay", str(missing), "--data", str(data))
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if str(missing) in line]
    assert errors == [f"skipped: {missing}: no such file or directory"]
    nowhere = tmp_path / "nowhere"
    done = newsmon(env, "replay", str(missing), "--data", str(nowhere))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: --data {nowhere}: no such directory (`newsmon run --data DIR` creates one)"
    )
    assert not nowhere.exists()
    for speed in ("0", "fast"):
        done = newsmon(env, "replay", str(missing), "--speed", speed, "--data", str(data))
        assert done.returncode == 2, speed  # a usage error
        assert "use max or a positive number" in done.stderr and "Traceback" not in done.stderr

    # One article a day for 30 days; 7d..1d ago holds six of them.
    now = datetime.now(UTC)
    month = tmp_path / "month.jsonl"
    month.write_bytes(b"".join(
        orjson.dumps({"url": f"https://daily.example/{k}", "title": f"Day {k}",
                      "published": (now - timedelta(days=k, hours=12)).isoformat()}) + b"\n"
        for k in range(30)
    ))  # fmt: skip
    summary, done = replay_json(data, month, "--since", "7d", "--until", "1d", "--dry-run")
    assert done.returncode == 0
    assert (summary["records"], summary["articles"]) == (30, 30)
    assert summary["published"] == 6  # days 1..6
    assert summary["skipped"]["out_of_range"] == 24


ROUND_TRIP = 60
"""Labelled texts in the round trip (spaCy tags each in both data dirs)."""
VOLATILE = {"enriched_at", "indexed_at"}
"""Processing times: when this machine tagged and stored the article."""


def export(data: Path, *args: str) -> tuple[list[dict[str, Any]], str]:
    """``newsmon export --data DATA ...``: the documents, and stdout as written."""
    done = newsmon(embedded_env(data), "export", "--data", str(data), *args)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()], done.stdout


def test_export_round_trip(tmp_path: Path) -> None:
    lines = LABELLED.read_text(encoding="utf-8").splitlines()[:ROUND_TRIP]
    labelled = [json.loads(line) for line in lines]
    now = datetime.now(UTC)
    source = tmp_path / "dev.jsonl"
    source.write_bytes(b"".join(
        orjson.dumps({"url": f"https://dev.example/{t['id']}", "title": t["title"],
                      "text": t["text"], "source": "Dev Wire",
                      "published": (now - timedelta(hours=3 * n + 1)).isoformat()}) + b"\n"
        for n, t in enumerate(labelled)
    ))  # fmt: skip
    a, b = tmp_path / "a", tmp_path / "b"
    summary, done = replay_json(a, source)
    assert done.returncode == 0 and summary["published"] == len(labelled)
    stored_a = {d["id"]: d for d in stored_docs(a)}
    assert len(stored_a) == len(labelled)

    exported, written = export(a)
    assert [d["id"] for d in exported] == sorted(stored_a, key=lambda i: stored_a[i]["published"])
    recent, _ = export(a, "--since", "5d")
    cutoff = now - timedelta(days=5)
    assert {d["id"] for d in recent} == {
        i for i, d in stored_a.items() if moment(d["published"]) >= cutoff
    }
    assert 0 < len(recent) < len(exported)
    truces, _ = export(a, "--query", "topics:ceasefire")
    assert {d["id"] for d in truces} == {
        i for i, d in stored_a.items() if "ceasefire" in d["topics"]
    }
    assert truces

    dump = tmp_path / "x.jsonl"
    dump.write_text(written, encoding="utf-8")  # newsmon export --data A > x.jsonl
    summary, done = replay_json(b, dump)
    assert done.returncode == 0 and summary["published"] == len(labelled)
    stored_b = {d["id"]: d for d in stored_docs(b)}
    assert stored_b.keys() == stored_a.keys()
    for key, doc in stored_a.items():
        for name in ("title", "text", "topics", "url", "published", "source"):
            assert stored_b[key][name] == doc[name], (key, name)

    def steady(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k not in VOLATILE}

    assert [steady(d) for d in export(b)[0]] == [steady(d) for d in exported]
