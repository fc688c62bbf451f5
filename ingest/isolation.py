"""Parsing each feed in a worker process, under a time and a memory budget
(:mod:`ingest.workers`): a feed that makes the parser loop, recurse or allocate without bound
costs its own budget, never the other feeds' time or newsmon's memory."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from contract import FeedError
from ingest.feeds_file import FeedSpec
from ingest.normalize import MAX_ARTICLE_CHARS, ParsedFeed, parse_feed
from ingest.workers import BudgetExceeded, BudgetPool, Closing

log = logging.getLogger(__name__)


class FeedParser(Protocol):
    """Bytes of one feed -> its articles (the poller's view of parsing)."""

    async def __call__(
        self, body: bytes, feed: FeedSpec, fetched_at: datetime, content_type: str | None
    ) -> ParsedFeed: ...


class InlineParser:
    """Parses in a thread of this process: no budget. For tests and trusted local files."""

    def __init__(self, max_chars: int = MAX_ARTICLE_CHARS) -> None:
        self.max_chars = max_chars

    async def __call__(
        self, body: bytes, feed: FeedSpec, fetched_at: datetime, content_type: str | None
    ) -> ParsedFeed:
        return await asyncio.to_thread(
            parse_feed, body, feed, fetched_at, content_type, max_chars=self.max_chars
        )


class IsolatedParser(Closing):
    """Parses in worker processes, each body within ``seconds`` and ``memory`` bytes.

    Use as a context manager (or call :meth:`close`): closing kills the workers at once, so a
    stop never waits for a parse in progress.
    """

    def __init__(
        self,
        workers: int = 2,
        seconds: float = 10.0,
        memory: int = 512 * 2**20,
        max_chars: int = MAX_ARTICLE_CHARS,
        parse: Callable[..., ParsedFeed] = parse_feed,
    ) -> None:
        self.parse = parse  # a module-level function: workers import it by name
        self.max_chars = max_chars
        self.pool = BudgetPool(workers, seconds, memory)

    async def __call__(
        self, body: bytes, feed: FeedSpec, fetched_at: datetime, content_type: str | None
    ) -> ParsedFeed:
        """Parse ``body`` in a worker.

        Raises:
            FeedError: (not transient) the body is not a feed, or the parse ran out of its
                time or memory budget, or the worker died; the message says which.
        """
        try:
            return await self.pool.run(
                self.parse, body, feed, fetched_at, content_type, max_chars=self.max_chars
            )
        except FeedError:
            raise
        except BudgetExceeded as exc:
            reason = {
                "time": f"parsing took longer than the {self.pool.seconds:g}s budget",
                "memory": f"parsing needed more than the {self.pool.memory // 2**20} MiB "
                "memory budget",
                "died": f"the parser process died ({exc.__cause__}) on this feed",
            }.get(exc.kind, exc.detail)
            raise FeedError(feed.name, reason, transient=False, kind="budget") from exc
        except Exception as exc:  # a parser bug on one feed must not stop the others
            log.error("feed %r: the parser failed", feed.name, exc_info=exc)
            raise FeedError(
                feed.name, f"the parser failed: {type(exc).__name__}: {exc}", transient=False
            ) from exc

    def close(self) -> None:
        """Kill the workers (any parse in progress is abandoned)."""
        self.pool.close()
