"""The full-text stage's speed on loopback, in one run: pages per second per host and in total,
extraction milliseconds per page (median, p95), and WARC bytes archived per article.

Two loopback servers stand for two hosts; each serves the 86 real pages of tests/data/pages
(trafilatura's test pages) under distinct URLs. The stage runs as newsmon runs it: worker-
process extraction, robots.txt, per-host politeness, every response archived.

    .venv/bin/python bench/bench_fulltext.py [--pages 172] [--workers 2]

Runs: the default politeness (2 per host, 1 s apart: the server sees at most 1 page/s), then
politeness off (8 per host, no delay: what fetching and extraction can do on this machine).
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from feedserver import FeedServer  # noqa: E402
from fulltext_support import corpus, teaser_article  # noqa: E402

from ingest.archive import WarcArchive  # noqa: E402
from ingest.extraction import IsolatedExtractor  # noqa: E402
from ingest.fulltext import FulltextPolicy, FulltextStage, PageReport  # noqa: E402
from ingest.pages import PageFetcher, PagePolicy  # noqa: E402
from ingest.politeness import HostLimiter  # noqa: E402
from ingest.robots import RobotsCache  # noqa: E402


async def run(
    urls: list[str], per_host: int, delay: float, workers: int, archive_dir: Path
) -> tuple[list[PageReport], float]:
    robots = RobotsCache(":memory:", "newsmon/0.1 (+bench)")
    with (
        IsolatedExtractor(workers) as extract,
        WarcArchive(archive_dir, kind="pages") as archive,
    ):
        await extract(b"<html><p>warm up</p></html>", "http://x/", "text/html")
        async with httpx.AsyncClient(timeout=30) as client:
            limiter = HostLimiter(per_host, delay)
            fetcher = PageFetcher(client, robots, limiter, PagePolicy(concurrency=16), archive)
            policy = FulltextPolicy(mode="always", page_min_words=1)
            stage = FulltextStage({}, fetcher, extract, policy)
            started = time.perf_counter()
            reports = await stage.run([teaser_article(u) for u in urls])
            elapsed = time.perf_counter() - started
    robots.close()
    return reports, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=40, help="pages per host (politeness run)")
    parser.add_argument("--workers", type=int, default=2, help="extraction worker processes")
    args = parser.parse_args()
    pages = corpus()
    hosts = [FeedServer(), FeedServer()]
    try:
        urls_per_host = [
            [h.add(f"/p/{n}", pages[n % len(pages)].body, content_type="text/html")
             for n in range(len(pages))]
            for h in hosts
        ]  # fmt: skip
        print(f"{len(hosts)} loopback hosts x {len(pages)} real pages; {args.workers} workers")
        for label, per_host, delay, count in (
            ("polite (2 per host, 1.0 s apart)", 2, 1.0, args.pages),
            ("politeness off (8 per host, no delay)", 8, 0.0, len(pages)),
        ):
            urls = [u for host in urls_per_host for u in host[:count]]
            with tempfile.TemporaryDirectory() as tmp:
                reports, elapsed = asyncio.run(run(urls, per_host, delay, args.workers, Path(tmp)))
                archived = sum(p.stat().st_size for p in Path(tmp).iterdir())
            fetched = [r for r in reports if r.outcome == "fetched"]
            ms = sorted(r.extract_ms for r in reports if r.extract_ms is not None)
            p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
            print(
                f"{label}: {len(fetched)}/{len(urls)} pages in {elapsed:.1f} s = "
                f"{len(urls) / elapsed:.2f} pages/s total, "
                f"{len(urls) / len(hosts) / elapsed:.2f} per host; extraction "
                f"median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms (queueing for a "
                f"worker included); archive {archived / len(urls) / 1024:.1f} KiB per article"
            )
    finally:
        for host in hosts:
            host.close()


if __name__ == "__main__":
    main()
