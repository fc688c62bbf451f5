"""Replay throughput against live ingest, end to end through the real CLI, and where replay's
time goes.

    python bench/bench_replay.py [--articles 1000] [--small 50] [--profile] [--cluster]
                                 [--bootstrap H:P --es-url URL --percolator-url URL] [--json]

Builds N whole articles (the labelled dev texts cycled under unique URLs, published in the past)
and times each command in a fresh data dir (embedded mode, ``NEWSMON_FULLTEXT=never``):

    live     ``newsmon run --once`` over 10 loopback RSS feeds carrying them (poll, process,
             index, alert, notify; every feed response archived as WARC)
    replay   ``newsmon replay X.jsonl --speed max`` (publish, then process, index, alert and
             notify until drained)
    publish  ``newsmon replay X.jsonl --publish-only`` (read, dedup against the store, publish)
    read     ``newsmon replay X.jsonl --dry-run`` (read and count only)
    warc     ``newsmon replay DATA/archive`` of the live run's archive (feed XML parsed again)

Each command runs at N and at ``--small`` articles; ``marginal/s`` is (N - small) / (t(N) -
t(small)), so CLI start-up and loading the spaCy model cancel out; ``wall/s`` is N / t(N).
``replay / live`` compares the marginal rates measured in this run. ``--cluster`` does live and
replay again against a running stack (unique topics and index; ``replay --process`` drains
there). ``--profile`` runs the replay once more under cProfile and splits its time by where the
code lives (self time; a C function's time goes to the module that called it). Speeds are
printed, never asserted; the load average before and after each command says how busy the
machine was.
"""

import argparse
import json
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
NEWSMON = str(REPO / ".venv" / "bin" / "newsmon")
DEV = REPO / "tests" / "data" / "labelled" / "dev.jsonl"
FEEDS = 10


def corpus(count: int) -> list[dict[str, Any]]:
    """``count`` articles: the dev texts cycled under unique URLs, a minute apart, 20 days ago."""
    dev = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines()]
    start = datetime.now(UTC) - timedelta(days=20)
    return [
        {
            "url": f"https://bench.example.org/{n % FEEDS}/story-{n}",
            "title": f"{dev[n % len(dev)]['title']} ({n})",
            "text": dev[n % len(dev)]["text"],
            "published": start + timedelta(minutes=n),
        }
        for n in range(count)
    ]


def write_jsonl(path: Path, articles: list[dict[str, Any]]) -> Path:
    """The articles as replay's minimal JSONL."""
    with path.open("w", encoding="utf-8") as out:
        for a in articles:
            out.write(json.dumps({**a, "published": a["published"].isoformat()}) + "\n")
    return path


def rss(name: str, articles: list[dict[str, Any]]) -> bytes:
    """One RSS 2.0 feed carrying the articles whole."""
    items = "".join(
        f"<item><title>{escape(a['title'])}</title><link>{escape(a['url'])}</link>"
        f"<guid>{escape(a['url'])}</guid><description>{escape(a['text'])}</description>"
        f"<pubDate>{format_datetime(a['published'])}</pubDate></item>"
        for a in articles
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(name)}</title><link>https://bench.example.org/</link>"
        f"<language>en</language>{items}</channel></rss>"
    ).encode()


