"""The full-text stage: for each polled article whose feed gave only a teaser, fetch the page
behind it, extract the article (``ingest.extract``) and put its text in ``text``.

One job, one function (:meth:`FulltextStage.run`): articles in, the same articles out, in the
same order, each with its page's text or with its feed's text and a flag saying why not. It
never drops an article and never raises for one page; the runners only move messages.

What is kept from the feed: the id (the hash of the feed entry's URL, so replay and
redelivery never duplicate), the title, the date when the feed has one, and its text as
``summary``. From the page: ``text``, ``canonical_url``, ``author``, ``site_name``, the date
when the feed has none (``published_source`` says which), the language when the feed's is
unknown.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from contract import Article
from ingest.extract import PageExtract
from ingest.feeds_file import FeedSpec, FulltextMode
from ingest.normalize import TRUNCATED
from ingest.pages import ROBOTS, Page
from ingest.walls import page_wall, wall_kind

log = logging.getLogger(__name__)

FAILED = "fulltext-failed:"
"""Prefix of the flag of an article whose page could not be used: ``fulltext-failed:timeout``."""
ROBOTS_FLAG = "fulltext-robots"
"""The flag of an article whose page robots.txt disallows (not fetched)."""
TOO_LITTLE = "too-little-text"
"""The page gave too few words: a video page, a gallery, a wall not recognised as one."""

Outcome = Literal["fetched", "failed", "skipped"]
Extract = Callable[[bytes, str, str | None], Awaitable[PageExtract]]
"""Page bytes, URL, Content-Type -> what the page holds (in a worker process in newsmon)."""


class ExtractFailed(Exception):
    """Extraction gave up on a page; ``word`` becomes the flag (``budget``, ``extract``)."""

    def __init__(self, word: str, detail: str) -> None:
        super().__init__(detail)
        self.word = word


def word_count(text: str) -> int:
    """Words in ``text``, as the ``fulltext_min_words`` setting counts them."""
    return len(text.split())


def failure_flag(word: str) -> str:
    """The article flag of a page failure word."""
    return ROBOTS_FLAG if word == ROBOTS else FAILED + word


@dataclass(frozen=True)
class FulltextPolicy:
    """When pages are fetched and when their text counts.

    Attributes:
        mode: the default of feeds without their own ``fulltext:``.
        min_words: ``auto`` fetches the page when the feed's text has fewer words.
        page_min_words: a page giving fewer words failed (``fulltext-failed:too-little-text``).
        max_chars: the page's text is cut here (flagged ``text-truncated``).
    """

    mode: FulltextMode = "auto"
    min_words: int = 150
    page_min_words: int = 30
    max_chars: int = 100_000


@dataclass(frozen=True)
class PageReport:
    """What the stage did for one article (for counts, logs and ``newsmon extract``)."""

    article: Article
    outcome: Outcome
    flag: str | None = None
    message: str = ""
    extract_ms: float | None = None
    extract: PageExtract | None = None
    page: Page | None = None


@dataclass
class FulltextCounts:
    """Running totals: pages fetched / failed / skipped, and failures per flag."""

    fetched: int = 0
    failed: int = 0
    skipped: int = 0
    flags: Counter[str] = field(default_factory=Counter)

    def add(self, reports: list[PageReport]) -> None:
        """Count a batch."""
        for report in reports:
            if report.outcome == "fetched":
                self.fetched += 1
            elif report.outcome == "failed":
                self.failed += 1
            else:
                self.skipped += 1
            if report.flag:
                self.flags[report.flag] += 1


def mode_of(feed: FeedSpec | None, policy: FulltextPolicy) -> FulltextMode:
    """The feed's own mode, else the default."""
    return feed.fulltext if feed is not None and feed.fulltext else policy.mode


def wants_page(article: Article, feed: FeedSpec | None, policy: FulltextPolicy) -> bool:
    """Whether the article's page is fetched: by mode, and in ``auto`` by the feed's words."""
    mode = mode_of(feed, policy)
    if mode == "never" or article.lane == "replay":
        return False
    return mode == "always" or word_count(article.text or article.summary) < policy.min_words


