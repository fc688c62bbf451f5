"""Turning a feed's bytes into contract Articles."""

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from pydantic import ValidationError

from contract import SCHEMA_VERSION, Article, FeedError, article_id, canonical_url
from ingest.feeds_file import FeedSpec
from ingest.html_text import html_to_text

MAX_FUTURE = timedelta(days=1)
_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")


@dataclass
class ParsedFeed:
    """The articles of one feed body, and the entries that could not become articles.

    Attributes:
        articles: one per distinct article id, in feed order.
        errors: one message per skipped entry, naming the feed and the entry.
        language: the language the feed declares, normalised ("en-US" -> "en").
    """

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    language: str | None = None


def parse_feed(body: bytes, feed: FeedSpec, fetched_at: datetime) -> ParsedFeed:
    """Parse an RSS, Atom or RDF body into Articles for the ``live`` lane.

    Raises:
        FeedError: (not transient) the body is not a feed at all.
    """
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    headers = {"content-type": "application/xml"}
    if urlsplit(feed.url).scheme.lower() in ("http", "https"):
        headers["content-location"] = feed.url  # base for relative links
    parsed = feedparser.parse(body, response_headers=headers)
    channel = parsed.get("feed", {})
    if (
        not parsed.entries
        and not channel.get("title")
        and (parsed.bozo or not parsed.get("version"))
    ):
        reason = parsed.get("bozo_exception") or "no feed elements found"
        raise FeedError(feed.name, f"not a parseable feed: {reason}", transient=False)
    feed_language = normalize_language(
        channel.get("language") or (channel.get("title_detail") or {}).get("language")
    )
    result = ParsedFeed(language=feed_language)
    seen: set[str] = set()
    for index, entry in enumerate(parsed.entries):
        try:
            article = _to_article(entry, feed, fetched_at, feed_language)
        except (ValueError, ValidationError) as exc:
            title = _text(entry, "title")[:80]
            result.errors.append(f"feed {feed.name!r}: entry {index} ({title!r}): {exc}")
            continue
        if article.id not in seen:
            seen.add(article.id)
            result.articles.append(article)
    return result


def normalize_language(value: object) -> str | None:
    """The primary subtag of a language tag, lower-cased ("en-US" -> "en"); None if not one."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if _LANGUAGE_RE.fullmatch(primary) else None


def _to_article(
    entry: Any, feed: FeedSpec, fetched_at: datetime, feed_language: str | None
) -> Article:
    link = _link(entry, feed)
    title = _text(entry, "title")
    summary = _text(entry, "summary")
    bodies = [html_to_text(c.get("value") or "") for c in entry.get("content") or []]
    text = max([summary, *bodies], key=len)
    return Article(
        schema_version=SCHEMA_VERSION,
        id=article_id(link),
        url=canonical_url(link),
        title=title,
        summary=summary,
        text=text,
        published=_published(entry, fetched_at),
        fetched_at=fetched_at,
        source=feed.name,
        feed_url=feed.url,
        language=_entry_language(entry) or feed_language,
        lane="live",
    )


def _link(entry: Any, feed: FeedSpec) -> str:
    """The entry's link, or its guid when that is a URL."""
    base = feed.url if urlsplit(feed.url).scheme.lower() in ("http", "https") else ""
    for candidate, relative_ok in ((entry.get("link"), True), (entry.get("id"), False)):
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        url = urljoin(base, candidate.strip()) if relative_ok and base else candidate.strip()
        parts = urlsplit(url)
        if parts.scheme.lower() in ("http", "https") and parts.hostname:
            return url
    raise ValueError("no usable link (no link, and the guid is not a URL)")


def _text(entry: Any, key: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        return ""
    detail = entry.get(f"{key}_detail") or {}
    if detail.get("type") == "text/plain":
        return " ".join(value.split())
    return html_to_text(value)


def _published(entry: Any, fetched_at: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed: time.struct_time | None = entry.get(key)
        if parsed is None:
            continue
        try:
            published = datetime(*parsed[:6], tzinfo=UTC)  # feedparser gives UTC
        except (TypeError, ValueError):
            continue
        return fetched_at if published > fetched_at + MAX_FUTURE else published
    return None


def _entry_language(entry: Any) -> str | None:
    if language := normalize_language(entry.get("language")):
        return language
    for detail in (entry.get("title_detail"), *(entry.get("content") or [])):
        if isinstance(detail, dict) and (language := normalize_language(detail.get("language"))):
            return language
    return None
