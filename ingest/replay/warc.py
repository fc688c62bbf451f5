"""WARC (and ARC) files read back record by record: every record is one replay item.

Files are streamed with warcio's ``ArchiveIterator``, one record in memory at a time (its body
at most :data:`ingest.replay.items.MAX_BODY` bytes). WARC-Target-URI and WARC-Date are the
truth for a response's URL and time. A ``response`` with status 200 whose body is a feed or an
HTML page is a :class:`FeedResponse` or :class:`PageResponse`; every other record is a
:class:`Skipped` whose reason is its type (``request``, ``warcinfo``, ``metadata``, ``revisit``,
``resource``), ``http-<status>``, ``robots-txt``, ``not-a-feed-or-page``, ``empty``, ...

Damage stops a file, never the replay: a gzip member cut short or corrupt, or bytes that are
not a record, are one ``Skipped`` (``truncated``, ``corrupt``) naming the byte offset, after
the records before it. warcio alone does not always notice (see :mod:`ingest.archive_read`), so
each record's payload is checked against its length and each gzip member for its end.

A gzip file should be one member per record; warcio refuses other gzip files (``non-chunked
gzip``). Those are read as one decompressed stream instead, and their offsets (``path@offset``)
count decompressed bytes.
"""

import contextlib
import gzip
import io
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ingest.dates import BadDate, parse_date
from ingest.replay.items import MAX_BODY, FeedResponse, PageResponse, ReplayItem, Skipped
from ingest.replay.payload import Unusable, decode, needs_decoding
from ingest.replay.sniff import HTML_TYPES, Kind, classify, media_type

