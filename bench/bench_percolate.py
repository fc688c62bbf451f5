"""Percolation throughput with 1k and 10k subscriptions, batch 1 against batch 64, in one run.

    python bench/bench_percolate.py [--percolator-url URL] [--es-url URL] [--sizes 1000 10000]
                                    [--batch-size 64] [--seconds 20] [--json]

Subscriptions are generated (seeded) from the taxonomy's topics and the gazetteer's countries,
people and organisations, in a mix of the shapes people write: a topic, a topic in a country,
an entity, an entity but not one feed, a phrase, a wildcard over title or text, OR groups. Each
is stored as ``SubscriptionStore`` stores it, in bulk (the percolator parses every query as it
is indexed, so a malformed one fails the run). The articles are the texts of
``tests/data/labelled/dev.jsonl`` enriched once with the real pipeline, so topics and entities
are what production would percolate; each text goes out from two feeds (a wire story and its
copy), as in a news stream.

For each subscription count, highlight on (what ``newsmon alert`` does) and off, and batch size
1 and ``--batch-size``, it times ``Percolator.match`` calls (one percolate request per batch;
more pages only when over 1,000 subscriptions match one batch), cycling through the articles for
about ``--seconds`` each, so the run takes ~5 minutes whatever the hardware: slow configurations
get fewer requests (the table says how many). Both batch sizes must find the same subscriptions
for every article they both percolated, or the run fails.

The article cluster (``--es-url``) gets the percolated articles, and a sample of subscriptions is
run there as a search: percolation and a backtest over the article index should agree, and do
only when both clusters analyse English text the same way (both analyses are printed).
"""

import argparse
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml
from elasticsearch import Elasticsearch, helpers

from contract import Article, KafkaChannel, Subscription
from processors.enrich import Enricher
from processors.taxonomy import DEFAULT_PATH as TAXONOMY_PATH
from sinks.documents import to_document
from sinks.elasticsearch.index import english_analysis, ensure_index
from sinks.elasticsearch.mapping import ANALYZER_CHOICES
from sinks.elasticsearch.percolate import PAGE, Percolator
from sinks.elasticsearch.subscriptions import SubscriptionStore, es_query

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "labelled" / "dev.jsonl"
SOURCES = ["reuters", "ap", "afp", "bbc", "aljazeera", "guardian", "dw", "kyiv-independent", "tass"]
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z .'-]*$")


@dataclass(frozen=True)
class Pools:
    """What subscriptions are written about; entities are weighted by how often news names them."""

    topics: list[str]
    countries: list[str]
    people: list[str]
    organizations: list[str]
    phrases: list[str]
    prefixes: list[str]
    weights: dict[str, float]


def pools(enricher: Enricher, articles: Sequence[Article]) -> Pools:
    """Topic names, gazetteer names (plain ones: no quotes to escape) and taxonomy terms."""
    named = Counter(e.name for a in articles for e in a.entities)
    by_label: dict[str, list[str]] = {"GPE": [], "PERSON": [], "ORG": []}
    for key, entry in sorted(enricher.gazetteer.entries.items()):
        if not _PLAIN.match(entry.name):
            continue
        if key.startswith("country:"):
            by_label["GPE"].append(entry.name)
        elif entry.label in ("PERSON", "ORG"):
            by_label[entry.label].append(entry.name)
    vocabulary = yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))["vocabulary"]
    terms = sorted({str(t) for group in vocabulary.values() for t in group})
    return Pools(
        topics=[t.name for t in enricher.taxonomy.topics],
        countries=by_label["GPE"],
        people=by_label["PERSON"],
        organizations=by_label["ORG"],
        phrases=[t for t in terms if " " in t and _PLAIN.match(t)],
        prefixes=sorted({t[:5] for t in terms if t.isalpha() and len(t) >= 7}),
        # 1 for a name the sample never mentions; news names a few entities far more often.
        weights={name: 1.0 + 10.0 * count for name, count in named.items()},
    )


def _pick(rng: random.Random, names: Sequence[str], weights: dict[str, float]) -> str:
    return rng.choices(names, weights=[weights.get(n, 1.0) for n in names])[0]


