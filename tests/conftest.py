"""Fixtures shared by every test package: the loaded enrichment pipeline and article factories."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer

from contract import Article, article_id
from processors.enrich import Enricher

DATA = Path(__file__).parent / "data"
SEED_TITLE = "NATO chief urges allies to lift limits on Ukraine's use of Western weapons"


@pytest.fixture(scope="session")
def enricher() -> Enricher:
    """The real spaCy pipeline + gazetteer + taxonomy, loaded once per session (~1-2 s)."""
    return Enricher.load()


def build_article(**overrides: Any) -> Article:
    """A valid Article; any field can be overridden, ``id`` follows ``url`` unless given."""
    url = overrides.get("url", "https://example.com/news/story-1")
    fields: dict[str, Any] = {
        "id": article_id(url),
        "url": url,
        "title": "Example headline",
        "text": "Example text.",
        "published": datetime(2024, 5, 24, 9, 30, tzinfo=UTC),
        "fetched_at": datetime(2024, 5, 24, 10, 0, tzinfo=UTC),
        "source": "Example News",
        "feed_url": "https://example.com/rss.xml",
        "language": "en",
    }
    fields.update(overrides)
    return Article(**fields)


@pytest.fixture
def make_article() -> Callable[..., Article]:
    """Factory: ``make_article(title=..., text=...)`` -> a valid :class:`contract.Article`."""
    return build_article


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The text of a real news story (NATO, Ukraine, weapons restrictions, a ceasefire)."""
    return (DATA / "seed_article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_article(seed_text: str) -> Article:
    """The seed story as an Article with its headline."""
    return build_article(
        url="https://example.com/world/nato-chief-weapons-limits", title=SEED_TITLE, text=seed_text
    )


@pytest.fixture(scope="session")
def seed_enriched(enricher: Enricher, seed_article: Article) -> Article:
    """The seed article after enrichment (computed once)."""
    return enricher.enrich(seed_article)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A loopback HTTP feed server; ``add(path, body, etag=...)`` returns the URL."""
    server = FeedServer()
    yield server
    server.close()


# The real local stack (Kafka + Elasticsearch), for tests/integration and tests/e2e.
from local_stack import app_config, es, percolator, stack  # noqa: E402, F401
