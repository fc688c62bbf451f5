"""Feed bytes to contract Articles: ids, text, dates, language, skipped entries."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from contract import SCHEMA_VERSION, Article, FeedError, article_id, canonical_url
from ingest import FeedSpec, normalize_language, parse_feed

FEED = FeedSpec("Example", "https://example.com/rss.xml")
FETCHED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
Factory = Callable[..., bytes]


def test_canonical_id_ignores_tracking_fragment_and_param_order() -> None:
    plain = "https://example.com/news/story?id=7&page=2"
    variants = [
        "https://EXAMPLE.com:443/news/story?page=2&id=7",
        "https://example.com/news/story?utm_source=rss&id=7&page=2&fbclid=abc#comments",
        "  https://example.com/news/story?page=2&utm_medium=feed&id=7  ",
    ]
    assert {article_id(v) for v in variants} == {article_id(plain)}
    assert canonical_url(variants[1]) == "https://example.com/news/story?id=7&page=2"
    assert article_id(plain) != article_id("https://example.com/news/story?id=8&page=2")
    assert len(article_id(plain)) == 32


def test_rss_entry_to_article(make_rss: Factory) -> None:
    body = make_rss(
        [
            {
                "title": "Talks <b>resume</b> &amp; continue",
                "link": "https://example.com/a?utm_source=rss#top",
                "description": "<p>Short <i>summary</i>.</p>",
                "content": "<p>Full text, first paragraph.</p><p>Second paragraph.</p>",
                "date": "Fri, 01 Mar 2024 10:30:00 +0200",
            }
        ]
    )
    parsed = parse_feed(body, FEED, FETCHED)
    assert parsed.errors == []
    assert parsed.language == "en"
    [article] = parsed.articles
    assert article == Article(
        schema_version=SCHEMA_VERSION,
        id=article_id("https://example.com/a"),
        url="https://example.com/a",
        title="Talks resume & continue",
        summary="Short summary.",
        text="Full text, first paragraph.\nSecond paragraph.",
        published=datetime(2024, 3, 1, 8, 30, tzinfo=UTC),
        published_source="feed",
        fetched_at=FETCHED,
        source="Example",
        feed_url=FEED.url,
        language="en",
        lane="live",
    )
    assert Article.from_json(article.to_json()) == article


def test_text_falls_back_to_summary(make_rss: Factory) -> None:
    body = make_rss([{"title": "t", "link": "https://example.com/b", "description": "Only this"}])
    [article] = parse_feed(body, FEED, FETCHED).articles
    assert article.summary == article.text == "Only this"
    assert article.published is None


def test_atom_entry_dates_language_and_relative_links(make_atom: Factory) -> None:
    body = make_atom(
        [
            {
                "title": "Über <em>alles</em>",
                "link": "/de/story-1",
                "updated": "2024-02-29T23:30:00-05:00",
                "summary": "Kurz",
                "content": "<p>Lang und <b>ausführlich</b></p>",
                "lang": "de-AT",
            },
            {
                "title": "No lang",
                "link": "https://example.com/2",
                "updated": "2024-02-29T10:00:00Z",
            },
        ],
        language="fr-CA",
    )
    parsed = parse_feed(body, FEED, FETCHED)
    first, second = parsed.articles
    assert first.url == "https://example.com/de/story-1"
    assert first.title == "Über alles"
    assert (first.summary, first.text) == ("Kurz", "Lang und ausführlich")
    assert first.published == datetime(2024, 3, 1, 4, 30, tzinfo=UTC)
    assert first.language == "de"
    assert second.language == "fr"
    assert parsed.language == "fr"


def test_guid_permalink_used_when_no_link(make_rss: Factory) -> None:
    body = make_rss([{"title": "g", "guid": "https://example.com/guid-link"}])
    [article] = parse_feed(body, FEED, FETCHED).articles
    assert article.url == "https://example.com/guid-link"


def test_entry_without_link_is_reported_not_fatal(make_rss: Factory) -> None:
    body = make_rss(
        [
            {"title": "Lost story", "guid": "not-a-url-123"},
            {"title": "Good", "link": "https://example.com/good"},
        ]
    )
    parsed = parse_feed(body, FEED, FETCHED)
    assert [a.title for a in parsed.articles] == ["Good"]
    [error] = parsed.errors
    assert "'Example'" in error
    assert "entry 0" in error
    assert "Lost story" in error


def test_duplicate_ids_kept_once(make_rss: Factory) -> None:
    body = make_rss(
        [
            {"title": "first", "link": "https://example.com/x?utm_campaign=a"},
            {"title": "again", "link": "https://example.com/x#frag"},
        ]
    )
    parsed = parse_feed(body, FEED, FETCHED)
    assert [a.title for a in parsed.articles] == ["first"]


def test_future_dates_clamped(make_rss: Factory) -> None:
    soon = (FETCHED + timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    later = (FETCHED + timedelta(days=30)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    body = make_rss(
        [
            {"title": "soon", "link": "https://example.com/soon", "date": soon},
            {"title": "later", "link": "https://example.com/later", "date": later},
        ]
    )
    soon_article, later_article = parse_feed(body, FEED, FETCHED).articles
    assert soon_article.published == FETCHED + timedelta(hours=3)
    assert later_article.published == FETCHED


def test_empty_but_valid_feed(make_rss: Factory) -> None:
    parsed = parse_feed(make_rss([], language=None), FEED, FETCHED)
    assert (parsed.articles, parsed.errors, parsed.language) == ([], [], None)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not a parseable feed: empty body"),
        (b" \n\t", "not a parseable feed: empty body"),
        (b'{"not": "a feed"}', "not a parseable feed: "),
        (b"<html><body><p>Hello</p></body></html>", "not a feed: got an HTML page"),
        (
            b'<!DOCTYPE html><html><head><link rel="alternate" '
            b'type="application/rss+xml" href="https://example.com/feed.xml"></head></html>',
            "not a feed: got an HTML page (it links to a feed at https://example.com/feed.xml)",
        ),
        (b"\x00\xff garbage", "not a parseable feed: "),
    ],
)
def test_non_feed_body_raises_feed_error(body: bytes, reason: str) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(body, FEED, FETCHED)
    assert info.value.feed == "Example"
    assert info.value.transient is False
    assert info.value.reason.startswith(reason)


@pytest.mark.parametrize(
    ("tag", "language"),
    [("en-US", "en"), ("EN_gb", "en"), ("de", "de"), ("fil", "fil"), ("", None), ("x1", None),
     (None, None), ("english", None)],
)  # fmt: skip
def test_normalize_language(tag: str | None, language: str | None) -> None:
    assert normalize_language(tag) == language
