"""Imported by the forkserver of the worker pools (``ingest.workers.PRELOAD``), never by the
main process: a worker whose parent closed the pool while the worker was still starting (a
command that finished at once) finds its start-up pipe closed. That is no error worth a
traceback on the user's terminal, so such a worker exits quietly; every other exception is
reported as before."""

import sys
from types import TracebackType

_QUIET = (EOFError, BrokenPipeError, ConnectionResetError)
_report = sys.excepthook


def _excepthook(
    kind: type[BaseException], error: BaseException, traceback: TracebackType | None
) -> None:
    if issubclass(kind, _QUIET):
        return
    _report(kind, error, traceback)


sys.excepthook = _excepthook
