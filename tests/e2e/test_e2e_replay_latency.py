"""A live article published during a 2,000-article replay is stored and alerted as fast as
without one: the step-7 promise that live never waits behind a backfill.

A long-running ``newsmon run`` polls one loopback feed every second. Phase A adds a live item
to the feed three times and times each from the moment the feed server sent it to (a) the
article being stored and (b) its webhook arriving. Phase B writes 2,000 past articles (the dev
texts cycled, unique URLs, a tenth of them matching the subscription), publishes them with
``newsmon replay --publish-only`` so the running pipeline works through the backlog, and at
once publishes three live items the same way. The timings are printed, never compared (the
machine is shared); what is asserted is order: each live item was stored and alerted while at
least 1,000 replayed articles were still not stored, and no replayed article alerted.
"""

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from elasticsearch import Elasticsearch
from feedserver import FeedServer, rss_xml
from local_stack import AppConfig
from receivers import HookServer
from run_support import NEWSMON, embedded_env, newsmon

pytestmark = pytest.mark.e2e

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled"
LIVE_FEED = "Live Wire"
TOKEN = "Quillborough"
"""A made-up place in every live headline (and in a tenth of the replayed ones): the query."""
REPLAYED = 2000
ROUNDS = 3
MIN_BACKLOG = 1000
SECRET = "latency-e2e-secret"


