"""The message transport the stages share, so the same runner code works over Kafka (a cluster)
or the embedded local log (a laptop, no broker).

Both give at-least-once delivery: a consumer commits only after its batch is done, so a crash
redelivers the uncommitted batch and never loses one. Values are the same JSON bytes in both.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Record:
    """One message as a consumer sees it; ``(topic, partition, offset)`` names it for good."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class Consumer(Protocol):
    """Reads topics for one consumer group; the caller commits after the work is done."""

    def poll(self, max_records: int, timeout: float) -> list[Record]:
        """Up to ``max_records`` after the current position, in offset order per partition.

        Waits up to ``timeout`` seconds for the first record; advances the in-memory position
        (nothing durable happens until :meth:`commit`).

        Raises:
            contract.TransientError: the transport could not be read; poll again later.
        """
        ...

    def commit(self) -> None:
        """Make the current position durable: everything polled so far is done.

        Raises:
            contract.TransientError: the position could not be stored; the batch will be
                redelivered after a restart unless a later commit succeeds.
        """
        ...

    def rewind(self, records: Sequence[Record]) -> None:
        """Move back to the first offset of ``records`` per (topic, partition): a batch to retry."""
        ...

    def caught_up(self) -> bool:
        """True when everything on its topics so far has been polled (and it has partitions:
        a Kafka consumer still joining its group is not caught up). ``--until-idle`` stops
        on an empty poll only when this holds.

        Raises:
            contract.TransientError: the transport could not be read.
        """
        ...

    def close(self) -> None:
        """Release the connection. Never commits: what was not committed is redelivered."""
        ...


class Producer(Protocol):
    """Appends messages to a topic; safe to share between threads."""

    def send_all(self, topic: str, messages: Sequence[tuple[bytes | None, bytes]]) -> None:
        """Append ``(key, value)`` messages in order; they are durable when this returns.

        Raises:
            contract.TransientError: they could not be made durable. Some may have been
                written all the same (the local log writes all or none); at-least-once callers
                retry the whole batch.
        """
        ...

    def close(self) -> None:
        """Release the connection (everything sent is durable already)."""
        ...