class FeedHost:
    """Serves feeds on loopback (so the live run archives them like any feed)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = host.bodies.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def feeds_file(self, folder: Path, articles: list[dict[str, Any]], tag: str) -> Path:
        """Serve the articles as ``FEEDS`` feeds; the feeds file naming them."""
        lines = []
        for k in range(FEEDS):
            path = f"/{tag}/feed-{k}.xml"
            self.bodies[path] = rss(f"Bench {k}", articles[k::FEEDS])
            lines.append(f"- name: Bench {k}\n  url: {self.base}{path}\n  fulltext: never\n")
        feeds = folder / f"feeds-{tag}.yaml"
        feeds.write_text("".join(lines))
        return feeds


class Runner:
    """Runs the CLI in fresh data dirs under one temp folder, timing each command."""

    def __init__(self, folder: Path, extra_env: dict[str, str]) -> None:
        self.folder = folder
        base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_")}
        self.env = {
            **base,
            "NEWSMON_ALLOW_PRIVATE_NETWORKS": "true",
            "NEWSMON_FULLTEXT": "never",
            "NEWSMON_LOG_LEVEL": "WARNING",
            **extra_env,
        }

    def data_dir(self, name: str) -> Path:
        data = self.folder / name
        data.mkdir()
        return data

    def time(self, data: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        """Run ``newsmon ARGS`` on ``data``; seconds and the load average around it."""
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        done = subprocess.run(
            [NEWSMON, *args],
            env={**self.env, "NEWSMON_DATA_DIR": str(data), **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"newsmon {' '.join(args)} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        return {"seconds": seconds, "load": (load_before, os.getloadavg()[0]), "out": done.stdout}


def cluster_env(args: argparse.Namespace) -> dict[str, str]:
    """Unique topics, groups and index names on the given stack."""
    run = f"bench-{uuid.uuid4().hex[:8]}"
    return {
        "NEWSMON_KAFKA_BOOTSTRAP": args.bootstrap,
        "NEWSMON_ES_URL": args.es_url,
        "NEWSMON_PERCOLATOR_URL": args.percolator_url,
        "NEWSMON_TOPIC_POLLED": f"{run}.polled",
        "NEWSMON_TOPIC_RAW": f"{run}.raw",
        "NEWSMON_TOPIC_REPLAY": f"{run}.replay",
        "NEWSMON_TOPIC_ENRICHED": f"{run}.enriched",
        "NEWSMON_TOPIC_DLQ": f"{run}.dlq",
        "NEWSMON_TOPIC_ALERTS": f"{run}.alerts",
        "NEWSMON_GROUP_PREFIX": run,
        "NEWSMON_INDEX_ALIAS": f"{run}-articles",
        "NEWSMON_SUBSCRIPTIONS_INDEX": f"{run}-subscriptions",
        "NEWSMON_ALERTS_INDEX": f"{run}-alerts",
    }


def measure(
    runner: Runner,
    host: FeedHost,
    sizes: list[int],
    mode: str,
    env: Callable[[], dict[str, str]],
    repeats: int,
) -> dict[str, dict[int, dict[str, Any]]]:
    """Every command at every size, ``repeats`` rounds, each command keeping its fastest:
    name -> size -> timing. ``env()``: one command's settings (on a cluster, fresh topics and
    indices each time)."""
    results: dict[str, dict[int, dict[str, Any]]] = {}
    for attempt in range(repeats):
        for size in sizes:
            articles = corpus(size)
            tag = f"{mode}-{size}-{attempt}"
            jsonl = write_jsonl(runner.folder / f"{tag}.jsonl", articles)
            feeds = host.feeds_file(runner.folder, articles, tag)
            live = runner.data_dir(f"{tag}-live")
            steps: list[tuple[str, Path, tuple[str, ...]]] = [
                ("live", live, ("run", "--once", "--feeds", str(feeds)))
            ]
            if mode == "embedded":
                archive = str(live / "archive")
                steps += [
                    ("replay", runner.data_dir(f"{tag}-replay"), ("replay", str(jsonl))),
                    ("publish", runner.data_dir(f"{tag}-publish"),
                     ("replay", str(jsonl), "--publish-only")),
                    ("read", runner.data_dir(f"{tag}-read"), ("replay", str(jsonl), "--dry-run")),
                    ("warc", runner.data_dir(f"{tag}-warc"),
                     ("replay", archive, "--feeds-file", str(feeds))),
                ]  # fmt: skip
            else:  # a cluster drains a replay only with --process
                steps += [
                    ("replay", runner.data_dir(f"{tag}-replay"),
                     ("replay", str(jsonl), "--process")),
                    ("publish", runner.data_dir(f"{tag}-publish"),
                     ("replay", str(jsonl), "--publish-only")),
                ]  # fmt: skip
            for name, data, command in steps:
                print(f"{mode} {name} x{size} (round {attempt + 1}) ...", file=sys.stderr)
                args = command if name == "live" else (*command, "--json")
                timing = runner.time(data, *args, env=env())
                if name != "live":
                    published = json.loads(timing["out"])["published"]
                    if published != size:
                        sys.exit(f"{name} x{size}: published {published}, expected {size}")
                best = results.setdefault(name, {}).get(size)
                if best is None or timing["seconds"] < best["seconds"]:
                    results[name][size] = timing
    return results


def rates(results: dict[str, dict[int, dict[str, Any]]], big: int, small: int) -> dict[str, Any]:
    """Per command: seconds at both sizes, marginal and wall articles/s."""
    table = {}
    for name, by_size in results.items():
        t_big, t_small = by_size[big]["seconds"], by_size[small]["seconds"]
        table[name] = {
            "seconds": round(t_big, 2),
            "seconds_small": round(t_small, 2),
            "marginal_per_s": round((big - small) / max(t_big - t_small, 1e-9), 1),
            "wall_per_s": round(big / t_big, 1),
            "load": [round(x, 1) for x in by_size[big]["load"]],
        }
    return table


BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("spaCy tagging (spacy, thinc, numpy)", ("spacy/", "thinc/", "numpy", "blis/", "srsly/")),
    ("story clustering", ("processors/stories",)),
    ("gazetteer, topics, language", ("processors/", "/lingua", "/langdetect", "/fasttext")),
    ("replay reading/parsing (ingest)", ("ingest/", "/feedparser/", "/warcio/")),
    ("local log I/O (newsmon/embedded)", ("newsmon/embedded/",)),
    ("SQLite stores (sinks/sqlite)", ("sinks/sqlite/",)),
    ("Lucene analysis and matching (sinks/lucene)", ("sinks/lucene/", "/luqum/", "sinks/")),
    ("wire JSON (contract, pydantic, orjson)", ("contract/", "/pydantic", "/orjson")),
    ("waiting (sleep, locks, select)", ("threading.py", "selectors.py", "queues.py")),
    ("imports", ("<frozen", "importlib")),
    ("other libraries (site-packages)", ("/site-packages/",)),
]


SLEEP = "<built-in method time.sleep>"
WAITS = (SLEEP, "<method 'acquire' of '_thread.lock' objects>")


def bucket_of(filename: str, name: str) -> str:
    """The bucket a function's own time belongs to."""
    if name in WAITS:
        return BUCKETS[8][0]
    for label, parts in BUCKETS:
        if any(part in filename for part in parts):
            return label
    return "other (newsmon runners, CLI, stdlib)"


