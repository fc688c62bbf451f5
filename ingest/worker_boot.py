"""Imported by the forkserver of the worker pools (``ingest.workers.PRELOAD``), never by the
main process: a worker whose parent closed the pool while the worker was still starting (a
command that finished at once) finds its start-up pipe closed, or the pool's semaphores already
unlinked (``FileNotFoundError`` while unpickling a lock). That is no error worth a traceback on
the user's terminal, so such a worker exits quietly; every other exception is reported as
before."""

import sys
from pathlib import PurePath
from types import TracebackType

_QUIET = (EOFError, BrokenPipeError, ConnectionResetError)
_SEMAPHORES = PurePath("multiprocessing", "synchronize.py")


def _innermost_file(traceback: TracebackType | None) -> PurePath | None:
    if traceback is None:
        return None
    while traceback.tb_next is not None:
        traceback = traceback.tb_next
    return PurePath(traceback.tb_frame.f_code.co_filename)


def _pool_gone(kind: type[BaseException], traceback: TracebackType | None) -> bool:
    if issubclass(kind, _QUIET):
        return True
    innermost = _innermost_file(traceback)
    return (
        issubclass(kind, FileNotFoundError)
        and innermost is not None
        and innermost.parts[-2:] == _SEMAPHORES.parts
    )


_report = sys.excepthook


def _excepthook(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    if _pool_gone(kind, traceback):
        return
    _report(kind, error, traceback)


sys.excepthook = _excepthook
