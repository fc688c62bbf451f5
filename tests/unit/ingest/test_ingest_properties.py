"""Property tests (hypothesis): URL canonicalisation, feed normalisation, HTML to text."""

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from feedserver import atom_xml, rss_xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract import FeedError, article_id, canonical_url
from ingest import FeedSpec, ParsedFeed, html_to_text, parse_feed
from ingest.normalize import _entry_article

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FEED = FeedSpec("prop", "https://feeds.example/rss")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- URLs ---------------------------------------------------------------------------------

_label = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda s: not s.startswith("-") and not s.endswith("-")
)
_host = st.builds(lambda parts: ".".join(parts), st.lists(_label, min_size=1, max_size=4))
# URL text: any character but controls and spaces (a URL cannot carry them raw; feeds' links
# are cleaned and stripped)
_segment = st.text(
    st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"), exclude_characters="/?#"
    ),
    max_size=12,
)
_param = st.tuples(
    st.one_of(st.sampled_from(["utm_source", "fbclid", "id", "page", "q", "ref"]), _label),
    st.text(
        st.characters(
            codec="utf-8",
            exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
            exclude_characters="&#",
        ),
        max_size=10,
    ),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(_host)
    host = host.upper() if draw(st.booleans()) else host
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(_segment, max_size=4)))
    query = "&".join(f"{k}={v}" for k, v in draw(st.lists(_param, max_size=5)))
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    return f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "") + fragment


@SETTINGS
@given(urls())
def test_canonical_url_is_idempotent_and_ids_are_stable(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert article_id(once) == article_id(url)
    parts = urlsplit(once)
    assert parts.scheme in ("http", "https") and parts.fragment == ""
    assert parts.hostname == urlsplit(url).hostname  # lower-cased by both
    assert "utm_source" not in parts.query and "fbclid" not in parts.query


@SETTINGS
@given(urls(), st.permutations(range(5)))
def test_query_order_and_tracking_do_not_change_the_id(url: str, order: list[int]) -> None:
    without_fragment = url.split("#")[0]
    base, _, query = without_fragment.partition("?")
    pairs = [p for p in query.split("&") if p]
    shuffled = [pairs[i] for i in order if i < len(pairs)]
    tracked = "&".join([*shuffled, "utm_campaign=x", "gclid=1"])
    assert article_id(f"{base}?{tracked}") == article_id(url)


# -- feed normalisation --------------------------------------------------------------------

_any_text = st.text(max_size=60)
_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _any_text),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(_any_text, children, max_size=3)
    ),
    max_leaves=8,
)
_keys = st.sampled_from(
    [
        "title", "title_detail", "link", "links", "id", "summary", "summary_detail", "content",
        "published", "published_parsed", "updated", "updated_parsed", "language",
    ]
)  # fmt: skip


@SETTINGS
@given(st.dictionaries(_keys, _values, max_size=10))
def test_normalising_any_feedparser_entry_never_raises(entry: dict[str, Any]) -> None:
    result = ParsedFeed()
    article = _entry_article(entry, 0, FEED, NOW, result, 1000)
    assert article is not None or result.issues["no-link"] == 1


_item = st.fixed_dictionaries(
    {},
    optional={
        "title": _any_text,
        "link": st.one_of(urls(), _any_text),
        "guid": st.one_of(urls(), _any_text),
        "description": _any_text,
        "content": _any_text.map(lambda t: t.replace("]]>", "")),
        "date": st.one_of(_any_text, st.just("Mon, 01 Dec 2026 10:00:00 GMT")),
    },
)


@SETTINGS
@given(st.lists(_item, max_size=5), st.booleans())
def test_parsing_any_feed_gives_articles_or_a_feed_error(
    items: list[dict[str, str]], atom: bool
) -> None:
    entries = [{**i, "summary": i.get("description", ""), "id": i.get("guid", "")} for i in items]
    try:
        body = atom_xml(entries) if atom else rss_xml(items)
    except ValueError:  # a character XML cannot hold at all
        return
    try:
        parsed = parse_feed(body, FEED, NOW)
    except FeedError as exc:
        assert exc.feed == "prop"  # noqa: PT017
        return
    for article in parsed.articles:
        assert article.url.startswith(("http://", "https://"))
        assert "\n" not in article.title


@SETTINGS
@given(
    st.binary(max_size=400),
    st.sampled_from([None, "text/xml", "application/rss+xml; charset=koi8-r"]),
)
def test_parsing_any_bytes_gives_articles_or_a_feed_error(
    body: bytes, content_type: str | None
) -> None:
    try:
        parse_feed(body, FEED, NOW, content_type)
    except FeedError as exc:
        assert exc.transient is False  # noqa: PT017


# -- HTML to text -----------------------------------------------------------------------

_tags = st.sampled_from(["div", "p", "b", "script", "style", "a", "br", "li", "pre", "x-y", "svg"])
_piece = st.one_of(
    _any_text,
    _tags.map(lambda t: f"<{t}>"),
    _tags.map(lambda t: f"</{t}>"),
    st.sampled_from(
        ["<!--", "-->", "&amp;", "&lt;b&gt;", "&#x3c;", "<", ">", "&", "<![CDATA[", '"']
    ),
)
_html = st.lists(_piece, max_size=30).map("".join)


@SETTINGS
@given(_html)
def test_html_to_text_never_raises_and_leaves_plain_text(html: str) -> None:
    text = html_to_text(html)
    assert text == text.strip()
    assert "<script>" not in text.lower() or "<script>" in html.lower().replace("<script>", "", 1)
    assert html_to_text(text) == html_to_text(html_to_text(text))  # settles


def _cost(html: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        html_to_text(html)
        best = min(best, time.process_time() - started)
    return best


@settings(max_examples=15, deadline=None)
@given(st.lists(_piece, min_size=3, max_size=12).map("".join).filter(lambda h: len(h) >= 8))
def test_html_to_text_is_linear(fragment: str) -> None:
    """Eight times the input costs about eight times the time, not 64 (a quadratic
    algorithm's): min of three runs each, with a wide margin for a noisy machine."""
    small = fragment * max(1, 20_000 // len(fragment))
    large = small * 8
    small_cost, large_cost = _cost(small), _cost(large)
    assert large_cost <= 8 * 3 * max(small_cost, 0.002)
