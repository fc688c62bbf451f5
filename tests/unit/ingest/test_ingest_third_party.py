"""Real feeds nobody here wrote: the W3C Feed Validator's 2,192 test cases and SimplePie's
fixtures (tests/data/hostile/third_party, licences beside them), through the parser.

Every file either becomes articles or fails with one clear line naming the feed; every article
is plain text with an http(s) URL and its id; the files the validator calls valid give their
linked items; the hostile ones (script, event handlers, external entities) leave nothing
active behind.
"""

import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contract import FeedError, article_id
from ingest import FeedSpec, ParsedFeed, parse_feed

ROOT = Path(__file__).parents[2] / "data" / "hostile" / "third_party"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FEED_KINDS = ("rss2", "atom", "rss1/rdf", "rss0.9x")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ACTIVE = re.compile(r"<script|<iframe|<object|<embed|\bon(?:submit|error|load)\s*=|alert\(", re.I)


def _index() -> dict[str, tuple[str, str, str]]:
    rows = (ROOT / "feedvalidator" / "index.tsv").read_text(encoding="utf-8").splitlines()
    return {
        f"feedvalidator/{path}": (expect, category, kind)
        for path, expect, category, kind in (row.split("\t") for row in rows)
    }


INDEX = _index()
FILES = sorted(
    str(p.relative_to(ROOT))
    for p in ROOT.rglob("*")
    if p.is_file() and p.name not in ("LICENSE", "README.md", "index.tsv")
)


def _parse(rel: str) -> ParsedFeed | FeedError:
    feed = FeedSpec(rel, f"https://feeds.example/{rel}")
    try:
        return parse_feed((ROOT / rel).read_bytes(), feed, NOW)
    except FeedError as exc:
        return exc


@pytest.fixture(scope="module")
def outcomes() -> dict[str, ParsedFeed | FeedError]:
    """Every file parsed once (about 2 s)."""
    return {rel: _parse(rel) for rel in FILES}


def test_the_corpus_is_all_there() -> None:
    assert len([f for f in FILES if f.startswith("feedvalidator/")]) == len(INDEX) == 2192
    assert len([f for f in FILES if f.startswith("simplepie/")]) == 7


def test_every_file_gives_articles_or_one_clear_line(
    outcomes: dict[str, ParsedFeed | FeedError],
) -> None:
    for rel, outcome in outcomes.items():
        if isinstance(outcome, FeedError):
            assert outcome.feed == rel
            assert outcome.transient is False
            assert "\n" not in str(outcome) and str(outcome).startswith(f"feed {rel!r}: not a")
            continue
        for article in outcome.articles:
            assert article.url.startswith(("http://", "https://")), rel
            assert article.id == article_id(article.url), rel
            assert not _CONTROL.search(article.title) and "\n" not in article.title, rel
            for text in (article.summary, article.text):
                assert not _CONTROL.search(text.replace("\n", "").replace("\t", "")), rel
            assert not _ACTIVE.search(f"{article.title}\n{article.summary}\n{article.text}"), rel


def test_outcomes_per_kind_of_document(outcomes: dict[str, ParsedFeed | FeedError]) -> None:
    """Feeds parse; KML, OpenSearch and OPML files are named for what they are."""
    per_kind: Counter[tuple[str, str]] = Counter()
    for rel, outcome in outcomes.items():
        category = INDEX.get(rel, ("", "simplepie", ""))[1]
        if isinstance(outcome, FeedError):
            what = re.sub(r"<unknown>:\d+:\d+: ", "", outcome.reason)
            per_kind[(category, what)] += 1
        else:
            per_kind[(category, "parsed")] += 1
    assert per_kind[("kml", "not a feed: a <kml> document, not RSS, Atom or RDF")] >= 200
    opensearch = "not a feed: a <OpenSearchDescription> document, not RSS, Atom or RDF"
    assert per_kind[("opensearch", opensearch)] == 65
    assert per_kind[("opml", "not a feed: a <opml> document, not RSS, Atom or RDF")] >= 30
    parsed = sum(
        n for (kind, what), n in per_kind.items() if kind in FEED_KINDS and what == "parsed"
    )
    feeds = sum(n for (kind, _), n in per_kind.items() if kind in FEED_KINDS)
    assert parsed / feeds > 0.99  # the rest are not well-formed XML
    assert per_kind[("simplepie", "parsed")] == 5


def test_feeds_the_validator_calls_valid_give_their_linked_items(
    outcomes: dict[str, ParsedFeed | FeedError],
) -> None:
    checked = 0
    for rel, (_, category, kind) in INDEX.items():
        body = (ROOT / rel).read_bytes()
        if kind != "valid" or category not in FEED_KINDS:
            continue
        start = max(body.find(b"<item"), body.find(b"<entry"))
        if start < 0 or b"<link" not in body[start:]:
            continue
        outcome = outcomes[rel]
        assert isinstance(outcome, ParsedFeed) and outcome.articles, (rel, outcome)
        checked += 1
    assert checked >= 100


@pytest.mark.parametrize(
    "rel",
    [
        "feedvalidator/atom/should/content_contains_script.xml",
        "feedvalidator/rss/should/content_encoded_contains_script.xml",
        "feedvalidator/rss20/element-channel-item-description/description_contains_script.xml",
        "feedvalidator/rss20/element-channel-item-description/description_contains_onsubmit.xml",
        "feedvalidator/rss/should/system_entity.xml",
        "feedvalidator/rss/should/system_entity_http.xml",
    ],
)
def test_hostile_content_leaves_nothing_active(
    rel: str, outcomes: dict[str, ParsedFeed | FeedError]
) -> None:
    outcome = outcomes[rel]
    texts = [] if isinstance(outcome, FeedError) else outcome.articles
    for article in texts:
        body = f"{article.title} {article.summary} {article.text}"
        assert not _ACTIVE.search(body)
        assert "boot.ini" not in body and "[boot loader]" not in body


def test_utf16_without_bom_or_declaration_is_read(
    outcomes: dict[str, ParsedFeed | FeedError],
) -> None:
    for rel in ("simplepie/feed-utf16be.xml", "simplepie/feed-utf16le.xml"):
        outcome = outcomes[rel]
        assert isinstance(outcome, ParsedFeed)
        assert [a.title for a in outcome.articles] == ["Test feed title 1"]
        assert outcome.encoding.startswith("utf-16")


def test_bogus_declared_encoding_is_reported(outcomes: dict[str, ParsedFeed | FeedError]) -> None:
    outcome = outcomes["feedvalidator/xml/must/xml_declares_unknown_encoding.xml"]
    assert isinstance(outcome, ParsedFeed)
    assert any("x-fake" in note for note in outcome.notes)
