"""Versions of the article store, for ``newsmon reindex``: a new version is built beside the
live one, compared with it, then made live in one atomic step; the old one is kept until
dropped.

Two implementations: :class:`sinks.elasticsearch.versions.IndexVersions` (indices
``<alias>-vN`` behind the alias) and :class:`sinks.sqlite.versions.StoreVersions` (files
``articles-vN.sqlite3`` named by a pointer file). Versions are named by what the backend calls
them (an index name, a file name).
"""

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from contract import Article
from sinks.base import Sink


class ArticleVersions(Protocol):
    """The versions of one article store."""

    def live(self) -> str:
        """The version searches read and the indexer writes.

        Raises:
            ConfigError: there is no live version (nothing was ever indexed).
            TransientError: the store is unreachable.
        """

    def versions(self) -> list[str]:
        """Every version, oldest first."""

    def create(self) -> str:
        """A new, empty version after the newest one; an unswapped build is deleted first."""

    def sink(self, version: str) -> Sink[Article]:
        """A writer to ``version`` (upserts by article id)."""

    def ready(self, version: str) -> None:
        """Make what was written to ``version`` visible to reads (Elasticsearch's refresh)."""

    def count(self, version: str) -> int:
        """Articles stored in ``version``."""

    def read(self, version: str) -> Iterator[Article]:
        """Every article of ``version``, streamed."""

    def written_since(self, version: str, since: datetime) -> Iterator[Article]:
        """Articles written to ``version`` (``indexed_at``) at or after ``since``."""

    def written_at(self, version: str, ids: Sequence[str]) -> dict[str, datetime]:
        """When each of ``ids`` stored in ``version`` was written (``indexed_at``)."""

    def match_counts(self, version: str, queries: Mapping[str, str]) -> dict[str, int]:
        """How many articles of ``version`` each query (by subscription id) matches."""

    def swap(self, old: str, new: str) -> None:
        """Make ``new`` live in one atomic step: no search sees neither or an empty one."""

    def drop(self, version: str) -> None:
        """Delete ``version`` (never the live one)."""
