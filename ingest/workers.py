"""Worker processes with a time and memory budget per call, for work on hostile input.

A feed or a web page is hostile input: a parser that loops, recurses or allocates without bound
on one document must not hold up the others, the other stages, or a stop. A thread cannot be
interrupted, a process can: each call runs in a pebble worker, which is killed (and replaced)
when it runs past its time, and whose address space is capped so an allocation beyond the
budget fails with ``MemoryError`` there instead of growing newsmon.

Workers are forked from a forkserver that imported the parsers once, so starting or replacing
one takes milliseconds and shares the imported code's memory.
"""

import asyncio
import concurrent.futures
import logging
import multiprocessing
import resource
from collections.abc import Callable
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

from pebble import ProcessExpired, ProcessPool

log = logging.getLogger(__name__)

T = TypeVar("T")

PRELOAD = ["__main__", "ingest.normalize", "ingest.extract", "ingest.worker_boot"]
"""Imported once by the forkserver (one per process, so one list for every pool); with
``__main__`` there, a new worker does not import the program's main module again;
``ingest.worker_boot`` keeps a worker whose pool closed while it started from printing a
traceback."""

Overrun = Literal["time", "memory", "died", "error"]


class Closing:
    """``with`` support for an object whose :meth:`close` releases it (workers, here)."""

    def close(self) -> None:
        """Release what the object holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BudgetExceeded(Exception):
    """A call ran out of its budget or its worker failed; ``kind`` says how, ``detail`` what."""

    def __init__(self, kind: Overrun, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


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


class BudgetPool(Closing):
    """Runs module-level functions in worker processes, each call within ``seconds`` and
    ``memory`` bytes.

    Use as a context manager (or call :meth:`close`): closing kills the workers at once, so a
    stop never waits for a call in progress.
    """

    def __init__(self, workers: int = 2, seconds: float = 10.0, memory: int = 512 * 2**20) -> None:
        self.seconds = seconds
        self.memory = memory
        self.workers = max(1, workers)
        self._pool = self._start()

    def _start(self) -> ProcessPool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return ProcessPool(
            max_workers=self.workers,
            initializer=_limit_memory,
            initargs=(self.memory,),
            context=context,
        )

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in a worker; its own exceptions of newsmon's types
        come back as they are.

        Raises:
            BudgetExceeded: over time or memory, the worker died, or an unexpected exception.
        """
        try:
            future = self._schedule(function, args, kwargs)
        except RuntimeError:  # the pool broke (a worker could not start): a new one
            log.error("the worker pool broke; starting a new one")
            self.close()
            self._pool = self._start()
            future = self._schedule(function, args, kwargs)
        try:
            return await asyncio.wrap_future(future)
        except (TimeoutError, concurrent.futures.TimeoutError) as exc:
            raise BudgetExceeded("time", f"took longer than the {self.seconds:g}s budget") from exc
        except MemoryError as exc:
            raise BudgetExceeded(
                "memory", f"needed more than the {self.memory // 2**20} MiB memory budget"
            ) from exc
        except ProcessExpired as exc:
            raise BudgetExceeded("died", f"the worker process died ({exc})") from exc
        except asyncio.CancelledError:
            future.cancel()  # a pebble future: cancelling kills its worker
            raise

    def _schedule(
        self, function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> "concurrent.futures.Future[T]":
        return self._pool.schedule(function, args=args, kwargs=kwargs, timeout=self.seconds)

    def close(self) -> None:
        """Kill the workers (any call in progress is abandoned)."""
        self._pool.stop()  # type: ignore[no-untyped-call]
        self._pool.join(timeout=5)
