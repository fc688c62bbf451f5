"""LocalLog: Kafka's topics, offsets and consumer groups in one SQLite file, at-least-once
across restarts, SIGKILL and concurrent producers in threads and processes."""

import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import Topics, TransientError
from newsmon.embedded import LocalLog
from newsmon.embedded.local_log import RECHECK
from newsmon.transport import Consumer, Record

RAW, ENRICHED = Topics.RAW, Topics.ENRICHED

PRODUCER_SCRIPT = """
import sys, time
from pathlib import Path
from newsmon.embedded import LocalLog

path, topic, name, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
go = Path(path + ".go")
producer = LocalLog(Path(path)).producer()
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
i = 0
while i < count:  # batches of 1 to 4
    n = min(1 + i % 4, count - i)
    producer.send_all(topic, [(name.encode(), f"{name}-{j:05d}".encode()) for j in range(i, i + n)])
    i += n
    time.sleep(0.001)  # let the other producers in, so their transactions interleave
print(time.time(), flush=True)
"""
"""Waits for ``<path>.go``, then appends ``<name>-00000`` ... in batches; prints when done."""

CONSUMER_SCRIPT = """
import sys, time
from pathlib import Path
from newsmon.embedded import LocalLog

path, topic, out = sys.argv[1], sys.argv[2], sys.argv[3]
consumer = LocalLog(Path(path)).consumer(topic, "worker")
with open(out, "a") as done:
    while records := consumer.poll(10, 1.0):
        for record in records:  # "process" each record, slowly, then commit the batch
            done.write(f"{record.offset}\\n")
            done.flush()
            time.sleep(0.03)
        consumer.commit()
"""
"""Consumes in batches of 10, logging each offset as it is processed, until a 1 s idle poll."""


@pytest.fixture
def log(tmp_path: Path) -> Iterator[LocalLog]:
    with LocalLog(tmp_path / "log.db") as log:
        yield log


def send(log: LocalLog, topic: str, values: Iterable[str], key: bytes | None = None) -> None:
    producer = log.producer()
    producer.send_all(topic, [(key, v.encode()) for v in values])
    producer.close()


def drain(consumer: Consumer, max_records: int = 100) -> list[Record]:
    records: list[Record] = []
    while batch := consumer.poll(max_records, 0):
        records.extend(batch)
    return records


def values(records: Iterable[Record]) -> list[str]:
    return [r.value.decode() for r in records]


def spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE, text=True
    )


def assert_once_in_order(records: list[Record], counts: dict[str, int]) -> None:
    """Offsets 0..n-1 with no gap, every message exactly once, each producer's in its order."""
    assert [r.offset for r in records] == list(range(len(records)))
    seen = values(records)
    assert Counter(seen) == Counter(f"{p}-{i:05d}" for p, n in counts.items() for i in range(n))
    for producer in counts:
        own = [v for v in seen if v.startswith(f"{producer}-")]
        assert own == sorted(own)


def consume_live(
    log: LocalLog, topic: str, group: str, total: int
) -> tuple[threading.Thread, list[Record]]:
    """A thread consuming (and committing) while the producers still write."""
    records: list[Record] = []

    def run() -> None:
        consumer = log.consumer(topic, group)
        deadline = time.monotonic() + 60
        while len(records) < total and time.monotonic() < deadline:
            records.extend(consumer.poll(7, 0.5))
            consumer.commit()
        consumer.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, records


def test_produce_consume_commit_and_restart_continues(tmp_path: Path) -> None:
    with LocalLog(tmp_path / "log.db") as log:
        send(log, RAW, [f"m{i}" for i in range(10)], key=b"k")
        consumer = log.consumer(RAW, "index")
        first = consumer.poll(4, 0)
        assert [(r.topic, r.partition, r.offset, r.key) for r in first] == [
            (RAW, 0, i, b"k") for i in range(4)
        ]
        consumer.commit()
        consumer.close()
    with LocalLog(tmp_path / "log.db") as log:
        consumer = log.consumer(RAW, "index")
        assert values(drain(consumer)) == [f"m{i}" for i in range(4, 10)]
        send(log, RAW, ["m10"])
        assert [r.offset for r in consumer.poll(10, 0)] == [10]
        consumer.close()


def test_uncommitted_messages_are_redelivered_after_reopening(tmp_path: Path) -> None:
    with LocalLog(tmp_path / "log.db") as log:
        send(log, RAW, [f"m{i}" for i in range(6)])
        consumer = log.consumer(RAW, "index")
        consumer.poll(2, 0)
        consumer.commit()
        assert len(consumer.poll(3, 0)) == 3
        consumer.close()  # never commits
    with LocalLog(tmp_path / "log.db") as log:
        consumer = log.consumer(RAW, "index")
        assert values(drain(consumer)) == [f"m{i}" for i in range(2, 6)]
        consumer.close()


