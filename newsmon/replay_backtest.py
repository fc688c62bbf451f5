"""``newsmon replay SOURCE... --subscription ID | --query Q``: a backtest over replayed history.

The sources are read as a replay reads them (same filters), each batch is tagged in memory by
the live processors' own code (stories clustered in a throwaway index) and matched with the
embedded matcher, whose semantics are the percolator's. Nothing is published or stored. Per
day (of publication): the articles and the stories the subscription would have alerted on
(one alert per story), with a few examples.
"""

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.table import Table

from contract import Article, InvalidQuery, NewsmonError
from newsmon.backend_choice import backends_for
from newsmon.console import err, out, safe
from newsmon.runners.process import load_enricher
from newsmon.runners.replay import ReplayCounts, ReplayOptions, moment, replay_batches
from newsmon.settings import Settings
from processors.batch import process_batch
from sinks.documents import percolate_document
from sinks.lucene.evaluate import CompiledQuery, DocumentView, compile_query

EXAMPLES = 3
"""Stories named per day."""


@dataclass
class Day:
    """What matched on one day."""

    articles: int = 0
    stories: dict[str, str] = field(default_factory=dict)
    """story id -> the title of its first matching article."""

    def add(self, article: Article) -> None:
        """Count a matching article."""
        self.articles += 1
        self.stories.setdefault(article.story_id or article.id, article.title)


@dataclass
class ReplayBacktest:
    """Matches per day over a replay."""

    query: str
    days: dict[date, Day] = field(default_factory=lambda: defaultdict(Day))
    tagged: int = 0

    def add(self, articles: list[Article], compiled: CompiledQuery) -> None:
        """Tag-time matching of one batch."""
        self.tagged += len(articles)
        for article in articles:
            if compiled.matches(DocumentView.of(percolate_document(article))):
                self.days[moment(article).date()].add(article)

    @property
    def stories(self) -> int:
        """Distinct stories over all days (a story can match on several days)."""
        return len({story for d in self.days.values() for story in d.stories})

    def as_dict(self, counts: ReplayCounts) -> dict[str, Any]:
        """For ``--json``."""
        return {
            "query": self.query,
            "articles_tagged": self.tagged,
            "articles": sum(d.articles for d in self.days.values()),
            "stories": self.stories,
            "days": [
                {
                    "day": day.isoformat(),
                    "articles": d.articles,
                    "stories": len(d.stories),
                    "examples": list(d.stories.values())[:EXAMPLES],
                }
                for day, d in sorted(self.days.items())
            ],
            "replay": counts.as_dict(),
        }


def _query(settings: Settings, subscription: str | None, query: str | None, embedded: bool) -> str:
    if query is not None:
        return query
    assert subscription is not None
    found = backends_for(settings, embedded).subscriptions().get(subscription)
    if found is None:
        err.print(f"[red]error:[/] no subscription {safe(subscription)!r}", soft_wrap=True)
        raise typer.Exit(1)
    if found.kind == "feed-health":  # its query is a glob over feeds, not over articles
        err.print(
            f"[red]error:[/] {safe(subscription)} is a feed-health subscription: "
            "it matches no articles",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    return found.query


def backtest_replay(
    settings: Settings,
    sources: list[Path],
    options: ReplayOptions,
    subscription: str | None,
    query: str | None,
    as_json: bool,
    embedded: bool,
) -> None:
    """Print per day what the subscription would have alerted on while replaying."""
    try:
        text = _query(settings, subscription, query, embedded)
        compiled = compile_query(text)
    except InvalidQuery as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except NewsmonError as exc:
        err.print(f"[red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    enricher = load_enricher(settings, with_stories=False)
    result = ReplayBacktest(text)
    counts = ReplayCounts()
    pending: list[Article] = []

    def tag() -> None:
        if pending:
            batch = process_batch(enricher, [a.to_json() for a in pending], "replay")
            result.add(batch.enriched, compiled)
            pending.clear()

    for articles in replay_batches(sources, settings, options, counts):
        pending.extend(articles)
        counts.published += len(articles)
        if len(pending) >= settings.process_batch_size:
            tag()
    tag()
    if as_json:
        sys.stdout.write(orjson.dumps(result.as_dict(counts)).decode() + "\n")
    else:
        _print(result, counts)
    if counts.problems:
        raise typer.Exit(3)


def _print(result: ReplayBacktest, counts: ReplayCounts) -> None:
    table = Table("day", "stories", "articles", "examples", title=None, expand=False)
    for day, d in sorted(result.days.items()):
        examples = "; ".join(safe(t[:60]) for t in list(d.stories.values())[:EXAMPLES])
        table.add_row(day.isoformat(), f"{len(d.stories):,}", f"{d.articles:,}", examples)
    stories = result.stories
    articles = sum(d.articles for d in result.days.values())
    out.print(
        f"{safe(repr(result.query))} would have alerted on {stories:,} stories "
        f"({articles:,} articles) of {result.tagged:,} replayed",
        highlight=False,
        soft_wrap=True,
    )
    if result.days:
        out.print(table)
    for message in counts.messages:
        err.print(f"[yellow]skipped:[/] {safe(message)}", highlight=False, soft_wrap=True)
