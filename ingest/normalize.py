"""Turning a feed's bytes into contract Articles: decoded right, plain text, every skip counted.

The bytes are decoded here (HTTP charset, BOM, XML declaration, sniffing: :mod:`ingest.encoding`)
and handed to feedparser as UTF-8, with its HTML sanitiser and URI rewriting off: every text
field becomes plain text (:mod:`ingest.html_text`) anyway, in linear time.
"""

import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from pydantic import ValidationError

from contract import SCHEMA_VERSION, Article, FeedError, article_id, canonical_url
from ingest.dates import BadDate, parse_date
from ingest.demo_dates import shift_dates
from ingest.encoding import decode_document, to_utf8_xml
from ingest.feeds_file import FeedSpec
from ingest.html_text import clean_controls, plain_text
from ingest.xml_repair import repair_xml

MAX_FUTURE = timedelta(days=1)
MAX_ARTICLE_CHARS = 100_000
"""Default cap on an article's text (and summary): more is cut, flagged ``text-truncated``."""
MAX_TITLE_CHARS = 1_000
MAX_ENTRY_ERRORS = 20
"""Per-entry messages kept per poll (the counts are always complete)."""
UNDECODABLE_LIMIT = 0.01
"""Above this share of undecodable bytes a feed is refused rather than stored garbled."""

SKIPS = ("no-link", "duplicate-link")
"""Entry outcomes that drop the entry; the others repair it and keep it."""
REPAIRS = ("bad-date", "future-date", "text-truncated", "markup-removed")
TRUNCATED = "text-truncated"

_LANGUAGE_RE = re.compile(r"[a-z]{2,3}")
_HTML_PAGE = re.compile(  # an HTML or XHTML page, whatever feed it may embed
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>])",
    re.I | re.S,
)
_URL_NOISE = re.compile(r"[\t\n\r]")
_HOST = re.compile(r"[^\s<>\"'`{}|\\^%/?#@\[\]]+|[0-9a-fA-F:.]+")  # a name, or IPv6 unbracketed
_ROOT = re.compile(  # the root element's name, after the prolog
    r"^\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)\s*)*<([A-Za-z_][\w:.-]*)",
    re.S,
)
_ALTERNATE = re.compile(
    r"<link\b(?=[^>]*\brel=[\"']?alternate)(?=[^>]*\btype=[\"']?application/(?:rss|atom)\+xml)"
    r"[^>]*\bhref=[\"']?([^\"'\s>]+)",
    re.I,
)


@dataclass
class ParsedFeed:
    """The articles of one feed body, and what happened to the entries that needed care.

    Attributes:
        articles: one per distinct article id, in feed order.
        errors: a message per skipped entry (the first :data:`MAX_ENTRY_ERRORS`), naming the
            feed and the entry.
        language: the language the feed declares, normalised ("en-US" -> "en").
        issues: entries per outcome: skipped (:data:`SKIPS`) or repaired (:data:`REPAIRS`).
        notes: one line per thing that was off with the feed as a whole (its encoding, XML
            that had to be read leniently), for ``newsmon feeds status``.
        encoding: the character encoding the body was decoded with.
    """

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    language: str | None = None
    issues: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    encoding: str = "utf-8"

    def note_entry(self, issue: str, message: str | None = None) -> None:
        """Count one entry's ``issue``; keep its message while there is room."""
        self.issues[issue] += 1
        if message and len(self.errors) < MAX_ENTRY_ERRORS:
            self.errors.append(message)


