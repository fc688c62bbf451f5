"""Helpers of the reindex tests: real articles from the example feeds, a changed taxonomy, and
a search loop run while a swap happens."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import yaml

from contract import Article, Subscription, article_id
from newsmon.settings import PROCESSORS_DIR

REPO = Path(__file__).resolve().parents[1]
FEEDS = REPO / "examples" / "feeds"
DROPPED_TOPIC = "ceasefire"
"""The topic the changed taxonomy no longer has."""


def example_articles() -> list[Article]:
    """Every entry of the bundled example feeds (37, five languages) as an Article."""
    articles = []
    for path in sorted(FEEDS.glob("*.xml")):
        feed = feedparser.parse(path.read_bytes())
        for entry in feed.entries:
            published = entry.get("published_parsed") or entry.get("updated_parsed")
            articles.append(
                Article(
                    id=article_id(entry.link),
                    url=entry.link,
                    title=entry.get("title", ""),
                    text=entry.get("summary", ""),
                    published=datetime(*published[:6], tzinfo=UTC) if published else None,
                    fetched_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
                    source=path.stem,
                    language=feed.feed.get("language"),
                )
            )
    return articles


def subscription(sid: str, query: str) -> Subscription:
    """A match subscription with a webhook channel (never called in these tests)."""
    return Subscription.model_validate(
        {
            "id": sid,
            "name": sid,
            "owner": "desk",
            "query": query,
            "channels": [{"type": "webhook", "url": "https://hooks.example/x", "secret": "s3"}],
        }
    )


def taxonomy_without(topic: str, directory: Path) -> Path:
    """A copy of the bundled taxonomy without ``topic`` (same declared version: only the
    content hash in the stamp tells them apart)."""
    data = yaml.safe_load((PROCESSORS_DIR / "taxonomy.yaml").read_text(encoding="utf-8"))
    data["topics"] = [t for t in data["topics"] if t["name"] != topic]
    path = directory / "taxonomy-changed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


class SearchLoop:
    """Searches in a thread until stopped, recording every total it saw."""

    def __init__(self, search: Callable[[], int]) -> None:
        self.search = search
        self.totals: list[int] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.totals.append(self.search())
            except Exception as exc:  # recorded: the test fails on it
                self.errors.append(exc)

    def __enter__(self) -> "SearchLoop":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
