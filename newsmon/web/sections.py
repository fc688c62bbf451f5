"""A page section that failed to load shows its error instead of taking the page down: the
feeds table still helps when Elasticsearch is unreachable."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from contract import NewsmonError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Section(Generic[T]):
    """A section's data, or the one-line reason it has none."""

    value: T | None
    error: str | None = None


def load(what: str, build: Callable[[], T]) -> Section[T]:
    """``build()``, or the error that stopped it (newsmon's typed errors and OS errors)."""
    try:
        return Section(build())
    except (NewsmonError, OSError) as exc:
        log.warning("web view: %s: %s", what, exc)
        return Section(None, f"{what}: {exc}")
