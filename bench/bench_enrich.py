"""Enrichment throughput against the raw spaCy ceiling, measured in one run.

    python bench/bench_enrich.py [--docs 200] [--batch-size 32]

Both sides run the same loaded pipeline (same components, gazetteer ruler included) on the same
texts; the ratio is newsmon's full ``enrich_batch`` (entities, topics, model copy) over bare
``nlp.pipe``. 1.00 means the Python around spaCy costs nothing.
"""

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from contract import Article
from processors.enrich import Enricher

SEED = Path(__file__).resolve().parents[1] / "tests" / "data" / "seed_article.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    enricher = Enricher.load(batch_size=args.batch_size)
    paragraphs = [p for p in SEED.read_text().splitlines() if p.strip()]
    now = datetime.now(UTC)
    # Vary the texts (rotate paragraphs) so no two documents are identical.
    articles = [
        Article(
            id=f"bench-{i}",
            url=f"https://bench.example/{i}",
            fetched_at=now,
            source="bench",
            title=f"Bench headline {i}",
            text="\n".join(paragraphs[i % len(paragraphs) :] + paragraphs[: i % len(paragraphs)]),
        )
        for i in range(args.docs)
    ]
    texts = [a.body for a in articles]
    list(enricher.nlp.pipe(texts[:16], batch_size=args.batch_size))  # warm-up

    start = time.perf_counter()
    for _ in enricher.nlp.pipe(texts, batch_size=args.batch_size):
        pass
    raw = time.perf_counter() - start
    start = time.perf_counter()
    enricher.enrich_batch(articles)
    full = time.perf_counter() - start

    words = sum(len(t.split()) for t in texts)
    print(f"pipeline: {' -> '.join(enricher.nlp.pipe_names)}")
    print(
        f"raw nlp.pipe   {args.docs} docs in {raw:6.2f}s  {args.docs / raw:6.1f} docs/s  "
        f"{words / raw:7.0f} words/s"
    )
    print(
        f"enrich_batch   {args.docs} docs in {full:6.2f}s  {args.docs / full:6.1f} docs/s  "
        f"{words / full:7.0f} words/s"
    )
    print(f"ratio (enrich / raw throughput): {raw / full:.2f}")


if __name__ == "__main__":
    main()
