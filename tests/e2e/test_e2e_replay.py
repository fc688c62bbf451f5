"""Replay end to end, loopback only: a live ``newsmon run --once`` over 5 feeds x 50 items
(40 whole articles and 10 teasers per feed; the teasers' pages are real pages from
trafilatura's tests) archives every response; ``newsmon replay`` of that archive into an empty
data dir (or index) gives the same documents -- ids, entities, topics, story ids, page text --
replaying twice changes nothing, no alert goes out without ``--alerts``, and with it the same
alerts go out once, marked replayed."""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from feedserver import FeedServer, rss_xml
from fulltext_support import corpus
from local_stack import AppConfig
from receivers import HookServer
from run_support import embedded_env, newsmon, stored_docs

pytestmark = pytest.mark.e2e

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled" / "dev.jsonl"
FEEDS, ITEMS, TEASER_EVERY = 5, 50, 5
LIVE_SETTINGS = {
    "NEWSMON_FULLTEXT": "auto",
    "NEWSMON_FULLTEXT_MIN_WORDS": "20",  # the whole articles have 30+ words, teasers fewer
    "NEWSMON_HOST_DELAY": "0",
    "NEWSMON_PAGE_RETRIES": "0",
    # feeds fetched one after another: the archive's order is the order articles were
    # processed in, so story ids (the id of a story's first article) come out the same
    "NEWSMON_FETCH_CONCURRENCY": "1",
}