__all__ = ["Kind", "classify", "read_warc", "warc_date"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
# What warcio raises on a record it cannot parse (a cut or garbled header block).
_UNPARSEABLE = (ArchiveLoadFailed, AttributeError, TypeError, ValueError, IndexError, EOFError)
# What reading decompressed data can raise on a damaged gzip stream.
_GZIP_DAMAGE = (EOFError, OSError, zlib.error)
_WORD = re.compile(r"[a-z][a-z0-9_-]{0,30}")
_STAMP14 = re.compile(r"\d{14}")


def warc_date(raw: str | None) -> datetime | None:
    """A ``WARC-Date`` (ISO 8601 with ``Z``, fractional seconds kept; or a 14-digit ARC
    stamp) as an aware UTC datetime; None when missing or not a date."""
    raw = (raw or "").strip()
    try:
        if _STAMP14.fullmatch(raw):
            return datetime.strptime(raw, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        try:
            return parse_date(raw)  # other zone spellings, RFC 822
        except BadDate:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _read_limited(stream: Any, keep: int) -> tuple[bytes, int]:
    """At most ``keep + 1`` bytes of ``stream`` (one over says "too large"), and how many
    bytes it had; the rest is read and dropped."""
    parts, kept, total = [], 0, 0
    while chunk := stream.read(_CHUNK):
        total += len(chunk)
        if kept <= keep:
            part = chunk[: keep + 1 - kept]
            parts.append(part)
            kept += len(part)
    return b"".join(parts), total


@dataclass(frozen=True)
class _Head:
    """What a record's headers say, before its payload is read."""

    url: str
    fetched_at: datetime | None
    content_type: str | None
    skip: tuple[str, str] | None  # (reason, detail)


def _skip_word(record_type: str) -> str:
    return record_type if _WORD.fullmatch(record_type) else "unknown-record"


def _head(record: Any) -> _Head:
    url = str(record.rec_headers.get_header("WARC-Target-URI") or "")
    fetched_at = warc_date(record.rec_headers.get_header("WARC-Date"))
    http = record.http_headers
    content_type = http.get_header("Content-Type") if http is not None else None
    kind = str(record.rec_type or "")
    skip: tuple[str, str] | None = None
    if kind != "response":
        skip = (_skip_word(kind), f"{kind or 'untyped'} record" + (f" for {url}" if url else ""))
    elif http is None or not http.protocol.upper().startswith("HTTP/"):
        skip = ("not-http", f"{url or 'a response'}: no HTTP response")
    elif not url:
        skip = ("no-url", "response without WARC-Target-URI")
    elif fetched_at is None:
        raw = record.rec_headers.get_header("WARC-Date")
        skip = ("bad-date", f"{url}: WARC-Date {raw!r} is not a date")
    else:
        skip = _response_skip(url, str(http.get_statuscode() or ""))
    return _Head(url, fetched_at, content_type, skip)


def _response_skip(url: str, status: str) -> tuple[str, str] | None:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ("bad-url", f"{url}: not a URL")
    if path == "/robots.txt":
        return ("robots-txt", f"{url}: robots.txt")
    if status != "200":
        word = f"http-{status}" if status.isdigit() else "bad-status"
        return (word, f"{url}: HTTP status {status or '(none)'}")
    return None


def _item(record: Any, head: _Head, where: str, raw: bytes, total: int) -> ReplayItem:
    """The item of a record whose payload (``raw``, of ``total`` bytes) was read."""
    if head.skip is not None:
        reason, detail = head.skip
        return Skipped(where, reason, f"{where}: {detail}")
    assert head.fetched_at is not None
    if total > MAX_BODY:
        return Skipped(where, "too-large", f"{where}: {head.url}: body over {MAX_BODY} bytes")
    try:
        body = decode(raw, record.http_headers, MAX_BODY)
    except Unusable as exc:
        return Skipped(where, exc.reason, f"{where}: {head.url}: {exc.detail}")
    if not body.strip():
        return Skipped(where, "empty", f"{where}: {head.url}: empty body")
    kind = classify(body, head.content_type)
    if kind == "other":
        what = head.content_type or "no Content-Type"
        detail = f"{head.url}: neither a feed nor an HTML page ({what})"
        return Skipped(where, "not-a-feed-or-page", f"{where}: {detail}")
    made = FeedResponse if kind == "feed" else PageResponse
    return made(head.url, head.fetched_at, body, head.content_type, where)


def _headers_only(record: Any, head: _Head) -> bool:
    """Whether the headers alone make this a page (HTML type, nothing to decode): the page
    index then never reads its body."""
    return (
        head.skip is None
        and media_type(head.content_type) in HTML_TYPES
        and not needs_decoding(record.http_headers)
    )


def _expected(record: Any) -> int | None:
    """The payload length the record's headers promise; None when they do not say (its
    header block was cut before ``Content-Length`` had a value)."""
    declared = str(record.rec_headers.get_header("Content-Length") or "").strip()
    if not declared.isdigit() or not isinstance(record.length, int):
        return None
    http = record.http_headers
    return int(record.length - (http.total_len if http is not None else 0))


def _member_state(handle: IO[bytes], offset: int) -> tuple[str, int]:
    """Whether the gzip member at ``offset`` is ``whole`` (and where it ends), ``cut`` (the
    file ends inside it) or ``corrupt``; decompressed a chunk at a time, output dropped."""
    handle.seek(offset)
    engine, end = zlib.decompressobj(16 + zlib.MAX_WBITS), offset
    try:
        while not engine.eof:
            data = handle.read(_CHUNK)
            if not data:
                return "cut", offset
            end += len(data)
            while data and not engine.eof:
                engine.decompress(data, _CHUNK)
                data = engine.unconsumed_tail
    except zlib.error:
        return "corrupt", offset
    return "whole", end - len(engine.unused_data)


def _member_ended(records: ArchiveIterator) -> bool:
    """Whether warcio's gzip reader saw the current record's member end, with nothing of the
    member left over (true for plain files).

    A look at warcio's internals, only to save re-reading each member: when it says no,
    :func:`_member_state` decides. (warcio's own record length goes negative for a gzip file
    that is one member, so it cannot tell.)
    """
    reader = getattr(records, "reader", None)
    decompressor = getattr(reader, "decompressor", None)
    if decompressor is None:
        return True
    buffer = getattr(reader, "buff", None)
    left = buffer is not None and buffer.tell() < getattr(reader, "buff_size", 0)
    return bool(getattr(decompressor, "eof", False)) and not left and not records.next_line


class _Restart(Exception):
    """The file is gzip, but not one member per record: read it again as one stream."""


class _Reader:
    """One file's records as items, with the bookkeeping that catches damage."""

    def __init__(self, path: Path, handle: IO[bytes], *, headers_only: bool = False) -> None:
        self.path = path
        self.handle = handle  # the file
        # what warcio reads: the file, or (see stream) its decompressed stream
        self.source: IO[bytes] | gzip.GzipFile = handle
        self.headers_only = headers_only
        self.gzip = handle.read(2) == b"\x1f\x8b"  # one member per record, as warcio expects
        self.done = 0  # records yielded, so a restart can pass over them
        self.streamed = False  # read as one decompressed stream (offsets are decompressed)
        self.size = handle.seek(0, io.SEEK_END)

    def stream(self) -> gzip.GzipFile:
        """Switch to reading the gzip file as one decompressed stream, from its start."""
        self.handle.seek(0)
        self.gzip, self.streamed = False, True
        self.source = gzip.GzipFile(fileobj=self.handle, mode="rb")
        return self.source

    def where(self, offset: int) -> str:
        return f"{self.path}@{offset}"

    def items(self) -> Iterator[ReplayItem]:
        try:
            yield from self._members()
        except _Restart:
            yield from self._stream()

    def _members(self) -> Iterator[ReplayItem]:
        """Read as warcio reads: each gzip member (or the plain file) record by record."""
        self.handle.seek(0)
        records = ArchiveIterator(self.handle, arc2warc=True)
        offset = 0
        while True:
            step = self.next_item(records, offset)
            if step is None:
                break
            item, end, stop = step
            yield item
            if stop:
                return
            self.done += 1
            offset = end
        problem = self._tail(offset)
        if problem is not None:
            yield problem

    def next_item(
        self, records: ArchiveIterator, offset: int
    ) -> tuple[ReplayItem, int, bool] | None:
        """The next record's item, where it ends, and whether the file stops there; None at
        the end of the file."""
        with contextlib.redirect_stderr(io.StringIO()) as warnings:
            try:
                record = next(records)
            except StopIteration:
                return None
            except _UNPARSEABLE as exc:
                return self._unparseable(offset, exc), offset, True
            head = _head(record)
            keep = 0 if head.skip is not None or self._peek(record, head) else MAX_BODY
            raw, total = _read_limited(record.raw_stream, keep)
            start, length = records.get_record_offset(), records.get_record_length()
        if warnings.getvalue().strip():
            log.debug("%s: warcio: %s", self.where(start), " ".join(warnings.getvalue().split()))
        expected = _expected(record)
        whole = expected is not None and total == expected  # no length: a cut header block
        if self.gzip and not (whole and length > 0 and _member_ended(records)):
            state, _ = _member_state(self.handle, start)
            if state != "whole":
                return self._damaged(start, state), start, True
            raise _Restart  # a record spanning members, or members holding several records
        if not whole:
            if expected is None and not self.streamed and start + length < self.size:
                where = self.where(start)
                message = f"{where}: no valid Content-Length; the file stops here"
                return Skipped(where, "corrupt", message), start, True
            return self._cut(start, total, expected), start, True
        return self._made(record, head, start, raw, total), start + length, False

    def _peek(self, record: Any, head: _Head) -> bool:
        return self.headers_only and _headers_only(record, head)

    def _made(self, record: Any, head: _Head, offset: int, raw: bytes, total: int) -> ReplayItem:
        where = self.where(offset)
        if self._peek(record, head):
            assert head.fetched_at is not None
            return PageResponse(head.url, head.fetched_at, b"", head.content_type, where)
        return _item(record, head, where, raw, total)

    def _unparseable(self, offset: int, exc: BaseException) -> ReplayItem:
        """What a record warcio could not parse at ``offset`` is: cut, corrupt, or (gzip not
        one member per record) a reason to read the file again as one stream."""
        if self.gzip:
            state, _ = _member_state(self.handle, offset)
            if state == "whole":
                raise _Restart from exc
            return self._damaged(offset, state)
        self.source.seek(offset)
        rest = self.source.read(_CHUNK)
        offset += len(rest) - len(rest.lstrip())
        rest = rest.lstrip()
        if len(rest) < _CHUNK and b"\r\n\r\n" not in rest and b"\n\n" not in rest:
            return self._damaged(offset, "cut")
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        where = self.where(offset)
        return Skipped(where, "corrupt", f"{where}: not a WARC record ({detail}); file stops")

    def _tail(self, offset: int) -> ReplayItem | None:
        """Bytes after the last record that are not a whole record: cut, or not WARC."""
        if offset >= self.size:
            return None
        if not self.gzip:
            self.handle.seek(offset)
            blank = not self.handle.read(_CHUNK).strip()
            return None if blank else self._damaged(offset, "cut")
        state, _ = _member_state(self.handle, offset)
        if state == "whole" and self._blank_member(offset):
            return None
        return self._damaged(offset, "corrupt" if state == "corrupt" else "cut")

    def _blank_member(self, offset: int) -> bool:
        self.handle.seek(offset)
        engine = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return not engine.decompress(self.handle.read(_CHUNK), _CHUNK).strip()

    def _damaged(self, offset: int, state: str) -> Skipped:
        where = self.where(offset)
        what = "gzip data corrupt" if state == "corrupt" else "the file ends inside the record"
        return Skipped(where, "truncated", f"{where}: {what}; the records before it are read")

    def _cut(self, offset: int, got: int, expected: int | None) -> Skipped:
        where = self.where(offset)
        what = "no Content-Length" if expected is None else f"{got} of {expected} payload bytes"
        message = f"{where}: the file ends inside the record ({what}); the records before are read"
        return Skipped(where, "truncated", message)

    def _stream(self) -> Iterator[ReplayItem]:
        """Read a gzip file that is not one member per record as one decompressed stream,
        passing over the records already given."""
        stream = self.stream()
        records = ArchiveIterator(stream, arc2warc=True)
        offset, index = 0, 0
        while True:
            try:
                step = self.next_item(records, offset)
            except _GZIP_DAMAGE:
                yield self._damaged(offset, "cut")
                return
            if step is None:
                break
            item, end, stop = step
            if index >= self.done or stop:
                yield item
            if stop:
                return
            index, offset = index + 1, end
        try:
            clean = not stream.read(_CHUNK).strip()
        except _GZIP_DAMAGE:
            clean = False
        if not clean:
            yield self._damaged(offset, "cut")


def read_warc(path: Path, *, headers_only: bool = False) -> Iterator[ReplayItem]:
    """Every record of the WARC (or ARC) file at ``path`` as one item, in file order.

    Args:
        path: the file (gzip or not).
        headers_only: a 200 HTML response whose payload needs no decoding is given with an
            empty body, unread (for the page index, which only needs where pages are).

    Yields:
        FeedResponse, PageResponse, or Skipped; after damage, one ``truncated``/``corrupt``
        Skipped and nothing more.
    """
    try:
        with path.open("rb") as handle:
            yield from _Reader(path, handle, headers_only=headers_only).items()
    except OSError as exc:
        where = str(path)
        yield Skipped(where, "unreadable", f"{where}: {exc.strerror or exc}", record=False)


def read_record(path: Path, offset: int, *, streamed: bool = False) -> ReplayItem | None:
    """The one record at ``offset`` of ``path`` (a byte offset; of the decompressed stream
    when ``streamed``), as :func:`read_warc` gives it; None if there is none to read."""
    with path.open("rb") as handle:
        reader = _Reader(path, handle)
        source = reader.stream() if streamed else handle
        try:
            source.seek(offset)
            step = reader.next_item(ArchiveIterator(source, arc2warc=True), offset)
        except (_Restart, *_GZIP_DAMAGE):
            return None
    return None if step is None else step[0]


def archived_pages(path: Path) -> Iterator[tuple[PageResponse, int, bool]]:
    """Where the HTML page responses of ``path`` are: each page (its body empty when the
    headers alone said HTML), its record's offset, and whether the offset counts decompressed
    bytes (a gzip file that is not one member per record). Damage ends the list quietly:
    :func:`read_warc` reports it."""
    try:
        with path.open("rb") as handle:
            reader = _Reader(path, handle, headers_only=True)
            for item in reader.items():
                if isinstance(item, PageResponse):
                    yield item, int(item.where.rsplit("@", 1)[1]), reader.streamed
    except OSError as exc:
        log.debug("%s: %s", path, exc)
