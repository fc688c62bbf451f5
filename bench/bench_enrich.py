"""Enrichment throughput against the raw spaCy ceiling, measured in one run.

    python bench/bench_enrich.py [--docs 300] [--batch-size 32] [--repeats 3] [--json]

The texts: the labelled corpus (short, varied news items) and rotations of the seed article
(long), so both short and long articles count. The ceiling is bare ``nlp.pipe`` of the spaCy
model's own components (tok2vec, tagger, senter, attribute_ruler, lemmatizer, ner; the
gazetteer ruler and its guard switched off). newsmon's side is the full ``enrich_batch``:
language detection, the gazetteer ruler, entity linking, the topic taxonomy, and story
clustering into a fresh on-disk index. 1.00 would mean everything newsmon adds costs nothing.
The two sides alternate ``--repeats`` times and each keeps its best time, so a noisy neighbour
on the machine does not decide the ratio (every newsmon pass starts from an empty story index).
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from contract import Article
from processors.enrich import Enricher
from processors.stories import StoryIndex

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "data" / "seed_article.txt"
LABELLED = ROOT / "tests" / "data" / "labelled"


def _texts(n: int) -> list[tuple[str, str]]:
    items = [
        orjson.loads(line)
        for path in sorted(LABELLED.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    pairs = [(str(i["title"]), str(i["text"])) for i in items]
    paragraphs = [p for p in SEED.read_text().splitlines() if p.strip()]
    for i in range(max(0, n - len(pairs))):
        k = i % len(paragraphs)
        pairs.append((f"Seed rotation {i}", "\n".join(paragraphs[k:] + paragraphs[:k])))
    return pairs[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    enricher = Enricher.load(batch_size=args.batch_size)
    now = datetime.now(UTC)
    articles = [
        Article(
            id=f"bench-{i}",
            url=f"https://bench.example/{i}",
            fetched_at=now,
            source="bench",
            title=title,
            text=text,
        )
        for i, (title, text) in enumerate(_texts(args.docs))
    ]
    texts = [a.body for a in articles]
    nlp = enricher.nlp
    model_only = [p for p in nlp.pipe_names if not p.startswith("gazetteer_")]
    list(nlp.pipe(texts[:16], batch_size=args.batch_size))  # warm-up
    enricher.enrich_batch(articles[:8])
    raw_times, full_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.repeats):
            with nlp.select_pipes(enable=model_only):
                start = time.perf_counter()
                for _ in nlp.pipe(texts, batch_size=args.batch_size):
                    pass
                raw_times.append(time.perf_counter() - start)
            with StoryIndex(Path(tmp) / f"stories-{n}.sqlite3") as stories:
                enricher.stories = stories
                start = time.perf_counter()
                enriched = enricher.enrich_batch(articles)
                full_times.append(time.perf_counter() - start)
    raw, full = min(raw_times), min(full_times)

    words = sum(len(t.split()) for t in texts)
    result = {
        "docs": len(texts),
        "words": words,
        "raw_pipeline": model_only,
        "raw_docs_per_s": round(len(texts) / raw, 2),
        "enrich_docs_per_s": round(len(texts) / full, 2),
        "raw_words_per_s": round(words / raw),
        "enrich_words_per_s": round(words / full),
        "stories": len({a.story_id for a in enriched}),
        "ratio": round(raw / full, 3),
        "raw_seconds": [round(t, 2) for t in raw_times],
        "enrich_seconds": [round(t, 2) for t in full_times],
    }
    if args.json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
        return
    print(f"raw pipeline: {' -> '.join(model_only)}")
    print(f"newsmon:      {' -> '.join(nlp.pipe_names)} + entities + topics + stories")
    print(
        f"raw nlp.pipe   {len(texts)} docs in {raw:6.2f}s  {result['raw_docs_per_s']:6.1f} docs/s  "
        f"{result['raw_words_per_s']:7d} words/s"
    )
    print(
        f"enrich_batch   {len(texts)} docs in {full:6.2f}s  {result['enrich_docs_per_s']:6.1f} "
        f"docs/s  {result['enrich_words_per_s']:7d} words/s  ({result['stories']} stories)"
    )
    print(f"runs (s): raw {result['raw_seconds']}  enrich {result['enrich_seconds']}")
    print(f"ratio (enrich / raw throughput, best of {args.repeats}): {result['ratio']:.2f}")


if __name__ == "__main__":
    main()
