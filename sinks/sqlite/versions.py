"""Versions of the embedded article store, and the store that always follows the live one.

``DATA/articles.sqlite3`` is version 1 (as before versions existed); version N > 1 is
``DATA/articles-vN.sqlite3``. The live version is the file named in ``DATA/articles.current``
(version 1 when that file is missing). Making a version live replaces the pointer with
``os.replace``: atomic, so a reader opens either the old complete file or the new complete one.
Readers that opened the old file before go on reading it (it is kept until dropped).

Writers never write to a version that stopped being live: :class:`VersionStore` reads the
pointer inside its write transaction, and :meth:`StoreVersions.swap` replaces the pointer while
holding the old file's write lock. So a write to the old file either committed before the swap
(and the reindex's catch-up after the swap sees it) or sees the new pointer and moves on.
"""

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from contract import Alert, Article, ConfigError, InvalidQuery, NewsmonError, Subscription
from sinks.article_queries import SearchResult, Stats
from sinks.backtest import Backtest
from sinks.base import Sink, WriteReport
from sinks.documents import from_document, to_document
from sinks.lucene.evaluate import DocumentView, compile_query
from sinks.sqlite.articles import SqliteArticleStore
from sinks.sqlite.base import sqlite_errors

POINTER_SUFFIX = ".current"
READ_PAGE = 1000


class StoreMoved(NewsmonError):
    """The version a writer holds is no longer live: reopen the live one and write there."""


def pointer_of(base: Path) -> Path:
    """The pointer file next to version 1: ``articles.sqlite3`` -> ``articles.current``."""
    return base.with_suffix(POINTER_SUFFIX)


def version_path(base: Path, number: int) -> Path:
    """The file of version ``number``."""
    return base if number == 1 else base.with_name(f"{base.stem}-v{number}{base.suffix}")


def version_number(base: Path, path: Path) -> int | None:
    """The version number of ``path``, or None when it is no version of ``base``."""
    if path.name == base.name:
        return 1
    found = re.fullmatch(rf"{re.escape(base.stem)}-v(\d+){re.escape(base.suffix)}", path.name)
    return int(found.group(1)) if found else None


def live_path(base: Path) -> Path:
    """The live version's file (read from the pointer; ``base`` without one)."""
    try:
        name = pointer_of(base).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return base
    return base.with_name(name) if name else base


class VersionStore(SqliteArticleStore):
    """One version's file. With ``base``, writes refuse (:class:`StoreMoved`) once the version
    is no longer live."""

    def __init__(self, path: Path, base: Path | None = None) -> None:
        super().__init__(path)
        self.file = path
        self.base = base

    def write_batch(self, items: Sequence[Article]) -> WriteReport[Article]:
        """Upsert ``items`` in one transaction, if this version is (still) live.

        Raises:
            StoreMoved: another version became live (nothing was written).
            TransientError: the file is locked or unwritable.
        """
        indexed_at = datetime.now(UTC).isoformat()
        with sqlite_errors(f"storing {len(items)} articles in {self.path}"), self._write() as db:
            if self.base is not None and live_path(self.base) != self.file:
                raise StoreMoved(f"{self.file} is no longer the live article store")
            for article in items:
                self._upsert(db, article, to_document(article, indexed_at))
        return WriteReport(written=len(items))

    @contextmanager
    def holding_writes(self) -> Iterator[None]:
        """Hold this file's write lock (writers queue up) for the body's duration."""
        with self._write():
            yield


def _written_at(db: sqlite3.Connection, ids: Sequence[str]) -> dict[str, datetime]:
    found: dict[str, datetime] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            "SELECT id, json_extract(CAST(doc AS TEXT), '$.indexed_at') FROM articles"
            f" WHERE id IN ({marks})",
            chunk,
        ).fetchall()
        found.update({str(i): datetime.fromisoformat(at) for i, at in rows if at})
    return found