def test_keys_are_optional_and_values_must_be_bytes(log: LocalLog) -> None:
    producer = log.producer()
    producer.send_all(RAW, [(None, b"a"), (b"id-1", b"b"), (b"", b"")])
    producer.send_all(RAW, [])
    records = drain(log.consumer(RAW, "g"))
    assert [(r.key, r.value) for r in records] == [(None, b"a"), (b"id-1", b"b"), (b"", b"")]
    with pytest.raises(TypeError, match="bytes"):
        producer.send_all(RAW, [(None, "text")])  # type: ignore[list-item]
    assert log.end_offsets(RAW) == 3


def test_rewind_returns_the_batch_again(log: LocalLog) -> None:
    send(log, RAW, [f"m{i}" for i in range(8)])
    consumer = log.consumer(RAW, "index")
    consumer.poll(3, 0)
    batch = consumer.poll(3, 0)
    consumer.rewind(batch)
    assert consumer.poll(3, 0) == batch
    consumer.rewind(list(reversed(batch)))  # the first offset counts, not the first record
    assert [r.offset for r in consumer.poll(10, 0)] == [3, 4, 5, 6, 7]
    with pytest.raises(ValueError, match="not read here"):
        consumer.rewind([Record(ENRICHED, 0, 0, None, b"")])


def test_groups_are_independent(log: LocalLog) -> None:
    send(log, ENRICHED, [f"m{i}" for i in range(5)])
    index, alert = log.consumer(ENRICHED, "index"), log.consumer(ENRICHED, "alert")
    assert len(drain(index)) == 5
    index.commit()
    alert.poll(2, 0)
    alert.commit()
    assert (log.lag(ENRICHED, "index"), log.lag(ENRICHED, "alert")) == (0, 3)
    assert log.lag(ENRICHED, "never-seen") == 5
    assert values(drain(log.consumer(ENRICHED, "alert"))) == ["m2", "m3", "m4"]


def test_one_consumer_reads_several_topics(log: LocalLog) -> None:
    send(log, RAW, ["r0", "r1", "r2"])
    send(log, Topics.REPLAY_RAW, ["p0", "p1"])
    consumer = log.consumer([RAW, Topics.REPLAY_RAW], "enrich")
    records = drain(consumer, max_records=2)
    assert sorted(values(records)) == ["p0", "p1", "r0", "r1", "r2"]
    for topic in (RAW, Topics.REPLAY_RAW):
        assert [r.offset for r in records if r.topic == topic] == list(
            range(log.end_offsets(topic))
        )
    consumer.rewind([r for r in records if r.value in (b"r1", b"p0")])
    assert sorted(values(drain(consumer))) == ["p0", "p1", "r1", "r2"]
    consumer.commit()
    assert log.lag(RAW, "enrich") == log.lag(Topics.REPLAY_RAW, "enrich") == 0


def test_poll_returns_at_most_max_records_and_waits_the_timeout(log: LocalLog) -> None:
    consumer = log.consumer(RAW, "g")
    start = time.monotonic()
    assert consumer.poll(10, 0.3) == []
    assert 0.3 <= time.monotonic() - start < 3.0
    send(log, RAW, [f"m{i}" for i in range(5)])
    assert len(consumer.poll(2, 0)) == 2
    with pytest.raises(ValueError, match="max_records"):
        consumer.poll(0, 0)


def test_concurrent_producers_in_threads_each_message_once_in_order(log: LocalLog) -> None:
    counts = {f"t{i}": 150 for i in range(4)}
    live, live_records = consume_live(log, RAW, "live", sum(counts.values()))
    barrier = threading.Barrier(len(counts))

    def produce(name: str, count: int) -> None:
        producer = log.producer()
        barrier.wait()
        i = 0
        while i < count:
            n = min(1 + i % 4, count - i)
            producer.send_all(RAW, [(None, f"{name}-{j:05d}".encode()) for j in range(i, i + n)])
            i += n
            time.sleep(0.001)
        producer.close()

    threads = [threading.Thread(target=produce, args=item) for item in counts.items()]
    for thread in threads:
        thread.start()
    for thread in [*threads, live]:
        thread.join(60)
    assert_once_in_order(live_records, counts)
    assert_once_in_order(drain(log.consumer(RAW, "late")), counts)
    assert log.lag(RAW, "live") == 0


