"""Real web pages nobody on the project wrote (trafilatura's test pages, tests/data/pages), served
from loopback, and the full-text stage as newsmon runs it (worker-process extraction)."""

import asyncio
import re
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import yaml
from feedserver import FeedServer

from contract import Article, article_id
from ingest.extraction import IsolatedExtractor
from ingest.fulltext import FulltextPolicy, FulltextStage, PageReport
from ingest.pages import PageFetcher, PagePolicy
from ingest.politeness import HostLimiter
from ingest.robots import RobotsCache

PAGES_DIR = Path(__file__).resolve().parent / "data" / "pages"
T = TypeVar("T")


@dataclass(frozen=True)
class CorpusPage:
    """One page of the corpus and what upstream's tests expect of its text."""

    file: str
    url: str
    expected: list[str]
    excluded: list[str]

    @property
    def body(self) -> bytes:
        return (PAGES_DIR / self.file).read_bytes()


def corpus() -> list[CorpusPage]:
    """Every page of tests/data/pages/index.yaml."""
    entries = yaml.safe_load((PAGES_DIR / "index.yaml").read_text(encoding="utf-8"))
    return [
        CorpusPage(e["file"], e["url"], list(e.get("expected") or []),
                   list(e.get("excluded") or []))
        for e in entries
    ]  # fmt: skip


def normalised(text: str) -> str:
    """Whitespace collapsed, as the snippets are compared."""
    return re.sub(r"\s+", " ", text).strip()


def passes(page: CorpusPage, text: str) -> bool:
    """Every expected snippet in ``text`` and no excluded one."""
    flat = normalised(text)
    return all(normalised(s) in flat for s in page.expected) and not any(
        normalised(s) in flat for s in page.excluded
    )


def serve(server: FeedServer, pages: list[CorpusPage]) -> dict[str, str]:
    """Serve every page as text/html (no charset: the page's own declaration counts), by file."""
    return {
        p.file: server.add(f"/pages/{quote(p.file)}", p.body, content_type="text/html")
        for p in pages
    }


def teaser_article(url: str, summary: str = "A one-sentence teaser.") -> Article:
    """A feed item as BBC or Reuters feeds carry it: one sentence, and the link."""
    return Article(
        id=article_id(url),
        url=url,
        title="",
        summary=summary,
        text=summary,
        fetched_at=datetime.now(UTC),
        published=datetime(2026, 11, 20, tzinfo=UTC),
        source="corpus",
        feed_url="https://corpus.example/feed.xml",
    )


def run_stage(
    articles: list[Article],
    tmp_path: Path,
    *,
    host_concurrency: int = 8,
    host_delay: float = 0.0,
    workers: int = 2,
    page_min_words: int = 30,
) -> list[PageReport]:
    """The full-text stage over ``articles``: a real client, robots.txt, worker extraction."""

    async def main() -> list[PageReport]:
        robots = RobotsCache(tmp_path / "robots.sqlite3", "newsmon/0.1 (+test)")
        try:
            with IsolatedExtractor(workers) as extract:
                async with httpx.AsyncClient(timeout=30) as client:
                    fetcher = PageFetcher(
                        client, robots, HostLimiter(host_concurrency, host_delay), PagePolicy()
                    )
                    stage = FulltextStage(
                        {},
                        fetcher,
                        extract,
                        FulltextPolicy(mode="always", page_min_words=page_min_words),
                    )  # fmt: skip
                    return await stage.run(articles)
        finally:
            robots.close()

    return drive(main())


def drive(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end."""
    return asyncio.run(coroutine)
