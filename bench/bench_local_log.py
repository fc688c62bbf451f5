"""Throughput of the embedded local log (SQLite WAL): produce and consume, per batch size.

    python bench/bench_local_log.py [--messages 5000] [--repeats 3] [--sync NORMAL FULL]
                                    [--dir /tmp] [--json]

For each ``synchronous`` setting, payload (1 KB, 10 KB) and batch size (1, 100), a fresh log
gets ``--messages`` messages (a fifth of them for batches of 1) through ``send_all`` in
batches of that size, one transaction each; then one consumer group reads them back with
``poll(max_records=batch)`` and a ``commit`` after every poll, as a stage does. Each rate is
messages per second of wall time, on whatever disk ``--dir`` is on; each case runs
``--repeats`` times and keeps its best rates, so a noisy neighbour does not decide them.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from newsmon.embedded import LocalLog

TOPIC = "news.articles.raw"


def run(
    folder: Path, sync: Literal["NORMAL", "FULL"], size: int, batch: int, count: int
) -> dict[str, float]:
    """Produce then consume ``count`` messages of ``size`` bytes in batches of ``batch``."""
    path = folder / f"bench-{sync}-{size}-{batch}.db"
    payloads = [os.urandom(size) for _ in range(batch)]
    with LocalLog(path, synchronous=sync) as log:
        producer = log.producer()
        start = time.perf_counter()
        for i in range(0, count, batch):
            producer.send_all(TOPIC, [(f"id-{i + j}".encode(), p) for j, p in enumerate(payloads)])
        produced = time.perf_counter() - start
        producer.close()
        consumer = log.consumer(TOPIC, "bench")
        start, seen = time.perf_counter(), 0
        while seen < count:
            seen += len(consumer.poll(batch, 1.0))
            consumer.commit()
        consumed = time.perf_counter() - start
        consumer.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {
        "produce_per_s": count / produced,
        "produce_mb_per_s": count * size / produced / 1e6,
        "consume_per_s": count / consumed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sync", nargs="+", choices=["NORMAL", "FULL"], default=["NORMAL", "FULL"])
    parser.add_argument("--dir", type=Path, default=None, help="where the logs go (a temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        for sync in args.sync:
            for size in (1024, 10240):
                for batch in (1, 100):
                    count = args.messages // 5 if batch == 1 else args.messages
                    runs = [
                        run(Path(folder), sync, size, batch, count) for _ in range(args.repeats)
                    ]
                    result = {k: max(r[k] for r in runs) for k in runs[0]}
                    rows.append({"sync": sync, "payload": size, "batch": batch, **result})
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        return
    head = ("payload", "batch", "produce msg/s", "MB/s", "consume msg/s")
    print(
        f"{'sync':<7}" + "".join(f"{h:>{w}}" for h, w in zip(head, (8, 7, 15, 8, 15), strict=True))
    )
    for r in rows:
        print(
            f"{r['sync']:<7}{r['payload'] // 1024:>6}KB{r['batch']:>7}"
            f"{r['produce_per_s']:>15,.0f}{r['produce_mb_per_s']:>8.1f}{r['consume_per_s']:>15,.0f}"
        )


if __name__ == "__main__":
    main()