def queries(n: int, p: Pools, seed: int = 7) -> list[str]:
    """``n`` query strings in a fixed mix of shapes (the same ``n`` and seed: the same list)."""
    rng = random.Random(seed)

    def country() -> str:
        return _pick(rng, p.countries, p.weights)

    def person() -> str:
        return _pick(rng, p.people, p.weights)

    def org() -> str:
        return _pick(rng, p.organizations, p.weights)

    def topic() -> str:
        return rng.choice(p.topics)

    shapes: list[tuple[int, Callable[[], str]]] = [
        (10, lambda: f"topics:{topic()}"),
        (20, lambda: f'topics:{topic()} AND countries:"{country()}"'),
        (10, lambda: f'entities:"{rng.choice([person, org, country])()}"'),
        (8, lambda: f'entities:"{person()}" AND NOT source:{rng.choice(SOURCES)}'),
        (8, lambda: f'"{rng.choice(p.phrases)}"'),
        (5, lambda: f'"{rng.choice(p.phrases)}" AND countries:"{country()}"'),
        (8, lambda: f"{rng.choice(['title', 'text'])}:{rng.choice(p.prefixes)}*"),
        (
            12,
            lambda: (
                f"(topics:{topic()} OR topics:{topic()}) AND "
                f'(countries:"{country()}" OR countries:"{country()}")'
            ),
        ),
        (7, lambda: f'people:"{person()}" AND topics:{topic()}'),
        (7, lambda: f'organizations:"{org()}" OR (title:"{org()}" AND language:en)'),
        (5, lambda: f"{rng.choice(p.prefixes)}* AND NOT topics:{topic()}"),
    ]
    makers = [make for weight, make in shapes for _ in range(weight)]
    return [rng.choice(makers)() for _ in range(n)]


def subscriptions(texts: Sequence[str]) -> list[Subscription]:
    """Plain match subscriptions, one per query, ids in order."""
    channel = KafkaChannel(topic="bench.alerts")
    return [
        Subscription(
            id=f"bench-{i:05d}",
            name=f"bench {i}",
            owner=f"owner-{i % 50}",
            query=text,
            channels=[channel],
            created_at=NOW,
        )
        for i, text in enumerate(texts)
    ]


def put_many(store: SubscriptionStore, subs: Sequence[Subscription]) -> None:
    """Bulk-store subscriptions in SubscriptionStore's shape (no per-query validate request)."""
    actions = ({"_index": store.index, "_id": s.id, "_source": store.document(s)} for s in subs)
    helpers.bulk(store.es.options(request_timeout=300), actions, chunk_size=1000)
    store.es.indices.refresh(index=store.index)


