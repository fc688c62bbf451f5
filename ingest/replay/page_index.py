"""Pass 1 of a replay: where each archived page is, so pages are read back, never fetched.

The index holds, per page URL (canonical, and as archived), the file, the record's offset
and its WARC-Date: a few hundred bytes a page, bodies stay on disk. When a URL was archived
more than once the newest response wins (the last read, on equal dates). :class:`ArchivedPages`
puts the index where the full-text stage expects a page fetcher.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from contract.ids import canonical_url
from ingest.feeds_file import FeedSpec
from ingest.pages import Page
from ingest.replay.items import PageResponse, Skipped
from ingest.replay.sources import is_warc, source_files
from ingest.replay.warc import archived_pages, read_record

NOT_ARCHIVED = "not-archived"
"""The failure of a page the replayed archive does not hold (``fulltext-failed:not-archived``)."""


def canonical_or_raw(url: str) -> str:
    """``canonical_url(url)``, or ``url`` itself when it cannot be taken apart."""
    try:
        return canonical_url(url)
    except ValueError:
        return url


@dataclass(frozen=True, slots=True)
class _Entry:
    file: int  # index into PageIndex.files
    offset: int
    fetched_at: datetime
    streamed: bool  # the offset counts decompressed bytes


class PageIndex:
    """The archived HTML pages (200 responses) of a replay's sources, by URL."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self._entries: dict[str, _Entry] = {}
        self._canonical: set[str] = set()

    @classmethod
    def build(cls, paths: Sequence[Path]) -> "PageIndex":
        """Scan the WARC files among ``paths`` (directories expanded as the replay does).

        Bodies are not read where the headers say HTML and nothing needs decoding; other
        files, and damage, are left to the replay itself to report.
        """
        index = cls()
        for found in source_files(paths):
            if isinstance(found, Skipped) or not is_warc(found):
                continue
            for page, offset, streamed in archived_pages(found):
                index.add(found, page, offset, streamed)
        return index

    def add(self, path: Path, page: PageResponse, offset: int, streamed: bool = False) -> None:
        """Record ``page`` (read from ``path`` at ``offset``) unless a newer one is held."""
        if not self.files or self.files[-1] != path:
            self.files.append(path)
        entry = _Entry(len(self.files) - 1, offset, page.fetched_at, streamed)
        canonical = canonical_or_raw(page.url)
        held = self._entries.get(canonical)
        if held is not None and held.fetched_at > entry.fetched_at:
            return
        self._canonical.add(canonical)
        self._entries[canonical] = entry
        self._entries[page.url] = entry

    def _entry(self, url: str) -> _Entry | None:
        return self._entries.get(canonical_or_raw(url)) or self._entries.get(url)

    def __len__(self) -> int:
        return len(self._canonical)

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self._entry(url) is not None

    def urls(self) -> set[str]:
        """Every indexed page's canonical URL."""
        return set(self._canonical)

    def read(self, url: str) -> PageResponse | None:
        """The archived page for ``url`` (any form of it), read from its file; None when it
        is not indexed or no longer reads as a page."""
        entry = self._entry(url)
        if entry is None:
            return None
        try:
            item = read_record(self.files[entry.file], entry.offset, streamed=entry.streamed)
        except OSError:
            return None
        return item if isinstance(item, PageResponse) else None

    def fetcher(self) -> "ArchivedPages":
        """A page fetcher that reads from this index."""
        return ArchivedPages(self)


class ArchivedPages:
    """Pages from the archive where :class:`ingest.fulltext.FulltextStage` wants a
    :class:`ingest.pages.PageFetcher`: no network, no robots, no politeness.

    Attributes:
        used: canonical URLs of the pages given out (so the runner does not replay them again
            as articles by themselves).
    """

    def __init__(self, index: PageIndex) -> None:
        self.index = index
        self.used: set[str] = set()

    async def fetch(self, url: str, feed: FeedSpec | None = None) -> Page:
        """The archived page of ``url``, or a ``not-archived`` failure."""
        page = await asyncio.to_thread(self.index.read, url)
        if page is None:
            message = f"page {url}: not in the replayed archive"
            return Page(url, failure=NOT_ARCHIVED, message=message)
        self.used.update({canonical_or_raw(page.url), canonical_or_raw(url)})
        return Page(
            url,
            body=page.body,
            content_type=page.content_type,
            final_url=page.url,
            local=True,
            attempts=0,
        )