def texts(name: str) -> list[dict[str, Any]]:
    """The labelled items of ``name``.jsonl (title, text, ...)."""
    lines = (LABELLED / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def write_backlog(path: Path, count: int) -> Path:
    """``count`` past articles as minimal JSONL: the dev texts cycled under unique URLs."""
    dev = texts("dev")
    start = datetime.now(UTC) - timedelta(days=20)
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            item = dev[n % len(dev)]
            title = f"{TOKEN}: {item['title']}" if n % 10 == 0 else item["title"]
            row = {
                "url": f"https://archive.example.org/{n // 100}/story-{n}",
                "title": f"{title} ({n})",
                "text": item["text"],
                "published": (start + timedelta(minutes=n)).isoformat(),
            }
            out.write(json.dumps(row) + "\n")
    return path


class LiveFeed:
    """The one feed ``run`` polls; each :meth:`publish` adds an item (a held-out text, so no
    live item shares a story with another or with the backlog)."""

    PATH = "/live.xml"

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.heldout = texts("heldout")
        self.items: list[dict[str, str]] = []
        self.url = server.add(self.PATH, rss_xml([], title=LIVE_FEED))

    def publish(self) -> tuple[str, float]:
        """Add the next item; its URL and the (monotonic) time it was added."""
        n = len(self.items)
        item = self.heldout[(n * 7) % len(self.heldout)]
        date = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        link = self.server.url(f"/live/{n}")
        title = f"{TOKEN}: {item['title']}"
        self.items.append({"title": title, "link": link, "description": item["text"], "date": date})
        self.server.add(self.PATH, rss_xml(self.items, title=LIVE_FEED))
        return link, time.monotonic()

    def served_after(self, since: float) -> float | None:
        """When the feed server first began answering a request for the feed after ``since``."""
        starts = [s for s, _, path in self.server.timeline if path == self.PATH and s >= since]
        return min(starts) if starts else None


class Store(Protocol):
    """What the test reads of the article store."""

    def live_urls(self) -> set[str]:
        """The URLs of the live feed's stored articles."""
        ...

    def replayed(self) -> int:
        """How many replayed articles are stored."""
        ...


class SqliteStore:
    """The embedded mode's ``articles.sqlite3``."""

    def __init__(self, data: Path) -> None:
        self.db = data / "articles.sqlite3"

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        if not self.db.exists():
            return []
        try:
            with sqlite3.connect(self.db, timeout=5) as conn:
                return conn.execute(sql, (LIVE_FEED,)).fetchall()
        except sqlite3.OperationalError:  # not created yet
            return []

    def live_urls(self) -> set[str]:
        rows = self._rows("SELECT doc FROM articles WHERE source = ?")
        return {json.loads(bytes(doc))["url"] for (doc,) in rows}

    def replayed(self) -> int:
        rows = self._rows("SELECT count(*) FROM articles WHERE source != ?")
        return int(rows[0][0]) if rows else 0


class IndexStore:
    """A cluster's article alias in Elasticsearch (what a search sees: refreshed documents)."""

    def __init__(self, es: Elasticsearch, alias: str) -> None:
        self.es = es.options(ignore_status=(404, 503))
        self.alias = alias

    def live_urls(self) -> set[str]:
        found = self.es.search(
            index=self.alias,
            query={"term": {"source": LIVE_FEED}},
            size=100,
            source_includes=["url"],
        )
        return {hit["_source"]["url"] for hit in found.get("hits", {}).get("hits", [])}

    def replayed(self) -> int:
        found = self.es.count(index=self.alias, query={"term": {"lane": "replay"}})
        return int(found.get("count", 0))


@dataclass
class Timing:
    """One live item: seconds from the feed serving it to stored and to alerted, and how many
    replayed articles were still not stored when its webhook came."""

    stored: float
    alerted: float
    backlog_left: int


@dataclass
class Probe:
    """Publishes live items and times them."""

    feed: LiveFeed
    store: Store
    hook: HookServer
    timeout: float = 60.0
    backlog: int = 0
    timings: dict[str, list[Timing]] = field(default_factory=dict)

    def alerted_urls(self) -> dict[str, float]:
        """URL of the article behind each webhook -> when the first one for it came."""
        found: dict[str, float] = {}
        for request in list(self.hook.requests):
            body = json.loads(request.body)
            article = body.get("latest") or body.get("article") or {}
            found.setdefault(article.get("url", "?"), request.at)
        return found

    def live(self, phase: str) -> Timing:
        """Publish one live item and wait until it is stored and alerted; its timing."""
        url, added = self.feed.publish()
        stored_at: float | None = None
        deadline = added + self.timeout
        while time.monotonic() < deadline:
            if stored_at is None and url in self.store.live_urls():
                stored_at = time.monotonic()
            alerted_at = self.alerted_urls().get(url)
            if stored_at is not None and alerted_at is not None:
                left = self.backlog - self.store.replayed()
                served = self.feed.served_after(added) or added
                timing = Timing(stored_at - served, alerted_at - served, left)
                self.timings.setdefault(phase, []).append(timing)
                return timing
            time.sleep(0.05)
        pytest.fail(f"{phase}: live item {url} not stored and alerted within {self.timeout}s")


def summary(name: str, timings: list[Timing]) -> str:
    """One line per phase: each run, then median and max."""

    def stats(values: list[float]) -> str:
        runs = " ".join(f"{v:.2f}" for v in values)
        return f"[{runs}] median {statistics.median(values):.2f} max {max(values):.2f}"

    stored = stats([t.stored for t in timings])
    alerted = stats([t.alerted for t in timings])
    left = [t.backlog_left for t in timings]
    return f"{name}: served->stored s {stored} | served->webhook s {alerted} | backlog left {left}"


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` every 0.2 s, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def scenario(
    env: dict[str, str],
    store: Store,
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hook = HookServer()
    feed = LiveFeed(feed_server)
    probe = Probe(feed, store, hook)
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"- name: {LIVE_FEED}\n  url: {feed.url}\n  interval: 1s\n")
    added = newsmon(
        env, "subscriptions", "add", "--id", "quill", "--name", "Quillborough", "--owner",
        "desk", "--query", f"title:{TOKEN}", "--webhook", hook.url("/hook"), "--secret", SECRET,
    )  # fmt: skip
    assert added.returncode == 0, added.stdout + added.stderr
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [NEWSMON, "run", "--feeds", str(feeds)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        # warm-up: the model loaded, every stage polling, one alert through
        probe.timeout = 120
        probe.live("warm-up")
        probe.timeout = 60
        for _ in range(ROUNDS):
            probe.live("A: no replay")

        backlog = write_backlog(tmp_path / "backlog.jsonl", REPLAYED)
        started = time.monotonic()
        replay = newsmon(env, "replay", str(backlog), "--publish-only", "--json", timeout=120)
        assert replay.returncode == 0, replay.stdout + replay.stderr
        assert json.loads(replay.stdout)["published"] == REPLAYED
        published = time.monotonic() - started
        probe.backlog = REPLAYED
        for _ in range(ROUNDS):
            timing = probe.live("B: during a 2,000-article replay")
            assert timing.backlog_left >= MIN_BACKLOG, probe.timings

        wait_until(lambda: store.replayed() == REPLAYED, 600, "the backlog to be stored")
        drained = time.monotonic() - started
        # the alerter reads the enriched topic in order: once this one alerted, every
        # replayed article before it has been through the alerter and the notifier
        probe.live("sentinel")
        live_urls = set(store.live_urls())
        alerted = probe.alerted_urls()
        assert set(alerted) == live_urls, sorted(set(alerted) - live_urls)
        assert len(live_urls) == 2 + 2 * ROUNDS
        bodies = [json.loads(r.body) for r in hook.requests]
        assert not any(b["replayed"] for b in bodies)
    finally:
        run.send_signal(signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            run.wait()
        hook.close()
    with capsys.disabled():
        print()
        print(summary("A (no replay)", probe.timings["A: no replay"]))
        print(summary("B (replay backlog)", probe.timings["B: during a 2,000-article replay"]))
        rate = REPLAYED / drained
        print(
            f"backlog: {REPLAYED} published in {published:.1f}s (CLI start included), stored "
            f"in {drained:.1f}s = {rate:.1f} articles/s alongside live; load average "
            f"{os.getloadavg()[0]:.1f}"
        )


def test_live_articles_do_not_wait_behind_a_replay_embedded(
    tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    scenario(embedded_env(data), SqliteStore(data), feed_server, tmp_path, capsys)


def test_live_articles_do_not_wait_behind_a_replay_on_the_cluster(
    app_config: Callable[..., AppConfig],
    es: Elasticsearch,
    tmp_path: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = app_config()
    env = {**os.environ, **config.env}
    store = IndexStore(es, config.env["NEWSMON_INDEX_ALIAS"])
    scenario(env, store, feed_server, tmp_path, capsys)