def parse_feed(
    body: bytes,
    feed: FeedSpec,
    fetched_at: datetime,
    content_type: str | None = None,
    *,
    max_chars: int = MAX_ARTICLE_CHARS,
) -> ParsedFeed:
    """Parse an RSS, Atom or RDF body into Articles for the ``live`` lane.

    Args:
        body: the bytes as received (after content decoding).
        feed: the feed they came from (its URL is the base of relative links).
        fetched_at: when they were fetched.
        content_type: the HTTP ``Content-Type``, whose charset is honoured.
        max_chars: cap on each article's text and summary.

    Raises:
        FeedError: (not transient) the body is not a feed, or could not be decoded.
    """
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    if not body.strip():
        raise FeedError(feed.name, "not a parseable feed: empty body", transient=False)
    decoded = decode_document(body, content_type)
    if decoded.replaced > UNDECODABLE_LIMIT * len(body):
        raise FeedError(
            feed.name,
            f"cannot decode the body as {decoded.encoding} ({decoded.replaced} bytes invalid)",
            transient=False,
        )
    if _HTML_PAGE.match(decoded.text[:65536]):
        raise FeedError(feed.name, _not_a_feed(decoded.text, None), transient=False)
    repaired, repairs = repair_xml(decoded.text)
    decoded = replace(decoded, text=repaired)
    headers = {"content-type": "application/xml; charset=utf-8"}
    if _is_http(feed.url):
        headers["content-location"] = feed.url  # base for relative links
    try:
        parsed = feedparser.parse(
            to_utf8_xml(decoded),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (ValueError, OverflowError, UnicodeError, RecursionError) as exc:  # its own bugs
        raise FeedError(
            feed.name, f"not a parseable feed: {type(exc).__name__}: {exc}", transient=False
        ) from exc
    channel = parsed.get("feed", {})
    if (
        not parsed.entries
        and not channel.get("title")
        and (parsed.get("bozo") or not parsed.get("version"))
    ):
        raise FeedError(feed.name, _not_a_feed(decoded.text, parsed), transient=False)
    result = ParsedFeed(
        language=normalize_language(
            channel.get("language") or (channel.get("title_detail") or {}).get("language")
        ),
        encoding=decoded.encoding,
    )
    if decoded.note:
        result.notes.append(f"encoding: {decoded.note}")
    result.notes.extend(repairs)
    if (
        parsed.get("bozo")
        and parsed.entries
        and not _is_encoding_notice(parsed.get("bozo_exception"))
    ):
        result.notes.append(f"malformed XML, read leniently: {parsed.get('bozo_exception')}")
    seen: set[str] = set()
    for index, entry in enumerate(parsed.entries):
        article = _entry_article(entry, index, feed, fetched_at, result, max_chars)
        if article is None:
            continue
        if article.id in seen:
            result.note_entry(
                "duplicate-link",
                f"feed {feed.name!r}: entry {index} ({article.title[:80]!r}): "
                f"same link as an earlier entry ({article.url}); the first one is kept",
            )
            continue
        seen.add(article.id)
        result.articles.append(article)
    if feed.shift_dates_from is not None:  # a sample feed kept current (ingest.demo_dates)
        result.articles = shift_dates(result.articles, feed.shift_dates_from, fetched_at)
    return result


def content_hash(article: Article) -> str:
    """A hash of what the feed says about the article (title and text): a change is a new
    version of it."""
    payload = f"{article.title}\n{article.summary}\n{article.text}".encode()
    return hashlib.sha256(payload).hexdigest()[:32]


def normalize_language(value: object) -> str | None:
    """The primary subtag of a language tag, lower-cased ("en-US" -> "en"); None if not one."""
    if not isinstance(value, str):
        return None
    primary = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return primary if _LANGUAGE_RE.fullmatch(primary) else None


def _is_http(url: str) -> bool:
    return urlsplit(url).scheme.lower() in ("http", "https")


def _is_encoding_notice(exc: object) -> bool:
    return type(exc).__name__ in ("CharacterEncodingOverride", "NonXMLContentType")


def _not_a_feed(text: str, parsed: Any | None) -> str:
    head = text[:65536]
    if _HTML_PAGE.match(head):
        link = _ALTERNATE.search(head)
        return "not a feed: got an HTML page" + (
            f" (it links to a feed at {link.group(1)[:200]})" if link else ""
        )
    if parsed is None:
        return "not a parseable feed"
    if not parsed.get("bozo") and (root := _ROOT.search(head)):
        return f"not a feed: a <{root.group(1)[:40]}> document, not RSS, Atom or RDF"
    reason = parsed.get("bozo_exception") or "no feed elements found"
    return f"not a parseable feed: {str(reason)[:200]}"


def _entry_article(
    entry: Any,
    index: int,
    feed: FeedSpec,
    fetched_at: datetime,
    result: ParsedFeed,
    max_chars: int,
) -> Article | None:
    """The entry as an Article, counting what was repaired; None (counted) when skipped."""
    title, title_markup = _field(entry, "title", single_line=True)
    title = title[:MAX_TITLE_CHARS]
    where = f"feed {feed.name!r}: entry {index} ({title[:80]!r})"
    link = _link(entry, feed)
    if link is None:
        result.note_entry("no-link", f"{where}: no usable link (no http(s) link or URL guid)")
        return None
    summary, summary_markup = _field(entry, "summary")
    bodies = [_text(c.get("value"), c.get("type")) for c in _dicts(entry.get("content"))]
    text, text_markup = max([(summary, summary_markup), *bodies], key=lambda pair: len(pair[0]))
    flags: list[str] = []
    if title_markup or summary_markup or text_markup:
        result.note_entry("markup-removed")
    if len(text) > max_chars or len(summary) > max_chars:
        text, summary = _cut(text, max_chars), _cut(summary, max_chars)
        flags.append(TRUNCATED)
        result.note_entry(TRUNCATED)
    published = _published(entry, fetched_at, result)
    try:
        return Article(
            schema_version=SCHEMA_VERSION,
            id=article_id(link),
            url=canonical_url(link),
            title=title,
            summary=summary,
            text=text,
            published=published,
            published_source="feed" if published is not None else None,
            fetched_at=fetched_at,
            source=feed.name,
            feed_url=feed.url,
            language=_entry_language(entry) or result.language,
            lane="live",
            flags=flags,
        )
    except (ValueError, ValidationError) as exc:  # a link canonical_url cannot take apart
        result.note_entry("no-link", f"{where}: unusable link {link[:200]!r}: {exc}")
        return None


def _link(entry: Any, feed: FeedSpec) -> str | None:
    """The entry's http(s) link: its link, an alternate link (feedparser leaves a link typed
    ``text/html; charset=utf-8`` out of ``link``), or its guid when that is one."""
    base = feed.url if _is_http(feed.url) else ""
    links = [
        link.get("href")
        for link in _dicts(entry.get("links"))
        if link.get("rel", "alternate") == "alternate"
    ]
    candidates = [(entry.get("link"), True), *((href, True) for href in links)]
    for candidate, relative_ok in (*candidates, (entry.get("id"), False)):
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        # as browsers read a URL: tabs and newlines anywhere go (java\tscript: is javascript:)
        url = clean_controls(_URL_NOISE.sub("", candidate), single_line=True)
        try:
            url = urljoin(base, url) if relative_ok and base else url
            parts = urlsplit(url)
            if parts.scheme.lower() in ("http", "https") and _HOST.fullmatch(parts.hostname or ""):
                parts.port  # noqa: B018 -- raises on a port out of range
                return url
        except ValueError:
            continue
    return None


def _dicts(value: object) -> list[dict[str, Any]]:
    """The mappings in ``value`` when it is a list (feedparser's shape); [] for anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _field(entry: Any, key: str, *, single_line: bool = False) -> tuple[str, bool]:
    detail = entry.get(f"{key}_detail")
    content_type = detail.get("type") if isinstance(detail, dict) else None
    text, markup = _text(entry.get(key), content_type)
    return clean_controls(text, single_line=single_line), markup


def _text(value: object, content_type: object) -> tuple[str, bool]:
    if not isinstance(value, str):
        return "", False
    text, markup = plain_text(value, is_html=content_type != "text/plain")
    return clean_controls(text), markup


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at the last line or word break before it."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at > limit * 0.8:
            return head[:at].rstrip()
    return head


def _published(entry: Any, fetched_at: datetime, result: ParsedFeed) -> datetime | None:
    bad = False
    for key in ("published", "updated"):
        # dict.get: feedparser's own get() maps a missing "updated" to "published", warning
        raw = dict.get(entry, key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        lenient = dict.get(entry, f"{key}_parsed")
        try:
            published = parse_date(raw, lenient if isinstance(lenient, time.struct_time) else None)
        except BadDate:
            bad = True
            continue
        if published is None:
            continue
        if published > fetched_at + MAX_FUTURE:
            result.note_entry("future-date")
            return fetched_at
        return published
    if bad:
        result.note_entry("bad-date")
    return None


def _entry_language(entry: Any) -> str | None:
    if language := normalize_language(entry.get("language")):
        return language
    for detail in (entry.get("title_detail"), *_dicts(entry.get("content"))):
        if isinstance(detail, dict) and (language := normalize_language(detail.get("language"))):
            return language
    return None
