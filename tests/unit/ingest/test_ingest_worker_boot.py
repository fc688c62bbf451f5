"""A pool worker whose parent went away while it started exits without a traceback (the
forkserver imports ``ingest.worker_boot``); any other error is still reported."""

import subprocess
import sys

from ingest.workers import PRELOAD


def run(raise_: str) -> subprocess.CompletedProcess[str]:
    code = f"import ingest.worker_boot\nraise {raise_}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)


def test_a_closed_start_up_pipe_is_quiet() -> None:
    for error in ("EOFError('unexpected EOF')", "BrokenPipeError()"):
        done = run(error)
        assert done.returncode == 1 and done.stderr == "", done.stderr


def test_a_lock_of_a_closed_pool_is_quiet() -> None:
    """The pool's parent unlinked its semaphores before the worker unpickled them."""
    code = (
        "import ingest.worker_boot, multiprocessing.synchronize as s\n"
        "s.SemLock.__setstate__(s.SemLock.__new__(s.SemLock), (0, 1, 1, '/mp-newsmon-gone'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 1 and done.stderr == "", done.stderr


def test_other_errors_are_still_reported() -> None:
    for error in ("ValueError('a real bug')", "FileNotFoundError('a model file')"):
        done = run(error)
        assert "Traceback" in done.stderr and error.split("'")[1] in done.stderr


def test_the_forkserver_imports_it() -> None:
    assert "ingest.worker_boot" in PRELOAD