STAGES: list[tuple[str, str, str]] = [
    ("read + publish (publish_replay)", "newsmon/runners/replay.py", "publish_replay"),
    ("  reading, parsing, dedup (replay_batches)", "newsmon/runners/replay.py", "replay_batches"),
    ("  local-log writes (send)", "newsmon/runners/replay.py", "send"),
    ("spaCy model, taxonomy, gazetteer load", "newsmon/runners/process.py", "load_enricher"),
    ("enrichment (process_batch)", "processors/batch.py", "process_batch"),
    ("  spaCy tagging (Language.pipe)", "spacy/language.py", "pipe"),
    ("  story clustering (_assign_stories)", "processors/enrich.py", "_assign_stories"),
    ("local-log reads incl. idle waits (poll)", "newsmon/embedded/local_log.py", "poll"),
    ("  idle waits (_wait)", "newsmon/embedded/local_log.py", "_wait"),
    ("local-log writes (send_all)", "newsmon/embedded/local_log.py", "send_all"),
    ("local-log commits (commit)", "newsmon/embedded/local_log.py", "commit"),
    ("article store writes, SQLite + FTS5", "sinks/sqlite/versions.py", "write_batch"),
    ("alert stage (run_alerter)", "newsmon/runners/alert.py", "run_alerter"),
    ("notify stage (run_notifier)", "newsmon/runners/notify.py", "run_notifier"),
]
"""(label, file suffix, function): cumulative seconds, so nested rows are part of the row above."""


def stage_times(raw: dict[Any, Any]) -> dict[str, float]:
    """Cumulative seconds of each of ``STAGES`` (the largest entry where several match)."""
    found: dict[str, float] = {}
    for label, suffix, function in STAGES:
        times = [row[3] for (f, _, n), row in raw.items() if n == function and f.endswith(suffix)]
        found[label] = max(times, default=0.0)
    return found


def profile_split(
    path: Path,
) -> tuple[float, dict[str, float], Counter[str], list[tuple[str, float, float]]]:
    """Total seconds, the stages' cumulative seconds, self time per bucket (a C function's
    time goes to its callers' buckets, in proportion), and the top functions by self time."""
    stats = pstats.Stats(str(path))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    split: Counter[str] = Counter()
    for (filename, _, name), (_, _, tottime, _, callers) in raw.items():
        if filename != "~" or not callers or name == SLEEP:
            split[bucket_of(filename, name)] += tottime
            continue
        total = sum(edge[2] for edge in callers.values()) or 1.0
        for (caller_file, _, caller), edge in callers.items():
            split[bucket_of(caller_file, caller)] += tottime * edge[2] / total
    rows = [
        (name if filename == "~" else f"{Path(filename).name}:{name}", tt, ct)
        for (filename, _, name), (_, _, tt, ct, _) in raw.items()
    ]
    top = sorted(rows, key=lambda row: -row[1])[:15]
    return stats.total_tt, stage_times(raw), split, top  # type: ignore[attr-defined]


