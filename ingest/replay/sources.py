"""The files a replay reads, and each file read by what its bytes are (never by its name).

A directory is read recursively in the order of its files' relative paths; hidden files and
directories (``.name``) inside it are passed over, unless named on the command line. Archive
files still ``.open`` (``.warc.gz.open``: a writer is at it, or died) are read: their whole
records are there, and a cut last record is reported as ``truncated``.
"""

import os
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ingest.replay.items import MAX_BODY, FeedResponse, ReplayItem, Skipped, file_skipped
from ingest.replay.jsonl import read_jsonl
from ingest.replay.sniff import classify
from ingest.replay.warc import read_warc

_PEEK = 512
_GZIP = b"\x1f\x8b"
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_TEXT_CONTROLS = set(range(32)) - {9, 10, 12, 13}


def _walk(root: Path) -> Iterator[Path | Skipped]:
    """The files under ``root``, sorted by relative path, hidden ones passed over."""
    found: list[Path] = []
    problems: list[Skipped] = []

    def unreadable(error: OSError) -> None:
        where = str(error.filename or root)
        problems.append(file_skipped(where, "unreadable", error.strerror or str(error)))

    for directory, subdirectories, files in os.walk(root, onerror=unreadable):
        subdirectories[:] = [name for name in subdirectories if not name.startswith(".")]
        found.extend(Path(directory, name) for name in files if not name.startswith("."))
    yield from problems
    yield from sorted(found, key=lambda path: path.relative_to(root).parts)


def source_files(paths: Sequence[Path]) -> Iterator[Path | Skipped]:
    """Every file named or under a directory named, once each, in order.

    A path that does not exist is ``Skipped(reason="missing")``; one that is neither a file
    nor a directory (a socket, a device) is ``not-a-file``.
    """
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            candidates: Iterator[Path | Skipped] = _walk(path)
        elif path.exists():
            candidates = iter([path])
        else:
            yield file_skipped(str(path), "missing", "no such file or directory")
            continue
        for candidate in candidates:
            if isinstance(candidate, Skipped):
                yield candidate
                continue
            key = candidate.resolve()
            if key in seen:
                continue
            seen.add(key)
            if not candidate.is_file():
                yield file_skipped(str(candidate), "not-a-file", "not a regular file")
                continue
            yield candidate


def _gzip_head(path: Path) -> bytes:
    """The first decompressed bytes of a gzip file (empty when they cannot be had)."""
    engine = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        with path.open("rb") as handle:
            return engine.decompress(handle.read(1 << 16), _PEEK)
    except (OSError, zlib.error):
        return b""


def _is_binary(head: bytes) -> bool:
    if head.startswith(_BOMS):
        return False
    return b"\0" in head or sum(byte in _TEXT_CONTROLS for byte in head) > len(head) // 20


def _saved_feed(path: Path) -> ReplayItem:
    """A file that starts with markup: a feed (as if fetched at the file's time), or not."""
    where = str(path)
    with path.open("rb") as handle:
        body = handle.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return file_skipped(where, "too-large", f"over {MAX_BODY} bytes")
    kind = classify(body, None)
    if kind != "feed":
        what = "an HTML page (pages replay from WARC files)" if kind == "page" else "XML"
        return file_skipped(where, "not-a-feed", f"{what}, not a feed")
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return FeedResponse(path.resolve().as_uri(), fetched_at, body, None, where)


def _is_archive(head: bytes) -> bool:
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith((b"WARC/", b"filedesc://"))


def is_warc(path: Path) -> bool:
    """Whether ``path`` holds a WARC or ARC file (gzip or not), by its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_PEEK)
    except OSError:
        return False
    return _is_archive(_gzip_head(path) if head.startswith(_GZIP) else head)


def read_file(path: Path) -> Iterator[ReplayItem]:
    """The items of one file, by what its first bytes are: a WARC or ARC file (gzip or not),
    JSON lines, a saved feed; anything else is one Skipped for the whole file."""
    where = str(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(_PEEK)
    except OSError as exc:
        yield file_skipped(where, "unreadable", exc.strerror or str(exc))
        return
    if not head:
        yield file_skipped(where, "empty", "empty file")
        return
    if head.startswith(_GZIP):
        if _is_archive(_gzip_head(path)):
            yield from read_warc(path)
        else:
            yield file_skipped(where, "not-warc", "gzip data that is not a WARC file")
        return
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if _is_archive(head):
        yield from read_warc(path)
    elif _is_binary(head):
        yield file_skipped(where, "binary", "binary data, not a WARC, JSON lines or feed file")
    elif text.startswith(b"{"):
        yield from read_jsonl(path)
    elif text.startswith(b"<") or head.startswith(_BOMS):
        try:
            yield _saved_feed(path)
        except OSError as exc:
            yield file_skipped(where, "unreadable", exc.strerror or str(exc))
    elif not text:
        yield file_skipped(where, "empty", "only white space")
    else:
        yield file_skipped(where, "not-warc", "text that is not a WARC, JSON lines or feed file")


def read_sources(paths: Sequence[Path]) -> Iterator[ReplayItem]:
    """Every item of every source file, in order (see :func:`source_files`)."""
    for found in source_files(paths):
        if isinstance(found, Skipped):
            yield found
        else:
            yield from read_file(found)
