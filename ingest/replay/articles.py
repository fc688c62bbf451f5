"""Replay items -> articles, as the live pipeline would have made them.

A feed response is parsed as the poller parses it (``ingest.normalize.parse_feed``, with the
WARC-Date as the fetch time) and its articles go through the full-text stage with the archive
as the only "web" (``ArchivedPages``): an article whose feed wanted its page gets the archived
page's text, or the flag ``fulltext-failed:not-archived``. An HTML page response nobody's feed
pointed to is an article by itself (a CC-NEWS crawl): its URL is the WARC-Target-URI and its
fetch time the WARC-Date. A stored article (JSONL) is taken as it is.

Every article comes out in the ``replay`` lane. Nothing here talks to a server.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from contract import Article, FeedError
from contract.ids import article_id, canonical_url
from ingest.feeds_file import FeedSpec
from ingest.fulltext import Extract, ExtractFailed, FulltextPolicy, FulltextStage
from ingest.normalize import parse_feed
from ingest.replay.items import FeedResponse, PageResponse, ReplayItem, Skipped, StoredArticle
from ingest.replay.page_index import PageIndex
from ingest.walls import page_wall, wall_kind

log = logging.getLogger(__name__)

NOT_ARCHIVED = "fulltext-failed:not-archived"


@dataclass
class Made:
    """What one replay item gave: its articles (in order), or why it gave none."""

    where: str
    articles: list[Article] = field(default_factory=list)
    skipped: Skipped | None = None
    pages_used: int = 0
    pages_missing: int = 0
    read: bool = True
    """One record (line, file) read; False for a page made an article after the reading
    (:meth:`ReplayArticles.leftovers`), whose record was counted when it was read."""


def host_of(url: str) -> str:
    """The host of ``url`` (the source name of a page or feed not in the feeds file)."""
    return urlsplit(url).hostname or url


class ReplayArticles:
    """Turns replay items into articles, pages read from the archive.

    Args:
        index: the archived pages of the sources (pass 1).
        feeds: the feeds file's feeds by URL: their names and ``fulltext`` modes.
        extract: page bytes -> text (worker processes in newsmon).
        policy: when a page is wanted and when its text counts (the live settings).
    """

    def __init__(
        self,
        index: PageIndex,
        feeds: dict[str, FeedSpec],
        extract: Extract,
        policy: FulltextPolicy,
    ) -> None:
        self.index = index
        self.feeds = feeds
        self.extract = extract
        self.policy = policy
        self.pages = index.fetcher()
        self.stage = FulltextStage(feeds, self.pages, extract, policy)
        self.from_feeds: set[str] = set()
        """Canonical URLs of the articles replayed feeds gave: their pages are theirs."""
        self.pending: dict[str, str] = {}
        """Page responses seen, by canonical URL -> where: articles unless a feed used them."""

    def feed_for(self, url: str) -> FeedSpec:
        """The feeds file's feed at ``url``, else a feed named after its host (or file)."""
        spec = self.feeds.get(url)
        if spec is not None:
            return spec
        parts = urlsplit(url)
        if parts.scheme == "file":
            name = parts.path.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "saved-feed"
            return FeedSpec(name=name, url=url, fulltext="never")
        return FeedSpec(name=host_of(url), url=url)

    async def made(self, item: ReplayItem) -> Made:
        """The articles of one item. Page responses are held back (see :meth:`leftovers`)."""
        if isinstance(item, Skipped):
            return Made(item.where, skipped=item)
        if isinstance(item, StoredArticle):
            return Made(item.where, [replayed(item.article)])
        if isinstance(item, PageResponse):
            self.pending.setdefault(canonical_or_raw(item.url), item.where)
            return Made(item.where)
        return await self.from_feed(item)

    async def from_feed(self, item: FeedResponse) -> Made:
        """A feed response's articles, with their archived pages where the feed wants them."""
        spec = self.feed_for(item.url)
        try:
            parsed = parse_feed(
                item.body,
                spec,
                item.fetched_at,
                item.content_type,
                max_chars=self.policy.max_chars,
            )
        except FeedError as exc:
            message = f"{item.where}: feed {item.url}: {exc}"
            return Made(item.where, skipped=Skipped(item.where, "not-a-feed", message))
        made = Made(item.where)
        articles = parsed.articles
        if len(self.index):
            reports = await self.stage.run(articles)
            articles = [r.article for r in reports]
            made.pages_used = sum(1 for r in reports if r.page is not None and r.page.body)
            made.pages_missing = sum(1 for r in reports if r.flag == NOT_ARCHIVED)
        made.articles = [replayed(a) for a in articles]
        self.from_feeds.update(canonical_or_raw(a.url) for a in articles)
        return made

    async def leftovers(self) -> AsyncIterator[Made]:
        """Page responses no replayed feed pointed to, each an article by itself, in the
        order they were read."""
        for url, where in self.pending.items():
            if url in self.pages.used or url in self.from_feeds:
                continue
            made = await self.from_page(url, where)
            made.read = False
            yield made

    async def from_page(self, url: str, where: str) -> Made:
        """One archived page as an article (CC-NEWS style)."""
        page = self.index.read(url)
        if page is None:
            message = f"{where}: page {url}: could not be read back"
            return Made(where, skipped=Skipped(where, "unreadable", message))
        try:
            extract = await self.extract(page.body, page.url, page.content_type)
        except ExtractFailed as exc:
            message = f"{where}: page {page.url}: {exc}"
            return Made(where, skipped=Skipped(where, f"page-{exc.word}", message))
        wall = wall_kind(extract.text, extract.words)
        if wall is None and extract.words < self.policy.page_min_words:
            # as the live stage: a consent dialog is boilerplate to the extractor
            wall = await asyncio.to_thread(page_wall, page.body, page.content_type)
        if wall is not None or extract.words < self.policy.page_min_words:
            why = wall or "too-little-text"
            message = f"{where}: page {page.url}: {why} ({extract.words} words), not an article"
            return Made(where, skipped=Skipped(where, f"page-{why}", message))
        text = extract.text
        if len(text) > self.policy.max_chars:
            text = text[: self.policy.max_chars].rsplit(" ", 1)[0] + " …"
        article = Article(
            id=article_id(page.url),
            url=canonical_url(page.url),
            title=extract.title or "",
            summary=extract.description or "",
            text=text,
            published=extract.published,
            published_source=f"page:{extract.date_source or 'unknown'}"
            if extract.published
            else None,
            fetched_at=page.fetched_at,
            source=extract.site_name or host_of(page.url),
            language=extract.language,
            lane="replay",
            text_source="page",
            canonical_url=extract.canonical_url,
            author=extract.author,
            site_name=extract.site_name,
        )
        return Made(where, [article], pages_used=1)


def canonical_or_raw(url: str) -> str:
    """``canonical_url(url)``, or ``url`` itself when it cannot be taken apart."""
    try:
        return canonical_url(url)
    except ValueError:
        return url


def replayed(article: Article) -> Article:
    """The article in the replay lane."""
    return article if article.lane == "replay" else article.model_copy(update={"lane": "replay"})