def profile(runner: Runner, host: FeedHost, size: int) -> dict[str, Any]:
    """One embedded ``newsmon run --once`` and one ``newsmon replay`` of ``size`` articles
    under cProfile (``run --once`` and replay both run their stages in the main thread, one
    after another): name -> total, stages, self-time split, top functions."""
    articles = corpus(size)
    jsonl = write_jsonl(runner.folder / f"profile-{size}.jsonl", articles)
    feeds = host.feeds_file(runner.folder, articles, f"profile-{size}")
    found = {}
    for name, command in (
        ("live", ("run", "--once", "--feeds", str(feeds))),
        ("replay", ("replay", str(jsonl))),
    ):
        data = runner.data_dir(f"profile-{name}-{size}")
        out = runner.folder / f"{name}.prof"
        print(f"profiling {name} x{size} ...", file=sys.stderr)
        done = subprocess.run(
            [sys.executable, "-m", "cProfile", "-o", str(out), NEWSMON, *command],
            env={**runner.env, "NEWSMON_DATA_DIR": str(data)},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            sys.exit(f"profiled {name} failed:\n{done.stderr[-3000:]}")
        total, stages, split, top = profile_split(out)
        found[name] = {
            "total_s": round(total, 2),
            "stages": {k: round(v, 2) for k, v in stages.items()},
            "split": {k: round(v, 2) for k, v in split.most_common()},
            "top": [(f, round(tt, 2), round(ct, 2)) for f, tt, ct in top],
        }
    return found


def print_profile(found: dict[str, Any], size: int) -> None:
    """The stages and self-time split of live and replay side by side; replay's top functions."""
    live, replay = found["live"], found["replay"]
    print(f"\nunder cProfile, x{size}: live {live['total_s']} s, replay {replay['total_s']} s")
    print(f"{'by stage (cumulative; indented: part of the row above)':50} {'live s':>8} "
          f"{'replay s':>9} {'replay %':>9}")  # fmt: skip
    for table in ("stages", "split"):
        if table == "split":
            print("by where the code lives (self time)")
        for label, seconds in replay[table].items():
            share = 100 * seconds / replay["total_s"]
            print(f"  {label:48} {live[table].get(label, 0.0):8.2f} {seconds:9.2f} {share:8.1f}%")
    print("replay's top functions by self time (self s, cumulative s):")
    for name, tt, ct in replay["top"]:
        print(f"  {name[:70]:70} {tt:7.2f} {ct:7.2f}")


def print_table(title: str, table: dict[str, Any], big: int, small: int) -> None:
    print(f"\n{title}: {big:,} articles (marginal over {small})")
    head = ("command", f"t({big}) s", f"t({small}) s", "marginal/s", "wall/s", "load before/after")
    print(" | ".join(head))
    for name, row in table.items():
        print(
            f"{name} | {row['seconds']} | {row['seconds_small']} | {row['marginal_per_s']} | "
            f"{row['wall_per_s']} | {row['load'][0]} / {row['load'][1]}"
        )
    if "live" in table and "replay" in table:
        ratio = table["replay"]["marginal_per_s"] / table["live"]["marginal_per_s"]
        wall = table["replay"]["wall_per_s"] / table["live"]["wall_per_s"]
        print(f"replay / live: x{ratio:.2f} marginal, x{wall:.2f} wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--small", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=2, help="rounds; each keeps its best")
    parser.add_argument(
        "--profile", action="store_true", help="profile one live run and one replay"
    )
    parser.add_argument("--cluster", action="store_true", help="also live and replay on a stack")
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--es-url", default="http://127.0.0.1:9200")
    parser.add_argument("--percolator-url", default="http://127.0.0.1:9201")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [args.small, args.articles]
    host = FeedHost()
    result: dict[str, Any] = {
        "articles": args.articles,
        "small": args.small,
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="newsmon-bench-replay-") as folder:
        runner = Runner(Path(folder), {})
        embedded = measure(runner, host, sizes, "embedded", dict, args.repeats)
        result["embedded"] = rates(embedded, args.articles, args.small)
        if args.cluster:
            cluster = measure(
                runner, host, sizes, "cluster", lambda: cluster_env(args), args.repeats
            )
            result["cluster"] = rates(cluster, args.articles, args.small)
        if args.profile:
            result["profile"] = profile(runner, host, args.articles)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return
    print_table("embedded", result["embedded"], args.articles, args.small)
    if "cluster" in result:
        print_table("cluster", result["cluster"], args.articles, args.small)
    if "profile" in result:
        print_profile(result["profile"], args.articles)


if __name__ == "__main__":
    main()
