"""The sink interface: set up once, write batches, close. Backpressure is a raised error."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Rejected(Generic[T]):
    """An item the destination refused for good, with its reason (goes to the dead letters)."""

    item: T
    reason: str


@dataclass
class WriteReport(Generic[T]):
    """Outcome of one batch: how many were written and which were rejected."""

    written: int = 0
    rejected: list[Rejected[T]] = field(default_factory=list)


class Sink(ABC, Generic[T]):
    """A destination for batches of items.

    ``write_batch`` either returns a report (every item written or rejected for good) or raises
    :class:`contract.TransientError`, in which case nothing of the batch may be acknowledged and
    the caller retries it later.
    """

    def setup(self) -> object:
        """Create what the destination needs (idempotent)."""

    @abstractmethod
    def write_batch(self, items: Sequence[T]) -> WriteReport[T]:
        """Write ``items``."""

    def close(self) -> None:
        """Release connections."""
