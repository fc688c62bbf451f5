"""Story assignment cost with 10k and 100k articles already in the index, in one run (~1 min).

    python bench/bench_stories.py [--sizes 10000 100000] [--queries 500] [--path DIR]

Texts are synthetic: words drawn from a Zipf-distributed vocabulary (so frequent words collide
as in real text), with stock news phrases mixed in. Each measured ``assign`` is a 150-500 word
article, alternately a new one and a near-duplicate of a stored one (new headline, one sentence
dropped, a byline added). The index is a file in WAL mode, as in production.

To stay fast, the fill stores mostly 60-120 word texts (one in 50 is a full article, the pool
for near-duplicates): an article's footprint in the index (a fixed-size signature and one key
per band) does not depend on its length, so lookups cost the same as against full articles.
"""

import argparse
import itertools
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from processors.stories import StoryIndex

PHRASES = [
    "according to the",
    "said in a statement",
    "on tuesday",
    "told reporters on",
    "one of the",
    "as well as",
    "the united states",
    "prime minister",
    "the government said",
    "said on monday",
    "for the first time",
    "the end of the",
    "at least",
    "more than",
    "it was not immediately clear",
    "did not respond to a request for comment",
    "the ministry said",
]
START = datetime(2024, 1, 1, tzinfo=UTC)


class Corpus:
    """Deterministic synthetic news-like texts."""

    def __init__(self, seed: int = 7, vocabulary: int = 50_000) -> None:
        self.rng = np.random.default_rng(seed)
        syllables = ["ka", "lo", "mi", "ne", "ra", "su", "ti", "vo", "de", "an", "or", "el"]
        picks = self.rng.integers(0, len(syllables), size=(vocabulary, 4))
        lengths = self.rng.integers(1, 5, size=vocabulary)
        self.words = [
            "".join(syllables[s] for s in row[:n]) for row, n in zip(picks, lengths, strict=True)
        ]
        weights = np.cumsum(1.0 / np.arange(1, vocabulary + 1) ** 1.07)
        self.cdf = weights / weights[-1]

    def _words(self, count: int) -> list[str]:
        return [self.words[i] for i in np.searchsorted(self.cdf, self.rng.random(count))]

    def article(self, low: int = 150, high: int = 500) -> list[str]:
        """A headline and 12-30 word sentences, ``low``-``high`` words in all; half the
        sentences carry a stock phrase."""
        total = int(self.rng.integers(low, high + 1))
        words = self._words(total)
        cuts = np.cumsum(self.rng.integers(12, 31, size=total // 12 + 1))
        sentences = [words[:8]]
        for start, end in itertools.pairwise([0, *cuts.tolist()]):
            if start >= total:
                break
            sentence = words[start:end]
            if self.rng.random() < 0.5:
                sentence.insert(1, PHRASES[int(self.rng.integers(0, len(PHRASES)))])
            sentences.append(sentence)
        return [" ".join(s).capitalize() + "." for s in sentences]

    def near_duplicate(self, sentences: list[str]) -> str:
        """Another site's copy: new headline, one sentence dropped, a byline added."""
        body = list(sentences[1:])
        del body[int(self.rng.integers(0, len(body)))]
        return "\n".join(["A different headline", "By Staff Reporter", *body])


class Bench:
    """One index, filled in steps, with the full articles kept for near-duplicate queries."""

    def __init__(self, index: StoryIndex) -> None:
        self.index = index
        self.corpus = Corpus()
        self.stored = 0
        self.full: list[tuple[str, list[str]]] = []

    def fill(self, upto: int, batch: int = 5000) -> None:
        """Store articles until ``upto`` are in, with ``assign_batch``; print the cost."""
        start, before = time.perf_counter(), self.stored
        while self.stored < upto:
            items = []
            for _ in range(min(batch, upto - self.stored)):
                article_id = f"fill-{self.stored}"
                if self.stored % 50 == 0:
                    sentences = self.corpus.article()
                    self.full.append((article_id, sentences))
                else:
                    sentences = self.corpus.article(60, 120)
                seen_at = START + timedelta(seconds=self.stored)
                items.append((article_id, "\n".join(sentences), seen_at))
                self.stored += 1
            self.index.assign_batch(items)
        per = (time.perf_counter() - start) * 1000 / max(upto - before, 1)
        print(f"{upto:,} stored (fill with assign_batch of {batch}: {per:.2f} ms/article)")

    def measure(self, queries: int) -> None:
        """Time single ``assign`` calls: half new articles, half near-duplicates."""
        timings: dict[str, list[float]] = {"new": [], "near-dup": []}
        joined = 0
        for q in range(queries):
            if q % 2:
                original, sentences = self.full[int(self.corpus.rng.integers(0, len(self.full)))]
                kind, text = "near-dup", self.corpus.near_duplicate(sentences)
            else:
                original, kind, text = "", "new", "\n".join(self.corpus.article())
            start = time.perf_counter()
            match = self.index.assign(f"query-{self.stored}-{q}", text)
            timings[kind].append((time.perf_counter() - start) * 1000)
            joined += match.story_id == original
        for kind, values in timings.items():
            values.sort()
            print(
                f"  assign {kind:8}  mean {statistics.fmean(values):5.2f} ms  "
                f"p50 {values[len(values) // 2]:5.2f}  p95 {values[int(len(values) * 0.95)]:5.2f}"
            )
        print(f"  near-duplicates that joined their story: {joined}/{len(timings['near-dup'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--path", type=Path, default=None, help="folder for the index file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.path) as tmp, StoryIndex(Path(tmp) / "s.db") as index:
        print(
            f"settings: threshold {index.threshold}, containment {index.containment}, "
            f"num_perm {index.num_perm}, {index.bands} bands x {index.rows} rows, "
            f"shingle_size {index.shingle_size}"
        )
        bench = Bench(index)
        for size in args.sizes:
            bench.fill(size)
            bench.measure(args.queries)
            megabytes = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6
            print(f"  index files: {megabytes:.0f} MB")
        start = time.perf_counter()
        dropped = index.prune(START + timedelta(seconds=bench.stored // 10))
        print(
            f"prune the oldest 10%: {dropped:,} signatures in {time.perf_counter() - start:.2f} s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
