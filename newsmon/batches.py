"""The batch loop every consuming stage shares, on any transport (Kafka or the local log):
poll and decode a batch, dead-letter what cannot be decoded, rewind and back off a batch that
failed for a transient reason."""

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from contract import ErrorEnvelope, PoisonMessage
from newsmon.transport import Consumer, Producer, Record

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Batch(Generic[T]):
    """One poll: the decoded messages, envelopes for the undecodable ones, the raw records."""

    items: list[T]
    dead: list[ErrorEnvelope]
    records: list[Record]

    @property
    def size(self) -> int:
        """How many messages were polled."""
        return len(self.records)


def poll_batch(
    consumer: Consumer,
    max_records: int,
    parse: Callable[[bytes], T],
    stage: str,
    dlq_topic: str,
    timeout: float = 1.0,
) -> Batch[T]:
    """Poll up to ``max_records`` and decode them; a PoisonMessage becomes a dead-letter
    envelope naming the message (topic, partition, offset) and the field at fault."""
    records = consumer.poll(max_records, timeout)
    items: list[T] = []
    dead: list[ErrorEnvelope] = []
    for r in records:
        source = f"{r.topic}[{r.partition}]@{r.offset}"
        try:
            items.append(parse(r.value))
        except PoisonMessage as exc:
            log.error("message %s: %s; sent to %s", source, exc, dlq_topic)
            key = r.key.decode(errors="replace") if r.key else None
            dead.append(ErrorEnvelope.wrap(stage, exc, source, r.value or b"", key))
    return Batch(items, dead, records)


def retry_delay(retries: int) -> float:
    """Seconds to wait before the ``retries``-th retry in a row: 2, 4, 8, 16, then 30."""
    return min(30.0, 2.0 ** min(retries, 5))


def retry_batch(
    consumer: Consumer,
    records: Sequence[Record],
    retries: int,
    error: Exception,
    wait: Callable[[float], object] = time.sleep,
) -> None:
    """A transient failure: log it, rewind to the batch's first offsets and back off, so the
    next poll returns the same messages (nothing was committed)."""
    log.warning("%s; will retry the batch of %d", error, len(records))
    consumer.rewind(records)
    wait(retry_delay(retries))


def dead_letter(producer: Producer, topic: str, envelopes: list[ErrorEnvelope]) -> None:
    """Publish error envelopes (keyed by their message's key) and wait until they are durable."""
    if envelopes:
        producer.send_all(topic, [((e.key or "").encode() or None, e.to_json()) for e in envelopes])


class Drains(Protocol):
    """What ``until_idle`` asks of a stage's input: has everything been read?"""

    def caught_up(self) -> bool:
        """True when every record so far has been polled."""
        ...


def run_stage(
    step: Callable[[], int],
    consumer: Drains,
    stop: threading.Event,
    until_idle: bool = False,
    progress: Callable[[], None] | None = None,
) -> None:
    """A stage's loop: ``step`` handles one batch and returns how many messages it read.

    Runs until ``stop`` is set -- the batch in hand is finished first -- or, with
    ``until_idle``, until a batch comes back empty and the consumer has read everything there
    is (a Kafka consumer still joining its group has not).
    """
    while not stop.is_set():
        handled = step()
        if progress is not None:
            progress()
        if handled == 0 and until_idle and consumer.caught_up():
            return
