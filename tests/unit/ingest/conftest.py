"""Fixtures for the ingest tests: a real loopback HTTP feed server and RSS/Atom factories."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from feedserver import atom_xml, rss_xml

from ingest import FeedStateStore


@pytest.fixture
def make_rss() -> Callable[..., bytes]:
    """Factory: ``make_rss([{"title": ..., "link": ...}], language="en-US")`` -> RSS bytes."""
    return rss_xml


@pytest.fixture
def make_atom() -> Callable[..., bytes]:
    """Factory: ``make_atom([{"title": ..., "link": ...}], language="de")`` -> Atom bytes."""
    return atom_xml


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """Where a test's feed-state database lives (a sub-directory, to test it is created)."""
    return tmp_path / "state" / "feeds.sqlite"


@pytest.fixture
def store(store_path: Path) -> Iterator[FeedStateStore]:
    """A fresh feed-state store."""
    with FeedStateStore(store_path) as opened:
        yield opened
