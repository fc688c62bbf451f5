"""Embedded matcher against the percolator: throughput with 1k and 10k subscriptions, in one run.

    python bench/bench_embedded_match.py [--percolator-url URL] [--es-url URL]
                                         [--sizes 1000,10000] [--batch-size 64] [--seconds 15]
                                         [--json]

The subscriptions and articles are ``bench_percolate``'s (seeded query mix over the taxonomy and
the gazetteer; the dev texts enriched once, each from two feeds). The embedded side stores the
subscriptions in a ``SqliteSubscriptionStore`` in a temp dir (``put``: validated and compiled
one by one) and matches with ``EmbeddedMatcher(lambda kind: store.list(kind=kind))``, as
``newsmon run`` does in embedded mode: the subscriptions are listed again (read and validated)
on every batch, and that share of the time is reported on its own. The percolator side stores
them in a fresh index on ``--percolator-url`` (deleted at the end) and asks for highlights,
as ``newsmon alert`` does; the embedded matcher always computes highlights for its matches.

The articles are cut into fixed batches of ``--batch-size`` (the last one filled up from the
start, so every batch is full); for each subscription count both sides cycle through them,
interleaved (the one with less time so far goes next, so a noisy neighbour slows both alike)
until each has spent ``--seconds`` in ``match`` and run every batch at least once. Every batch
is checked: each run must find the same (subscription, article) pairs as the first run of the
same batch on both sides; the run fails (exit 1) on any disagreement.

Without ``--percolator-url`` only the embedded side runs. ``--es-url`` (the article cluster) is
only asked which English analysis it supports (``_analyze``, nothing is written): the embedded
analysis mirrors ``standard+stop+hunspell``, and matches agree only where the percolator's is
the same.
"""

import argparse
import itertools
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
from elasticsearch import Elasticsearch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_percolate import (
    _percentile,
    analysis_name,
    articles,
    pools,
    put_many,
    queries,
    subscriptions,
)

from contract import Article, Subscription
from processors.enrich import Enricher
from sinks.elasticsearch.percolate import Percolator
from sinks.elasticsearch.subscriptions import SubscriptionStore
from sinks.lucene.matcher import EmbeddedMatcher
from sinks.matches import Match
from sinks.sqlite.subscriptions import SqliteSubscriptionStore

EMBEDDED_ANALYSIS = "standard+stop+hunspell"
Pairs = frozenset[tuple[str, str]]


