"""The WARC archive of every HTTP response newsmon keeps: one writer per process and kind.

Each exchange becomes a ``response`` and a ``request`` record, each its own gzip member, flushed
together, so a crash loses at most the exchange being written. A file starts with a
``warcinfo`` record and is finished (closed and renamed without ``.open``) when it passes
``max_file_bytes``, when the UTC day by the writer's clock changes, or on :meth:`close`; see
:mod:`ingest.archive_files` for the names. Replay (step 7) reads these files with any WARC reader.
"""

import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from warcio.warcwriter import WARCWriter

from ingest.archive_files import ArchiveName, check_kind, prune, safe_instance
from ingest.archive_records import WARC_VERSION, Exchange, exchange_records, warcinfo_record

__all__ = ["Exchange", "WarcArchive", "prune"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WarcArchive:
    """Appends exchanges to rotating gzip WARC files in one directory; thread-safe.

    Args:
        directory: where the files go (created if missing).
        kind: what the responses are, part of each name (``feeds``, ``pages``).
        max_file_bytes: a file is finished once it is this large (compressed, on disk).
        instance: this writer's part of the names; ``host-pid`` by default, so writers in
            several processes and hosts can share a directory.
        clock: the present (UTC); starts and rotates files by day. Records carry their
            exchange's ``fetched_at``.
    """

    def __init__(
        self,
        directory: Path,
        *,
        kind: str,
        max_file_bytes: int = 1_000_000_000,
        instance: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if max_file_bytes < 1:
            raise ValueError(f"max_file_bytes must be positive, not {max_file_bytes}")
        self.directory = directory
        self.kind = check_kind(kind)
        self.max_file_bytes = max_file_bytes
        self.hostname = socket.gethostname()
        self.instance = safe_instance(instance or f"{self.hostname}-{os.getpid()}")
        self.clock = clock
        self._lock = threading.Lock()
        self._seq = 0
        self._closed = False
        self._name: ArchiveName | None = None
        self._file: IO[bytes] | None = None
        self._writer: Any = None
        self._warcinfo_id = ""

    @property
    def current_file(self) -> Path | None:
        """The file being written (its ``.open`` name), or None between files."""
        name = self._name
        return None if name is None else self.directory / name.name

    def write(self, exchange: Exchange) -> None:
        """Append ``exchange`` as a response and a request record, then flush.

        On a failed write the file is cut back to the end of the previous exchange (or, if it
        cannot be, finished), so the file never holds a broken record followed by good ones.
        It blocks (gzip level 9 and a file write, under the lock): from async code, call it
        with ``asyncio.to_thread``.

        Raises:
            ValueError: an exchange that cannot be stored (see
                :func:`ingest.archive_records.exchange_records`).
            OSError: the file could not be written.
            RuntimeError: the archive is closed.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self.kind} WARC archive is closed")
            now = self.clock()
            if self._name is not None and self._day(now) != self._name.started.date():
                self._finish()
            if self._file is None:
                self._start(now)
            assert self._file is not None
            request, response = exchange_records(self._writer, exchange, self._warcinfo_id)
            start = self._file.tell()
            try:
                self._writer.write_request_response_pair(request, response)
                self._file.flush()
            except BaseException:
                self._undo(start)
                raise
            if self._file.tell() >= self.max_file_bytes:
                self._finish()

    def close(self) -> None:
        """Finish the current file; later writes raise. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            self._finish()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def _day(moment: datetime) -> date:
        return moment.astimezone(UTC).date()

    def _start(self, now: datetime) -> None:
        """Open the next file (exclusively: a name in use is skipped) and write its warcinfo."""
        self.directory.mkdir(parents=True, exist_ok=True)
        started = now.astimezone(UTC).replace(microsecond=0)
        while True:
            name = ArchiveName(self.kind, started, self.instance, self._seq, open=True)
            self._seq += 1
            if (self.directory / name.finished_name).exists():
                continue
            try:
                handle = (self.directory / name.name).open("xb")
            except FileExistsError:
                continue
            break
        self._name, self._file = name, handle
        self._writer = WARCWriter(handle, gzip=True, warc_version=WARC_VERSION)
        info = warcinfo_record(self._writer, name.finished_name, self.kind, self.hostname, now)
        self._warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
        try:
            self._writer.write_record(info)
            handle.flush()
        except BaseException:
            self._finish()
            raise

    def _undo(self, start: int) -> None:
        """Cut a half-written exchange off the end of the file, or finish the file."""
        assert self._file is not None
        try:
            self._file.seek(start)
            self._file.truncate()
            self._file.flush()
        except OSError:
            self._finish()

    def _finish(self) -> None:
        """Close the current file and drop its ``.open`` suffix."""
        name, handle = self._name, self._file
        self._name, self._file, self._writer = None, None, None
        if name is None or handle is None:
            return
        try:
            handle.close()
        finally:
            opened = self.directory / name.name
            opened.rename(self.directory / name.finished_name)