class LiveArticleStore(Sink[Article]):
    """The live version of the embedded store, followed across swaps: the indexer's sink and
    the queries of long-running commands (``newsmon api``, the spike checks). Each call checks
    the pointer (one small file read) and reopens when another version became live."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._store: VersionStore | None = None

    def current(self) -> VersionStore:
        """The live version, reopened if it changed."""
        path = live_path(self.base)
        if self._store is None or self._store.file != path:
            if self._store is not None:
                self._store.close()
            self._store = VersionStore(path, self.base)
        return self._store

    def setup(self) -> str:
        """The live file, for messages."""
        return str(self.current().file)

    def write_batch(self, items: Sequence[Article]) -> WriteReport[Article]:
        """Upsert ``items`` into the live version (following a swap that happens meanwhile)."""
        while True:
            try:
                return self.current().write_batch(items)
            except StoreMoved:
                continue

    def close(self) -> None:
        """Close the open version."""
        if self._store is not None:
            self._store.close()
            self._store = None

    def search(self, query: str, since: datetime | None = None, limit: int = 20) -> SearchResult:
        """:meth:`SqliteArticleStore.search` on the live version."""
        return self.current().search(query, since, limit)

    def stats(self, since: datetime, until: datetime, top: int = 20) -> Stats:
        """:meth:`SqliteArticleStore.stats` on the live version."""
        return self.current().stats(since, until, top)

    def backtest(self, query: str, days: int, now: datetime, tz: str = "UTC") -> Backtest:
        """:meth:`SqliteArticleStore.backtest` on the live version."""
        return self.current().backtest(query, days, now, tz)

    def known(self, ids: Sequence[str]) -> set[str]:
        """:meth:`SqliteArticleStore.known` on the live version."""
        return self.current().known(ids)

    def export(
        self, since: datetime | None, until: datetime | None, query: str | None = None
    ) -> Iterator[Article]:
        """:meth:`SqliteArticleStore.export` on the live version."""
        return self.current().export(since, until, query)

    def check_spike(self, subscription: Subscription, now: datetime) -> Alert | None:
        """:meth:`SqliteArticleStore.check_spike` on the live version."""
        return self.current().check_spike(subscription, now)


class StoreVersions:
    """:class:`sinks.article_versions.ArticleVersions` of the embedded store at ``base``."""

    def __init__(self, base: Path) -> None:
        self.base = base

    def _path(self, version: str) -> Path:
        path = self.base.with_name(version)
        if version_number(self.base, path) is None:
            raise ConfigError(f"{version}: not a version of {self.base.name}")
        return path

    def live(self) -> str:
        """The live version's file name."""
        path = live_path(self.base)
        if not path.exists():
            raise ConfigError(f"no article store at {path}: nothing has been indexed yet")
        return path.name

    def versions(self) -> list[str]:
        """Every version's file name, oldest first."""
        numbered = [
            (number, path.name)
            for path in self.base.parent.glob(f"{self.base.stem}*{self.base.suffix}")
            if (number := version_number(self.base, path)) is not None
        ]
        return [name for _, name in sorted(numbered)]

    def create(self) -> str:
        """A new empty version after the newest; versions newer than the live one (builds never
        swapped in) are deleted first."""
        live = version_number(self.base, self._path(self.live())) or 1
        numbers = [version_number(self.base, self._path(v)) or 1 for v in self.versions()]
        for number in numbers:
            if number > live:
                self.drop(version_path(self.base, number).name)
        path = version_path(self.base, max(n for n in numbers if n <= live) + 1)
        VersionStore(path).close()
        return path.name

    def sink(self, version: str) -> VersionStore:
        """A writer to ``version`` (it writes there whether live or not)."""
        return VersionStore(self._path(version))

    def ready(self, version: str) -> None:
        """Nothing to do: SQLite reads see committed writes."""

    def count(self, version: str) -> int:
        """Articles in ``version``."""
        store = VersionStore(self._path(version))
        try:
            return store.count()
        finally:
            store.close()

    def _docs(self, version: str, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[Any]:
        store = VersionStore(self._path(version))
        try:
            after = -1
            while True:
                with sqlite_errors(f"reading {store.path}"):
                    rows = store._read(
                        f"SELECT rowid, doc FROM articles WHERE rowid > ? {where}"
                        " ORDER BY rowid LIMIT ?",
                        (after, *params, READ_PAGE),
                    )
                for rowid, blob in rows:
                    after = rowid
                    yield orjson.loads(blob)
                if len(rows) < READ_PAGE:
                    return
        finally:
            store.close()

    def read(self, version: str) -> Iterator[Article]:
        """Every article of ``version``, in the order they were first stored."""
        return (from_document(doc) for doc in self._docs(version))

    def written_since(self, version: str, since: datetime) -> Iterator[Article]:
        """Articles of ``version`` whose ``indexed_at`` is at or after ``since``."""
        where = "AND json_extract(CAST(doc AS TEXT), '$.indexed_at') >= ?"
        return (
            from_document(doc)
            for doc in self._docs(version, where, (since.astimezone(UTC).isoformat(),))
        )

    def written_at(self, version: str, ids: Sequence[str]) -> dict[str, datetime]:
        """``indexed_at`` of each of ``ids`` stored in ``version``."""
        store = VersionStore(self._path(version))
        try:
            with store._lock, sqlite_errors(f"reading {store.path}"):
                return _written_at(store._conn, ids)
        finally:
            store.close()

    def match_counts(self, version: str, queries: Mapping[str, str]) -> dict[str, int]:
        """Matches per query, evaluated by the embedded matcher over every document (queries
        it refuses count 0)."""
        compiled = {}
        for sid, query in queries.items():
            try:
                compiled[sid] = compile_query(query)
            except InvalidQuery:
                continue
        counts = dict.fromkeys(queries, 0)
        for doc in self._docs(version):
            view = DocumentView.of(doc)
            for sid, matcher in compiled.items():
                if matcher.matches(view):
                    counts[sid] += 1
        return counts

    def swap(self, old: str, new: str) -> None:
        """Point at ``new`` with ``os.replace``, holding ``old``'s write lock meanwhile."""
        target = self._path(new)
        if not target.exists():
            raise ConfigError(f"no article store version {new}")
        pointer = pointer_of(self.base)
        staged = pointer.with_name(pointer.name + ".tmp")
        store = VersionStore(self._path(old))
        try:
            with store.holding_writes():
                with staged.open("w", encoding="utf-8") as handle:
                    handle.write(target.name + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(staged, pointer)
                _sync_dir(pointer.parent)
        finally:
            store.close()

    def drop(self, version: str) -> None:
        """Delete ``version``'s file (and its WAL files); never the live one."""
        if version == self.live():
            raise ConfigError(f"{version} is the live version")
        path = self._path(version)
        for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            part.unlink(missing_ok=True)


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