def batches_of(items: Sequence[Article], size: int) -> list[list[Article]]:
    """``items`` in batches of ``size``, the last one filled up from the start (every batch
    full, no article twice in one batch)."""
    size = min(size, len(items))
    count = -(-len(items) // size)
    return [[items[(k * size + j) % len(items)] for j in range(size)] for k in range(count)]


class TimedList:
    """``store.list(kind=kind)``, the subscriptions callable ``newsmon run`` gives the embedded
    matcher, adding up the time it takes."""

    def __init__(self, store: SqliteSubscriptionStore) -> None:
        self.store = store
        self.seconds = 0.0

    def __call__(self, kind: str) -> list[Subscription]:
        began = time.perf_counter()
        try:
            return self.store.list(kind=kind)
        finally:
            self.seconds += time.perf_counter() - began


@dataclass(frozen=True)
class Row:
    """One side measured with one subscription count."""

    engine: str
    subscriptions: int
    batch: int
    batches: int
    articles: int
    seconds: float
    matches: int
    articles_per_s: float
    matches_per_s: float
    p50_ms: float
    p95_ms: float
    list_ms: float | None  # embedded: mean store.list time per batch
    list_share: float | None  # embedded: store.list / time in match


class Meter:
    """Times ``match`` over fixed batches, cycling through them, and keeps the (subscription,
    article) pairs of each batch's first run; a later run that differs counts as unstable."""

    def __init__(
        self,
        engine: str,
        match: Callable[[Sequence[Article]], list[Match]],
        batches: Sequence[Sequence[Article]],
        listing: TimedList | None = None,
    ) -> None:
        self.engine = engine
        self.match = match
        self.batches = batches
        self.listing = listing
        self.latencies: list[float] = []
        self.first: dict[int, Pairs] = {}
        self.unstable: list[tuple[int, Pairs]] = []
        self.matches = self.articles = 0
        self.list_seconds = 0.0

    @property
    def elapsed(self) -> float:
        """Seconds spent in ``match`` so far."""
        return sum(self.latencies)

    @property
    def pending(self) -> bool:
        """Needs more time, or has a batch it has not run yet."""
        return not self.latencies or len(self.first) < len(self.batches)

    def warm_up(self) -> None:
        """One untimed call on part of the first batch: connection, caches."""
        chunk = self.batches[0]
        self.match(chunk[: max(1, len(chunk) // 8)])

    def step(self) -> None:
        """Match the next batch."""
        k = len(self.latencies) % len(self.batches)
        chunk = self.batches[k]
        listed = self.listing.seconds if self.listing else 0.0
        began = time.perf_counter()
        found = self.match(chunk)
        self.latencies.append(time.perf_counter() - began)
        if self.listing:
            self.list_seconds += self.listing.seconds - listed
        self.matches += len(found)
        self.articles += len(chunk)
        pairs = frozenset((m.subscription.id, m.article.id) for m in found)
        if k not in self.first:
            self.first[k] = pairs
        elif pairs != self.first[k]:
            self.unstable.append((k, pairs))

    def row(self, size: int) -> Row:
        """The measurement so far."""
        elapsed = self.elapsed
        runs = len(self.latencies)
        listing = self.listing is not None
        return Row(
            engine=self.engine,
            subscriptions=size,
            batch=len(self.batches[0]),
            batches=runs,
            articles=self.articles,
            seconds=round(elapsed, 2),
            matches=self.matches,
            articles_per_s=round(self.articles / elapsed, 1),
            matches_per_s=round(self.matches / elapsed, 1),
            p50_ms=round(_percentile(self.latencies, 0.5) * 1000, 1),
            p95_ms=round(_percentile(self.latencies, 0.95) * 1000, 1),
            list_ms=round(self.list_seconds / runs * 1000, 1) if listing else None,
            list_share=round(self.list_seconds / elapsed, 3) if listing else None,
        )


def measure(meters: Sequence[Meter], seconds: float) -> None:
    """Run the meters interleaved (of those with time or batches to go, the one with less time
    so far goes next) until each has ~``seconds`` and has run every batch."""
    for meter in meters:
        meter.warm_up()
    while True:
        behind = [m for m in meters if m.elapsed < seconds or m.pending]
        if not behind:
            return
        min(behind, key=lambda m: m.elapsed).step()


@dataclass(frozen=True)
class Disagreement:
    """A pair one run found and another did not, for one batch."""

    subscriptions: int
    batch: int
    subscription: str
    article: str
    found_by: str
    missed_by: str


def disagreements(size: int, meters: Sequence[Meter]) -> list[Disagreement]:
    """Every run against the first run of the same batch, and the sides' first runs against
    each other."""
    out: list[Disagreement] = []

    def compare(k: int, a: str, pa: Pairs, b: str, pb: Pairs) -> None:
        for sub_id, article_id in sorted(pa - pb):
            out.append(Disagreement(size, k, sub_id, article_id, a, b))
        for sub_id, article_id in sorted(pb - pa):
            out.append(Disagreement(size, k, sub_id, article_id, b, a))

    for m in meters:
        for k, pairs in m.unstable:
            compare(k, f"{m.engine} (a later run)", pairs, f"{m.engine} (first run)", m.first[k])
    for a, b in itertools.pairwise(meters):
        for k in sorted(a.first.keys() & b.first.keys()):
            compare(k, a.engine, a.first[k], b.engine, b.first[k])
    return out


def _sizes(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--percolator-url", default=None, help="percolator cluster (without: embedded only)"
    )
    parser.add_argument(
        "--es-url", default=None, help="article cluster (only asked for its English analysis)"
    )
    parser.add_argument(
        "--index",
        default=f"dev-c-bench-embedded-{uuid.uuid4().hex[:8]}",
        help="subscriptions index on the percolator (created, then deleted)",
    )
    parser.add_argument("--sizes", type=_sizes, default=[1000, 10_000], help="e.g. 1000,10000")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--seconds", type=float, default=15, help="time in match per side and size (at least)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    say = (lambda *_: None) if args.json else print
    began = time.perf_counter()
    load_before = os.getloadavg()[0]

    enricher = Enricher.load()
    items = articles(enricher)
    batches = batches_of(items, args.batch_size)
    subs = subscriptions(queries(max(args.sizes), pools(enricher, items), args.seed))
    say(
        f"{len(items)} articles ({len(items) // 2} dev texts x 2 feeds) in {len(batches)} "
        f"batches of {len(batches[0])}; enriched in {time.perf_counter() - began:.0f}s"
    )

    analyses = {"embedded": EMBEDDED_ANALYSIS}
    percolator_es = None
    if args.percolator_url:
        percolator_es = Elasticsearch(args.percolator_url, request_timeout=300)
        analyses["percolator"] = analysis_name(percolator_es)
    if args.es_url:
        analyses["articles"] = analysis_name(Elasticsearch(args.es_url, request_timeout=60))
    say("English analysis: " + ", ".join(f"{k} {v}" for k, v in analyses.items()))
    if analyses.get("percolator", EMBEDDED_ANALYSIS) != EMBEDDED_ANALYSIS:
        say("  (the percolator analyses text differently: text clauses may disagree)")

    rows: list[Row] = []
    differ: list[Disagreement] = []
    loading: dict[int, dict[str, float]] = {}
    es_store = SubscriptionStore(percolator_es, args.index) if percolator_es else None
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as tmp:
        store = SqliteSubscriptionStore(Path(tmp) / "subscriptions.db")
        listing = TimedList(store)
        matcher = EmbeddedMatcher(listing)
        if es_store and es_store.es.indices.exists(index=args.index):
            raise SystemExit(f"index {args.index} exists: pick another --index")
        try:
            if es_store:
                es_store.setup()
            stored = 0
            for size in args.sizes:
                start = time.perf_counter()
                for s in subs[stored:size]:
                    store.put(s)
                loading[size] = {"sqlite_put_s": round(time.perf_counter() - start, 1)}
                if es_store:
                    start = time.perf_counter()
                    put_many(es_store, subs[stored:size])
                    loading[size]["es_bulk_s"] = round(time.perf_counter() - start, 1)
                say(
                    f"stored subscriptions {stored}..{size}: "
                    + ", ".join(f"{k} {v}s" for k, v in loading[size].items())
                )
                stored = size
                meters = [Meter("embedded", matcher.match, batches, listing)]
                if es_store:
                    percolator = Percolator(es_store.es, args.index, highlight=True)
                    meters.append(Meter("percolator", percolator.match, batches))
                measure(meters, args.seconds)
                rows += [m.row(size) for m in meters]
                differ += disagreements(size, meters)
        finally:
            store.close()
            if es_store:
                es_store.es.indices.delete(index=args.index, ignore_unavailable=True)

    by_size = {r.subscriptions: r for r in rows if r.engine == "percolator"}
    ratios = {
        str(r.subscriptions): round(r.articles_per_s / by_size[r.subscriptions].articles_per_s, 3)
        for r in rows
        if r.engine == "embedded" and r.subscriptions in by_size
    }
    without_list = {
        str(r.subscriptions): round(r.articles / (r.seconds * (1 - (r.list_share or 0))), 1)
        for r in rows
        if r.engine == "embedded"
    }
    result: dict[str, Any] = {
        "articles": len(items),
        "batches": len(batches),
        "seconds_per_configuration": args.seconds,
        "load": [load_before, os.getloadavg()[0]],
        "analysis": analyses,
        "loading": {str(k): v for k, v in loading.items()},
        "rows": [asdict(r) for r in rows],
        "ratio_embedded_over_percolator": ratios,
        "embedded_articles_per_s_without_list": without_list,
        "disagreements": len(differ),
        "disagreement_sample": [asdict(d) for d in differ[:10]],
        "seconds": round(time.perf_counter() - began, 1),
    }
    if args.json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        raise SystemExit(1 if differ else 0)

    say(
        f"each configuration: >= {args.seconds:.0f}s of match() calls per side and every batch "
        f"at least once, sides interleaved; load average {result['load'][0]:.1f} before, "
        f"{result['load'][1]:.1f} after, {os.cpu_count()} cores"
    )
    say(
        f"{'subs':>6} {'engine':>10} {'batch':>5} {'calls':>5} {'articles':>8} "
        f"{'articles/s':>10} {'matches/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'matches':>8} "
        f"{'list ms':>8} {'list %':>6}"
    )
    for r in rows:
        listed = (
            f"{r.list_ms:>8.1f} {r.list_share * 100:>6.1f}"
            if r.list_ms is not None and r.list_share is not None
            else f"{'-':>8} {'-':>6}"
        )
        say(
            f"{r.subscriptions:>6} {r.engine:>10} {r.batch:>5} {r.batches:>5} {r.articles:>8} "
            f"{r.articles_per_s:>10.1f} {r.matches_per_s:>10.1f} {r.p50_ms:>8.1f} "
            f"{r.p95_ms:>8.1f} {r.matches:>8} {listed}"
        )
    if ratios:
        say(
            "ratio embedded / percolator (articles/s): "
            + ", ".join(f"{k} subscriptions x{v}" for k, v in ratios.items())
        )
    else:
        say("ratio embedded / percolator: needs the percolator (--percolator-url)")
    say(
        "embedded without the per-batch store.list (articles/s, if it were cached): "
        + ", ".join(f"{k} subscriptions {v}" for k, v in without_list.items())
    )
    checked = "every run of every batch, both sides" if es_store else "embedded runs only"
    say(f"disagreements ({checked}): {len(differ)} (subscription, article) pairs")
    queries_by_id = {s.id: s.query for s in subs}
    for d in differ[:10]:
        say(
            f"  {d.subscriptions} subs, batch {d.batch}: {d.subscription} "
            f"{queries_by_id[d.subscription]!r} x {d.article}: found by {d.found_by}, "
            f"not by {d.missed_by}"
        )
    say(f"total {result['seconds']}s")
    if differ:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