def with_page(article: Article, page: PageExtract, max_chars: int) -> Article:
    """The article with its page's text; the feed's text is kept as ``summary``."""
    text = page.text
    flags = [f for f in article.flags if f != TRUNCATED or len(article.summary) > max_chars]
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        flags.append(TRUNCATED)
    update: dict[str, object] = {
        "text": text,
        "summary": article.summary or article.text,
        "text_source": "page",
        "canonical_url": page.canonical_url,
        "author": page.author,
        "site_name": page.site_name,
        "title": article.title or (page.title or ""),
        "flags": list(dict.fromkeys(flags)),
    }
    if article.published is None and page.published is not None:
        update["published"] = page.published
        update["published_source"] = f"page:{page.date_source or 'unknown'}"
    if article.language is None and page.language:
        update["language"] = page.language
    return article.model_copy(update=update)


def with_flag(article: Article, flag: str) -> Article:
    """The article as it came, with ``flag`` added."""
    return article.model_copy(update={"flags": list(dict.fromkeys([*article.flags, flag]))})


class Pages(Protocol):
    """Where pages come from: the web (:class:`ingest.pages.PageFetcher`) or, in a replay,
    the archive (:class:`ingest.replay.page_index.ArchivedPages`)."""

    async def fetch(self, url: str, feed: FeedSpec | None = None) -> Page:
        """The page at ``url``, or a :class:`Page` saying why there is none."""
        ...


class FulltextStage:
    """Fetches and extracts the pages of a batch of articles.

    Args:
        feeds: the feeds by URL (``Article.feed_url``): their ``fulltext`` and ``mirror``.
        fetcher: fetches pages politely.
        extract: turns page bytes into text (newsmon's runs in worker processes).
        policy: when to fetch and when a page counts.
    """

    def __init__(
        self,
        feeds: dict[str, FeedSpec],
        fetcher: Pages,
        extract: Extract,
        policy: FulltextPolicy | None = None,
    ) -> None:
        self.feeds = feeds
        self.fetcher = fetcher
        self.extract = extract
        self.policy = policy or FulltextPolicy()

    async def run(self, articles: list[Article]) -> list[PageReport]:
        """Every article of the batch, in order, with its page or a flag saying why not."""
        return list(await asyncio.gather(*(self.one(a) for a in articles)))

    async def one(self, article: Article) -> PageReport:
        """One article: skipped, fetched, or failed (with its flag)."""
        feed = self.feeds.get(article.feed_url)
        if not wants_page(article, feed, self.policy):
            return PageReport(article, "skipped")
        try:
            page = await self.fetcher.fetch(article.url, feed)
            return await self.use_page(article, page)
        except Exception as exc:  # a bug on one page must not stop the batch: say it, go on
            log.exception("page %s: unexpected error", article.url)
            return self._failed(article, "error", f"page {article.url}: {exc!r}")

    async def use_page(self, article: Article, page: Page) -> PageReport:
        """The article with what ``page`` gave: its text, or the flag of its failure."""
        if page.failure is not None:
            return self._failed(article, page.failure, page.message, page=page)
        assert page.body is not None
        started = time.perf_counter()
        try:
            extract = await self.extract(page.body, page.final_url or page.url, page.content_type)
        except ExtractFailed as exc:
            return self._failed(article, exc.word, f"page {page.url}: {exc}", page=page)
        ms = (time.perf_counter() - started) * 1000
        wall = wall_kind(extract.text, extract.words)
        if wall is not None:
            message = f"page {page.url}: a {wall.replace('-', ' ')}, not the article"
            return self._failed(article, wall, message, ms, extract, page)
        if extract.words < self.policy.page_min_words:
            wall = await asyncio.to_thread(page_wall, page.body, page.content_type)
            if wall is not None:
                message = f"page {page.url}: a {wall.replace('-', ' ')}, not the article"
                return self._failed(article, wall, message, ms, extract, page)
            message = (
                f"page {page.url}: only {extract.words} words of article text; the feed's "
                "text is kept"
            )
            return self._failed(article, TOO_LITTLE, message, ms, extract, page)
        merged = with_page(article, extract, self.policy.max_chars)
        return PageReport(merged, "fetched", None, "", ms, extract, page)

    def _failed(
        self,
        article: Article,
        word: str,
        message: str,
        ms: float | None = None,
        extract: PageExtract | None = None,
        page: Page | None = None,
    ) -> PageReport:
        flag = failure_flag(word)
        log.warning("%s [%s]", message, flag)
        return PageReport(with_flag(article, flag), "failed", flag, message, ms, extract, page)
