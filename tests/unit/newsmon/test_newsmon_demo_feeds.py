"""The bundled demo feeds stay current: months after they were written, the README's
``--since 30d`` and ``--days 7`` still find articles (a simulated "today": the same parse,
store and queries the commands run, with the clock passed in)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from contract import Article
from ingest import load_feeds
from ingest.normalize import parse_feed
from newsmon.since import parse_since
from sinks.sqlite.articles import SqliteArticleStore

EXAMPLES = Path(__file__).parents[3] / "examples"
WRITTEN = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _store_demo(tmp_path: Path, now: datetime) -> tuple[SqliteArticleStore, list[Article]]:
    store = SqliteArticleStore(tmp_path / "articles.sqlite3")
    articles: list[Article] = []
    for feed in load_feeds(EXAMPLES / "feeds.yaml"):
        body = Path(feed.url.removeprefix("file://")).read_bytes()
        articles += parse_feed(body, feed, now).articles
    store.write_batch(articles)
    return store, articles


@pytest.mark.parametrize(
    "today",
    [WRITTEN, datetime(2027, 3, 2, 6, 30, tzinfo=UTC), datetime(2028, 8, 19, 23, 0, tzinfo=UTC)],
)
def test_the_readme_examples_find_demo_articles_on_any_day(tmp_path: Path, today: datetime) -> None:
    store, articles = _store_demo(tmp_path, today)
    assert len(articles) == 37
    recent = store.search("Ukraine", parse_since("30d", today), 100)
    assert recent.total >= 5
    week = store.backtest("Ukraine", 7, today, "UTC")
    assert week.articles >= 3
    newest = max(a.published for a in articles if a.published)
    assert timedelta(0) <= today - newest < timedelta(days=1)


def test_the_files_keep_their_dates(tmp_path: Path) -> None:
    """The shift happens at parse time: the XML in git still says November 2026."""
    for path in (EXAMPLES / "feeds").glob("*.xml"):
        text = path.read_text(encoding="utf-8")
        assert "Nov 2026" in text or "2026-11-" in text, path
