"""Versions of the embedded article store: files, the pointer, the atomic swap, and writers
and readers that follow it."""

from collections.abc import Callable
from pathlib import Path

import pytest

from contract import Article, ConfigError
from sinks.sqlite.versions import (
    LiveArticleStore,
    StoreMoved,
    StoreVersions,
    VersionStore,
    live_path,
    pointer_of,
)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path / "articles.sqlite3"


def test_no_store_means_no_live_version(base: Path) -> None:
    with pytest.raises(ConfigError, match="nothing has been indexed"):
        StoreVersions(base).live()


def test_create_swap_drop(base: Path, make_article: Callable[..., Article]) -> None:
    live = LiveArticleStore(base)
    live.write_batch([make_article(url="https://example.com/a")])
    versions = StoreVersions(base)
    assert versions.live() == "articles.sqlite3" and versions.versions() == ["articles.sqlite3"]
    new = versions.create()
    assert new == "articles-v2.sqlite3" and versions.count(new) == 0
    assert versions.create() == "articles-v2.sqlite3"  # an unswapped build is replaced
    versions.sink(new).write_batch([make_article(url="https://example.com/b")])
    versions.swap("articles.sqlite3", new)
    assert pointer_of(base).read_text().strip() == new and live_path(base).name == new
    assert versions.live() == new
    assert [a.url for a in live.export(None, None)] == ["https://example.com/b"]
    assert versions.create() == "articles-v3.sqlite3"
    assert versions.versions() == ["articles.sqlite3", new, "articles-v3.sqlite3"]
    with pytest.raises(ConfigError, match="live version"):
        versions.drop(new)
    versions.drop("articles.sqlite3")
    assert not base.exists() and versions.live() == new


def test_a_writer_never_writes_to_a_version_no_longer_live(
    base: Path, make_article: Callable[..., Article]
) -> None:
    indexer = LiveArticleStore(base)
    indexer.write_batch([make_article(url="https://example.com/1")])
    versions = StoreVersions(base)
    stale = VersionStore(base, base)
    new = versions.create()
    versions.swap(versions.live(), new)
    with pytest.raises(StoreMoved):
        stale.write_batch([make_article(url="https://example.com/2")])
    indexer.write_batch([make_article(url="https://example.com/3")])  # follows the swap
    assert {a.url for a in versions.read(new)} == {"https://example.com/3"}
    assert {a.url for a in versions.read("articles.sqlite3")} == {"https://example.com/1"}


def test_written_since_and_at(base: Path, make_article: Callable[..., Article]) -> None:
    store = LiveArticleStore(base)
    store.write_batch([make_article(url="https://example.com/1")])
    versions = StoreVersions(base)
    (first,) = versions.written_at(
        "articles.sqlite3", [a.id for a in versions.read(versions.live())]
    )
    stamp = versions.written_at("articles.sqlite3", [first])[first]
    store.write_batch([make_article(url="https://example.com/2")])
    later = list(versions.written_since("articles.sqlite3", stamp))
    assert {a.url for a in later} >= {"https://example.com/2"}
    after = versions.written_at("articles.sqlite3", [a.id for a in later])
    assert all(at >= stamp for at in after.values())


def test_match_counts(base: Path, make_article: Callable[..., Article]) -> None:
    LiveArticleStore(base).write_batch(
        [
            make_article(url="https://example.com/1", text="A truce held."),
            make_article(url="https://example.com/2", text="Markets fell."),
        ]
    )
    counts = StoreVersions(base).match_counts(
        "articles.sqlite3", {"t": "truce", "m": "markets OR truce", "bad": "a~"}
    )
    assert counts == {"t": 1, "m": 2, "bad": 0}
