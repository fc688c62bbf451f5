"""Parsing each feed in a worker process, under a time and a memory budget.

A feed body is hostile input: a parser that loops, recurses or allocates without bound on one
feed must not hold up the others, the other stages, or a stop. A thread cannot be interrupted,
a process can: each body is parsed in a pebble worker, which is killed (and replaced) when it
runs past its time, and whose address space is capped so an allocation beyond the budget fails
with ``MemoryError`` there instead of growing newsmon.

Workers are forked from a forkserver that imported the parser once, so starting or replacing
one takes milliseconds and shares the imported code's memory.
"""

import asyncio
import concurrent.futures
import logging
import multiprocessing
import resource
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from pebble import ProcessExpired, ProcessPool

from contract import FeedError
from ingest.feeds_file import FeedSpec
from ingest.normalize import MAX_ARTICLE_CHARS, ParsedFeed, parse_feed

log = logging.getLogger(__name__)

_PRELOAD = ["__main__", "ingest.normalize"]
"""Imported once by the forkserver; with ``__main__`` there, a new worker does not import the
program's main module again (multiprocessing would, for every worker)."""


class FeedParser(Protocol):
    """Bytes of one feed -> its articles (the poller's view of parsing)."""

    async def __call__(
        self, body: bytes, feed: FeedSpec, fetched_at: datetime, content_type: str | None
    ) -> ParsedFeed: ...


def _vm_size() -> int:
    """This process's virtual memory size in bytes (Linux), 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _limit_memory(budget: int) -> None:
    """Worker initialiser: the address space may grow by ``budget`` bytes over its start."""
    base = _vm_size()
    if base and budget > 0:
        limit = base + budget
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


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


class IsolatedParser:
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
        self.seconds = seconds
        self.memory = memory
        self.max_chars = max_chars
        self.workers = max(1, workers)
        self._pool = self._start()

    def _start(self) -> ProcessPool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return ProcessPool(
            max_workers=self.workers,
            initializer=_limit_memory,
            initargs=(self.memory,),
            context=context,
        )

    async def __call__(
        self, body: bytes, feed: FeedSpec, fetched_at: datetime, content_type: str | None
    ) -> ParsedFeed:
        """Parse ``body`` in a worker.

        Raises:
            FeedError: (not transient) the body is not a feed, or the parse ran out of its
                time or memory budget, or the worker died; the message says which.
        """
        try:
            future = self._schedule(body, feed, fetched_at, content_type)
        except RuntimeError:  # the pool broke (a worker could not start): a new one
            log.error("the parser pool broke; starting a new one")
            self.close()
            self._pool = self._start()
            future = self._schedule(body, feed, fetched_at, content_type)
        try:
            return await asyncio.wrap_future(future)
        except FeedError:
            raise
        except (TimeoutError, concurrent.futures.TimeoutError) as exc:
            raise FeedError(
                feed.name, f"parsing took longer than the {self.seconds:g}s budget", transient=False
            ) from exc
        except MemoryError as exc:
            raise FeedError(
                feed.name,
                f"parsing needed more than the {self.memory // 2**20} MiB memory budget",
                transient=False,
            ) from exc
        except ProcessExpired as exc:
            raise FeedError(
                feed.name, f"the parser process died ({exc}) on this feed", transient=False
            ) from exc
        except asyncio.CancelledError:
            future.cancel()  # a pebble future: cancelling kills its worker
            raise
        except Exception as exc:  # a parser bug on one feed must not stop the others
            log.error("feed %r: the parser failed", feed.name, exc_info=exc)
            raise FeedError(
                feed.name, f"the parser failed: {type(exc).__name__}: {exc}", transient=False
            ) from exc

    def _schedule(
        self, body: bytes, feed: FeedSpec, fetched_at: datetime, content_type: str | None
    ) -> "concurrent.futures.Future[ParsedFeed]":
        return self._pool.schedule(
            self.parse,
            args=(body, feed, fetched_at, content_type),
            kwargs={"max_chars": self.max_chars},
            timeout=self.seconds,
        )

    def close(self) -> None:
        """Kill the workers (any parse in progress is abandoned)."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