def build_feeds(server: FeedServer, tmp_path: Path) -> tuple[Path, int]:
    """Five feeds of 50 items; whole-article texts overlap between feeds (syndicated copies
    under new headlines: stories), every fifth item is a teaser linking to a real page.
    Returns the feeds file and the number of items."""
    texts = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    pages = [p for p in corpus() if p.file.endswith(".html")]
    now = datetime.now(UTC).replace(microsecond=0)
    lines = []
    for k in range(FEEDS):
        items = []
        for j in range(ITEMS):
            date = (now - timedelta(hours=k * ITEMS + j)).strftime("%a, %d %b %Y %H:%M:%S GMT")
            if j % TEASER_EVERY == TEASER_EVERY - 1:
                page = pages[k * (ITEMS // TEASER_EVERY) + j // TEASER_EVERY]
                link = server.add(f"/site{k}/page-{j}", page.body, content_type="text/html")
                items.append({"title": f"Teaser {k}-{j}", "link": link,
                              "description": "One line about it.", "date": date})  # fmt: skip
                continue
            text = texts[(k * 37 + j) % len(texts)]
            items.append({
                "title": f"{text['title']} ({k})" if k else text["title"],
                "link": server.url(f"/site{k}/story-{j}"),
                "description": text["text"],
                "date": date,
            })  # fmt: skip
        url = server.add(f"/feed-{k}.xml", rss_xml(items, title=f"Wire {k}"))
        lines.append(f"- name: Wire {k}\n  url: {url}\n")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("".join(lines))
    return feeds, FEEDS * ITEMS


def essence(doc: dict[str, Any]) -> dict[str, Any]:
    """What must be the same after a replay: the document without its times and lane."""
    return {
        "title": doc["title"],
        "url": doc["url"],
        "text": doc["text"],
        "summary": doc["summary"],
        "published": doc["published"],
        "source": doc["source"],
        "text_source": doc["text_source"],
        "story_id": doc["story_id"],
        "duplicate_of": doc["duplicate_of"],
        "topics": sorted(doc["topics"]),
        "entities": sorted((e["name"], e["label"]) for e in doc["entity_details"]),
        "flags": sorted(doc["flags"]),
    }


def alerts_of(hook: HookServer, since: int = 0) -> list[tuple[str, int, bool]]:
    """(alert id, version, replayed) of the webhook deliveries from ``since`` on."""
    bodies = [json.loads(r.body) for r in hook.requests[since:]]
    return sorted((b["alert_id"], b["version"], b["replayed"]) for b in bodies)


def scenario(
    run: Callable[..., Any],
    docs: Callable[[str], dict[str, dict[str, Any]]],
    server: FeedServer,
    hook: HookServer,
    tmp_path: Path,
    targets: list[str],
) -> None:
    """``run(target, *args)`` runs the CLI against data dir/index ``target``; ``docs(target)``
    reads its stored documents by id. targets: live, replay, replay-with-alerts."""
    live, quiet, loud = targets
    feeds, items = build_feeds(server, tmp_path)
    subscribe = ("subscriptions", "add", "--id", "truce", "--name", "Truces", "--owner", "desk",
                 "--query", "topics:ceasefire", "--webhook", hook.url("/hook"),
                 "--secret", "s3cret-for-tests")  # fmt: skip
    for target in targets:
        added = run(target, *subscribe)
        assert added.returncode == 0, added.stderr

    first = run(live, "run", "--once", "--feeds", str(feeds))
    assert first.returncode == 0, first.stdout + first.stderr
    live_docs = docs(live)
    assert len(live_docs) == items
    assert sum(d["text_source"] == "page" for d in live_docs.values()) == items // TEASER_EVERY
    stories = {d["story_id"] for d in live_docs.values()}
    assert len(stories) < items  # syndicated copies share stories
    live_alerts = alerts_of(hook)
    assert live_alerts and not any(replayed for _, _, replayed in live_alerts)
    archive = str(Path(run.data_of(live)) / "archive")  # type: ignore[attr-defined]

    # A backtest over the replayed archive: what the live subscription matched, per day,
    # with nothing stored and nothing sent.
    delivered = len(hook.requests)
    tried = run(quiet, "replay", archive, "--feeds-file", str(feeds), "--json",
                "--query", "topics:ceasefire")  # fmt: skip
    assert tried.returncode == 0, tried.stderr
    backtest = json.loads(tried.stdout)
    matching = [d for d in live_docs.values() if "ceasefire" in d["topics"]]
    assert backtest["articles"] == len(matching) > 0
    assert backtest["stories"] == len({d["story_id"] for d in matching})
    per_day: dict[str, int] = {}
    for d in matching:
        per_day[d["published"][:10]] = per_day.get(d["published"][:10], 0) + 1
    assert {day["day"]: day["articles"] for day in backtest["days"]} == per_day
    assert not docs(quiet) and len(hook.requests) == delivered

    # Into an empty store, no --alerts: the same documents, no alert sent.
    delivered = len(hook.requests)
    replay = run(quiet, "replay", archive, "--feeds-file", str(feeds), "--json")
    assert replay.returncode == 0, replay.stdout + replay.stderr
    summary = json.loads(replay.stdout)
    assert summary["published"] == items
    assert summary["pages"] == {"used": items // TEASER_EVERY, "not_archived": 0}
    assert summary["problems"] == {}
    assert summary["skipped"]["records"]["request"] > 0
    assert set(summary["skipped"]["records"]) == {"request", "warcinfo"}
    replayed = docs(quiet)
    assert replayed.keys() == live_docs.keys()
    for key, doc in live_docs.items():
        assert essence(replayed[key]) == essence(doc), doc["url"]
        assert replayed[key]["lane"] == "replay"
        assert replayed[key]["fetched_at"][:16] == doc["fetched_at"][:16]  # the fetch time kept
    assert len(hook.requests) == delivered

    again = run(quiet, "replay", archive, "--feeds-file", str(feeds), "--json")
    assert again.returncode == 0, again.stderr
    repeated = json.loads(again.stdout)
    assert repeated["published"] == 0 and repeated["skipped"]["seen"] == items
    assert len(docs(quiet)) == items

    # With --alerts: the live run's alerts, once each, marked replayed.
    loud_run = run(loud, "replay", archive, "--feeds-file", str(feeds), "--alerts", "--json")
    assert loud_run.returncode == 0, loud_run.stderr
    sent = alerts_of(hook, delivered)
    assert sent == [(aid, version, True) for aid, version, _ in live_alerts]
    more = run(loud, "replay", archive, "--feeds-file", str(feeds), "--alerts", "--json")
    assert more.returncode == 0 and json.loads(more.stdout)["published"] == 0
    assert alerts_of(hook, delivered) == sent


class Embedded:
    """The CLI on a data dir per target."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def data_of(self, target: str) -> Path:
        data = self.tmp_path / target
        data.mkdir(exist_ok=True)
        return data

    def __call__(self, target: str, *args: str) -> Any:
        return newsmon(embedded_env(self.data_of(target), **LIVE_SETTINGS), *args)


def test_replaying_a_live_runs_archive_gives_the_same_documents(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    hook = HookServer()
    try:
        run = Embedded(tmp_path)

        def docs(target: str) -> dict[str, dict[str, Any]]:
            return {d["id"]: d for d in stored_docs(run.data_of(target))}

        scenario(run, docs, feed_server, hook, tmp_path, ["live", "quiet", "loud"])
    finally:
        hook.close()


class OnCluster:
    """The CLI against the test stack, an index, topics and groups per target."""

    def __init__(self, make: Callable[..., AppConfig]) -> None:
        self.configs: dict[str, AppConfig] = {}
        self.make = make

    def config(self, target: str) -> AppConfig:
        if target not in self.configs:
            settings = {k[len("NEWSMON_") :].lower(): v for k, v in LIVE_SETTINGS.items()}
            # one partition: Kafka keeps order per partition, and story ids follow order
            self.configs[target] = self.make(partitions="1", **settings)
        return self.configs[target]

    def data_of(self, target: str) -> str:
        return self.config(target).env["NEWSMON_DATA_DIR"]

    def __call__(self, target: str, *args: str) -> Any:
        if args and args[0] == "replay":
            args = (*args, "--process")
        return self.config(target).newsmon(*args)


def test_the_same_on_the_cluster(
    app_config: Callable[..., AppConfig],
    es: Elasticsearch,
    tmp_path: Path,
    feed_server: FeedServer,
) -> None:
    hook = HookServer()
    run = OnCluster(app_config)

    def docs(target: str) -> dict[str, dict[str, Any]]:
        alias = run.config(target).env["NEWSMON_INDEX_ALIAS"]
        if not es.indices.exists_alias(name=alias):
            return {}
        es.indices.refresh(index=alias)
        found = es.search(index=alias, size=1000, query={"match_all": {}})
        return {h["_id"]: h["_source"] for h in found["hits"]["hits"]}

    try:
        scenario(run, docs, feed_server, hook, tmp_path, ["live", "quiet", "loud"])
    finally:
        hook.close()
