"""What an archive file holds, read as a stream: counts, dates, hosts, and whether it is whole.

Files are read record by record with warcio's ``ArchiveIterator`` (never whole into memory).
A writer that died mid-exchange leaves a last gzip member cut short; warcio then either raises
(an ``AttributeError`` or ``TypeError`` from deep inside, for a cut WARC header), returns a short
record, or stops as if the file had ended. So each file is also checked independently: every
record's payload is as long as its headers say, and a record counts only once its gzip member is
known whole (the next one began, or it ends the file with its trailer). A file that is not whole
members to its end gets a one-line note: ``truncated after 41 records``.
"""

import contextlib
import io
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ingest.archive_files import ArchiveName

_CHUNK = 1 << 16
# What warcio raises on a record cut short (ArchiveLoadFailed for a cut first line; the others
# from its parser meeting a header block that stops early).
_CUT = (ArchiveLoadFailed, AttributeError, TypeError, ValueError, EOFError, zlib.error)


@dataclass
class FileSummary:
    """One archive file, as read.

    Attributes:
        path: the file.
        name: what its name says.
        size: bytes on disk.
        records: records in whole gzip members (warcinfo included), all dates.
        responses: ``response`` records counted (after ``since``).
        requests: ``request`` records counted (after ``since``).
        payload_bytes: the responses' payload bytes (decoded bodies).
        first: the earliest response ``WARC-Date`` counted.
        last: the latest response ``WARC-Date`` counted.
        hosts: responses per host of ``WARC-Target-URI``.
        problem: why the file is not whole (a cut last record, bytes no reader can read), or
            None.
    """

    path: Path
    name: ArchiveName
    size: int = 0
    records: int = 0
    responses: int = 0
    requests: int = 0
    payload_bytes: int = 0
    first: datetime | None = None
    last: datetime | None = None
    hosts: Counter[str] = field(default_factory=Counter)
    problem: str | None = None

    @property
    def note(self) -> str | None:
        """The problem as one line naming the file, or None when the file is whole."""
        return None if self.problem is None else f"{self.path.name}: {self.problem}"


def _drain(stream: Any) -> int:
    total = 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
    return total


def _host(uri: str | None) -> str:
    try:
        return urlsplit(uri or "").hostname or "?"
    except ValueError:
        return "?"


def _tail(handle: IO[bytes], offset: int) -> str:
    """Whether the gzip member at ``offset`` is ``whole``, ``cut`` (the file ends inside it) or
    ``corrupt``; decompressed a chunk at a time and thrown away."""
    handle.seek(offset)
    engine = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        while not engine.eof:
            data = handle.read(_CHUNK)
            if not data:
                return "cut"
            while data and not engine.eof:
                engine.decompress(data, _CHUNK)
                data = engine.unconsumed_tail
    except zlib.error:
        return "corrupt"
    return "whole"


@dataclass(frozen=True)
class _Record:
    """What a summary takes from one record, held until its gzip member is known whole."""

    kind: str
    date: str | None
    uri: str | None
    payload: int
    offset: int
    end: int


def _count(summary: FileSummary, record: _Record, since: datetime | None) -> None:
    summary.records += 1
    if record.kind not in ("response", "request"):
        return
    try:
        date: datetime | None = datetime.fromisoformat(record.date or "")
    except ValueError:  # missing or not ISO 8601: counted, but undated
        date = None
    if since is not None and (date is None or date < since):
        return
    if record.kind == "request":
        summary.requests += 1
        return
    summary.responses += 1
    summary.payload_bytes += record.payload
    if date is not None:
        summary.first = date if summary.first is None else min(summary.first, date)
        summary.last = date if summary.last is None else max(summary.last, date)
    summary.hosts[_host(record.uri)] += 1


def summarize(path: Path, name: ArchiveName, since: datetime | None = None) -> FileSummary:
    """Read ``path`` through and sum it up; a file cut short or unreadable gets a ``problem``.

    Args:
        path: the archive file.
        name: what its name says (from :func:`ingest.archive_files.archive_files`).
        since: count only records dated at or after this (timezone-aware).
    """
    summary = FileSummary(path, name)
    try:
        with path.open("rb") as handle:
            summary.size = path.stat().st_size
            _read(handle, summary, since)
    except OSError as exc:
        summary.problem = f"unreadable: {exc.strerror or exc}"
    return summary


def _parse(handle: IO[bytes]) -> Iterator[_Record]:
    """The records warcio reads whole, up to the first it cannot (cut, or unreadable)."""
    records = ArchiveIterator(handle)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except _CUT:
            return
        payload = _drain(record.raw_stream)
        head = record.http_headers.total_len if record.http_headers else 0
        if record.length is None or payload != record.length - head:
            return
        offset, length = records.get_record_offset(), records.get_record_length()
        headers = record.rec_headers
        yield _Record(
            kind=record.rec_type,
            date=headers.get_header("WARC-Date"),
            uri=headers.get_header("WARC-Target-URI"),
            payload=payload,
            offset=offset,
            end=offset + length,
        )


def _read(handle: IO[bytes], summary: FileSummary, since: datetime | None) -> None:
    """Count the records in whole gzip members; set ``summary.problem`` if the file is not
    whole members to its end."""
    # warcio reports some damage on stderr, quoting the file's bytes: the note says it instead.
    with contextlib.redirect_stderr(io.StringIO()):
        end, pending = 0, None
        for record in _parse(handle):
            if pending is not None:  # the next member began, so this one was whole
                _count(summary, pending, since)
                end = pending.end
            pending = record
        if pending is not None and _tail(handle, pending.offset) == "whole":
            _count(summary, pending, since)
            end = pending.end
        state = "whole" if end == summary.size else _tail(handle, end)
    records = f"{summary.records} record{'' if summary.records == 1 else 's'}"
    if state == "cut":
        summary.problem = f"truncated after {records}"
    elif state != "whole" or end < summary.size:
        summary.problem = f"unreadable after {records} ({summary.size - end} bytes at offset {end})"