def test_concurrent_producers_in_processes_each_message_once_in_order(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    counts = {"p0": 300, "p1": 300, "t0": 200}
    with LocalLog(path) as log:
        live, live_records = consume_live(log, RAW, "live", sum(counts.values()))
        children = [spawn(PRODUCER_SCRIPT, path, RAW, name, counts[name]) for name in ("p0", "p1")]
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        (tmp_path / "log.db.go").touch()
        producer = log.producer()  # and a thread of this process, at the same time
        for i in range(counts["t0"]):
            producer.send_all(RAW, [(None, f"t0-{i:05d}".encode())])
            time.sleep(0.001)
        for child in children:
            assert child.wait(60) == 0
        live.join(60)
        assert_once_in_order(live_records, counts)
        assert_once_in_order(drain(log.consumer(RAW, "late")), counts)


def test_sigkilled_consumer_loses_nothing(tmp_path: Path) -> None:
    path, out, total = tmp_path / "log.db", tmp_path / "done.txt", 60
    with LocalLog(path) as log:
        send(log, RAW, [f"m{i}" for i in range(total)])
        out.touch()
        child = spawn(CONSUMER_SCRIPT, path, RAW, out)
        deadline = time.monotonic() + 60
        while len(out.read_text().split()) < 25 and time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(child.pid, signal.SIGKILL)  # in the middle of its third batch of 10
        assert child.wait(10) == -signal.SIGKILL
        processed_before = len(out.read_text().split())
        committed = log.end_offsets(RAW) - log.lag(RAW, "worker")
        redelivered = processed_before - committed  # processed, not committed: done again
        assert committed % 10 == 0 and 0 < redelivered <= 10

        assert spawn(CONSUMER_SCRIPT, path, RAW, out).wait(60) == 0
        done = Counter(int(offset) for offset in out.read_text().split())
        assert set(done) == set(range(total))  # nothing lost
        assert sum(done.values()) - total == redelivered
        assert {o for o, n in done.items() if n > 1} == set(range(committed, processed_before))
        assert log.lag(RAW, "worker") == 0


def test_poll_wakes_promptly_on_a_produce_in_another_thread(log: LocalLog) -> None:
    consumer, producer = log.consumer(RAW, "g"), log.producer()
    woke: list[float] = []

    def wait_for_one() -> None:
        assert consumer.poll(1, 5)
        woke.append(time.monotonic())

    delays = []
    for i in range(5):
        thread = threading.Thread(target=wait_for_one)
        thread.start()
        time.sleep(0.1)  # the poll is waiting by now (and not within 0.1 s of a re-check)
        sent = time.monotonic()
        producer.send_all(RAW, [(None, f"m{i}".encode())])
        thread.join(5)
        delays.append(woke[-1] - sent)
    assert statistics.median(delays) < 0.05, delays


def test_poll_sees_appends_from_another_process(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with LocalLog(path) as log:
        consumer = log.consumer(RAW, "g")
        child = spawn(PRODUCER_SCRIPT, path, RAW, "p", 1)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        (tmp_path / "log.db.go").touch()
        assert values(consumer.poll(10, 10)) == ["p-00000"]
        woke = time.time()
        sent = float(child.stdout.readline())
        assert child.wait(10) == 0
        assert woke - sent < RECHECK + 0.2


def test_prune_deletes_only_old_messages_every_committed_group_has_consumed(
    log: LocalLog,
) -> None:
    send(log, RAW, [f"old{i}" for i in range(6)])
    send(log, ENRICHED, ["e0", "e1"])  # no group ever committed here: kept whatever their age
    time.sleep(0.01)
    young_since = datetime.now(UTC)
    time.sleep(0.01)
    send(log, RAW, [f"new{i}" for i in range(4)])
    index, alert = log.consumer(RAW, "index"), log.consumer(RAW, "alert")
    drain(index)
    index.commit()
    alert.poll(4, 0)
    alert.commit()

    assert log.prune(datetime.now(UTC)) == 0  # nothing is a week old
    later = young_since + log.retention
    assert log.prune(later) == 4  # "alert" has not consumed old4, old5
    assert values(drain(log.consumer(RAW, "new-group"))) == ["old4", "old5"] + [
        f"new{i}" for i in range(4)
    ]
    drain(alert)
    alert.commit()
    assert log.prune(later) == 2  # the new messages are too young
    assert log.prune(later + timedelta(days=1)) == 4
    assert log.end_offsets(RAW) == 10  # offsets never restart
    send(log, RAW, ["after"])
    assert [(r.offset, r.value) for r in drain(log.consumer(RAW, "g2"))] == [(10, b"after")]
    assert log.lag(RAW, "index") == 1
    assert values(drain(log.consumer(ENRICHED, "g"))) == ["e0", "e1"]


def test_a_locked_database_raises_transient_error(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with LocalLog(path, busy_timeout=0.05) as log:
        producer, consumer = log.producer(), log.consumer(RAW, "g")
        send(log, RAW, ["m0"])
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        where = re.escape(str(path))
        with pytest.raises(TransientError, match=f"{where}: append to '{RAW}': database is locked"):
            producer.send_all(RAW, [(None, b"m1")])
        assert values(consumer.poll(10, 0)) == ["m0"]  # WAL: readers are not blocked
        with pytest.raises(TransientError, match=f"{where}: commit 'g'.*locked"):
            consumer.commit()
        with pytest.raises(TransientError, match=where):
            log.prune(datetime.now(UTC))
        with pytest.raises(TransientError, match=where):
            LocalLog(path, busy_timeout=0.05)
        blocker.execute("ROLLBACK")
        blocker.close()
        producer.send_all(RAW, [(None, b"m1")])  # the retry succeeds
        consumer.commit()
        assert log.lag(RAW, "g") == 1