def articles(enricher: Enricher) -> list[Article]:
    """The dev texts enriched once, each sent out by two feeds (two ids, one story)."""
    items = [orjson.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    raw = [
        Article(
            id=f"bench-{i:03d}",
            url=f"https://{SOURCES[i % len(SOURCES)]}.example/{item['id']}",
            title=str(item["title"]),
            text=str(item["text"]),
            source=SOURCES[i % len(SOURCES)],
            language="en",
            published=NOW - timedelta(minutes=i),
            fetched_at=NOW,
        )
        for i, item in enumerate(items)
    ]
    enriched = [a.model_copy(update={"story_id": a.id}) for a in enricher.enrich_batch(raw)]
    copies = [
        a.model_copy(
            update={
                "id": f"{a.id}-copy",
                "url": f"https://{SOURCES[(i + 4) % len(SOURCES)]}.example/copy-{i}",
                "source": SOURCES[(i + 4) % len(SOURCES)],
            }
        )
        for i, a in enumerate(enriched)
    ]
    return [x for pair in zip(enriched, copies, strict=True) for x in pair]


@dataclass(frozen=True)
class Row:
    """One measured configuration."""

    subscriptions: int
    highlight: bool
    batch: int
    articles: int
    requests: int
    searches: int
    seconds: float
    matches: int
    articles_per_s: float
    matches_per_s: float
    p50_ms: float
    p95_ms: float


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Meter:
    """Times ``Percolator.match`` over the articles in batches, cycling through them, and keeps
    what matched each article the first time it was percolated."""

    def __init__(self, percolator: Percolator, items: Sequence[Article], batch: int) -> None:
        self.percolator = percolator
        self.items = items
        self.batch = batch
        self.latencies: list[float] = []
        self.matched: dict[int, list[str]] = {}
        self.matches = self.articles = self.searches = 0

    @property
    def elapsed(self) -> float:
        """Seconds spent in ``match`` so far."""
        return sum(self.latencies)

    def step(self) -> None:
        """Percolate the next batch."""
        start = (len(self.latencies) * self.batch) % len(self.items)
        chunk = self.items[start : start + self.batch]
        began = time.perf_counter()
        found = self.percolator.match(chunk)
        self.latencies.append(time.perf_counter() - began)
        self.matches += len(found)
        self.articles += len(chunk)
        # Percolator pages through matching subscriptions, 1,000 per search request.
        self.searches += len({m.subscription.id for m in found}) // PAGE + 1
        where = {id(a): start + k for k, a in enumerate(chunk)}
        seen: dict[int, list[str]] = {start + k: [] for k in range(len(chunk))}
        for m in found:
            seen[where[id(m.article)]].append(m.subscription.id)
        for k, ids in seen.items():
            self.matched.setdefault(k, sorted(ids))

    def row(self, size: int) -> Row:
        """The measurement so far."""
        elapsed = self.elapsed
        return Row(
            subscriptions=size,
            highlight=self.percolator.highlight,
            batch=self.batch,
            articles=self.articles,
            requests=len(self.latencies),
            searches=self.searches,
            seconds=round(elapsed, 2),
            matches=self.matches,
            articles_per_s=round(self.articles / elapsed, 1),
            matches_per_s=round(self.matches / elapsed, 1),
            p50_ms=round(_percentile(self.latencies, 0.5) * 1000, 1),
            p95_ms=round(_percentile(self.latencies, 0.95) * 1000, 1),
        )


def measure_pair(single: Meter, batched: Meter, seconds: float, min_batched: int) -> None:
    """Run both meters interleaved (the one with less time so far goes next) until each has
    ~``seconds``, so a noisy neighbour slows both alike; at least 20 and ``min_batched`` calls.

    Raises:
        SystemExit: the two batch sizes matched different subscriptions for an article.
    """
    single.percolator.match(single.items[:1])  # warm-up: connection, caches
    batched.percolator.match(batched.items[: max(1, batched.batch // 8)])
    while (
        min(single.elapsed, batched.elapsed) < seconds
        or len(single.latencies) < 20
        or len(batched.latencies) < min_batched
    ):
        behind = len(batched.latencies) < min_batched and batched.elapsed <= single.elapsed
        if behind or (batched.elapsed < seconds and batched.elapsed <= single.elapsed):
            batched.step()
        else:
            single.step()
    for k in single.matched.keys() & batched.matched.keys():
        if single.matched[k] != batched.matched[k]:
            raise SystemExit(
                f"article {k}: batch 1 matched {len(single.matched[k])} subscriptions, "
                f"batch {batched.batch} {len(batched.matched[k])}"
            )


def analysis_name(es: Elasticsearch) -> str:
    """Which of newsmon's English analyses the cluster supports (and indices there get)."""
    chosen = english_analysis(es)
    return next(name for name, settings, _ in ANALYZER_CHOICES if settings == chosen)


def backtest_agreement(
    es: Elasticsearch,
    percolator_es: Elasticsearch,
    items: Sequence[Article],
    subs: Sequence[Subscription],
    meter: Meter,
) -> dict[str, Any]:
    """Search the percolated articles with each sampled subscription in an article index, and
    compare the hit counts with what percolation matched."""
    alias = "dev-c-bench-percolate-articles"
    for index in es.indices.get(index=f"{alias}-v*", ignore_unavailable=True):
        es.indices.delete(index=index)
    ensure_index(es, alias)
    stamp = NOW.isoformat()
    covered = [items[k] for k in sorted(meter.matched)]
    helpers.bulk(
        es,
        ({"_index": alias, "_id": a.id, "_source": to_document(a, stamp)} for a in covered),
        refresh="wait_for",
    )
    percolated = Counter(sub_id for ids in meter.matched.values() for sub_id in ids)
    searches: list[dict[str, Any]] = []
    for s in subs:
        searches += [{"index": alias}, {"query": es_query(s.query), "size": 0}]
    responses = es.msearch(searches=searches)["responses"]
    differ = [
        (s.id, s.query, r["hits"]["total"]["value"], percolated[s.id])
        for s, r in zip(subs, responses, strict=True)
        if r["hits"]["total"]["value"] != percolated[s.id]
    ]
    for index in es.indices.get(index=f"{alias}-v*", ignore_unavailable=True):
        es.indices.delete(index=index)
    es.options(ignore_status=404).indices.delete_index_template(name=alias)
    return {
        "analysis": {"articles": analysis_name(es), "percolator": analysis_name(percolator_es)},
        "articles": len(covered),
        "checked": len(subs),
        "agree": len(subs) - len(differ),
        "differ": differ[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--percolator-url", default="http://127.0.0.1:9201")
    parser.add_argument("--es-url", default="http://127.0.0.1:9200", help="article cluster")
    parser.add_argument("--index", default="dev-c-bench-subscriptions")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--seconds", type=float, default=15, help="time per configuration (at least)"
    )
    parser.add_argument("--backtest", type=int, default=200, help="subscriptions to backtest")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    say = (lambda *_: None) if args.json else print
    began = time.perf_counter()
    load_before = os.getloadavg()[0]

    enricher = Enricher.load()
    items = articles(enricher)
    pool = pools(enricher, items)
    subs = subscriptions(queries(max(args.sizes), pool, args.seed))
    say(
        f"{len(items)} articles ({len(items) // 2} dev texts x 2 feeds), "
        f"{sum(len(a.topics) for a in items) / len(items):.2f} topics and "
        f"{sum(len(a.entities) for a in items) / len(items):.1f} entities each; "
        f"enriched in {time.perf_counter() - began:.0f}s"
    )

    percolator_es = Elasticsearch(args.percolator_url, request_timeout=300)
    store = SubscriptionStore(percolator_es, args.index)
    if percolator_es.indices.exists(index=args.index):
        percolator_es.indices.delete(index=args.index)
    store.setup()
    rows: list[Row] = []
    agreement: dict[str, Any] = {}
    stored = 0
    try:
        for size in sorted(args.sizes):
            start = time.perf_counter()
            put_many(store, subs[stored:size])
            say(f"stored subscriptions {stored}..{size} in {time.perf_counter() - start:.1f}s")
            stored = size
            for highlight in (False, True):
                percolator = Percolator(percolator_es, args.index, highlight=highlight)
                single = Meter(percolator, items, 1)
                batched = Meter(percolator, items, args.batch_size)
                measure_pair(single, batched, args.seconds, min_batched=3)
                rows += [single.row(size), batched.row(size)]
                if size == min(args.sizes) and not highlight:
                    sample = random.Random(args.seed).sample(subs[:size], args.backtest)
                    agreement = backtest_agreement(
                        Elasticsearch(args.es_url, request_timeout=120),
                        percolator_es,
                        items,
                        sample,
                        batched,
                    )
    finally:
        percolator_es.indices.delete(index=args.index, ignore_unavailable=True)

    ratios = {
        f"{r.subscriptions}/{'highlight' if r.highlight else 'plain'}": round(
            r.articles_per_s / s.articles_per_s, 2
        )
        for s, r in zip(rows[0::2], rows[1::2], strict=True)
    }
    result = {
        "articles": len(items),
        "seconds_per_configuration": args.seconds,
        "load": [load_before, os.getloadavg()[0]],
        "rows": [asdict(r) for r in rows],
        "ratio_batch_over_single": ratios,
        "backtest": agreement,
        "seconds": round(time.perf_counter() - began, 1),
    }
    if args.json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        return
    say(
        f"each configuration: >= {args.seconds:.0f}s of match() calls (>= 20 at batch 1, >= 3 "
        f"at batch {args.batch_size}), batch 1 and {args.batch_size} interleaved, cycling "
        f"through the articles; load average {result['load'][0]:.1f} before, "
        f"{result['load'][1]:.1f} after, {os.cpu_count()} cores"
    )
    head = (
        f"{'subs':>6} {'highlight':>9} {'batch':>5} {'articles':>8} {'calls':>6} {'searches':>8} "
        f"{'articles/s':>10} {'matches/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'matches':>8}"
    )
    say(head)
    for r in rows:
        say(
            f"{r.subscriptions:>6} {'on' if r.highlight else 'off':>9} {r.batch:>5} "
            f"{r.articles:>8} {r.requests:>6} {r.searches:>8} {r.articles_per_s:>10.1f} "
            f"{r.matches_per_s:>10.1f} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {r.matches:>8}"
        )
    say(
        f"ratio batch {args.batch_size} / batch 1 (articles/s): "
        + ", ".join(f"{k} x{v}" for k, v in ratios.items())
    )
    if agreement:
        say(
            f"backtest over the article index ({agreement['articles']} articles): "
            f"{agreement['agree']}/{agreement['checked']} subscriptions match as many articles "
            "as percolation did; English analysis: articles "
            f"{agreement['analysis']['articles']}, percolator {agreement['analysis']['percolator']}"
        )
        for sub_id, query, searched, percolated in agreement["differ"]:
            say(f"  {sub_id} {query!r}: search {searched}, percolate {percolated}")
    say(f"total {result['seconds']}s")


if __name__ == "__main__":
    main()
